import { PassportUltraCartError } from '../http/errors.js';
import { parseJson, TransportError, type IncomingResponse } from '../http/transport.js';
import { judgeUpstreamStatus, type StatusRules, type UpstreamMeaning } from '../http/upstream-status.js';
import { cleanVendorText } from '../http/vendor-text.js';

/** Which UltraCart call failed. */
export type UltraCartEndpoint = 'authorize' | 'token' | 'user' | 'revoke';

/** Stable identifiers for what went wrong, for programs; the message is for people. */
export type UltraCartErrorCode =
  /** A 4xx that no endpoint documents a meaning for (502). */
  | 'ULTRACART_HTTP_ERROR'
  /** 429 from UltraCart (503, with `retryAfter` when UltraCart sent `Retry-After`). */
  | 'ULTRACART_RATE_LIMITED'
  /** UltraCart refused the application's credential or `callbackURL` at `/sso/authorize` (500). */
  | 'ULTRACART_CONFIGURATION'
  /** `/sso/token` refused the code: used, expired or unknown (400; the strategy fails the sign-in with 401). */
  | 'ULTRACART_CODE_REJECTED'
  /** The user's simple key no longer works: revoked or expired (401). */
  | 'ULTRACART_SESSION_ENDED'
  /** No complete answer in `timeoutMs` (504). */
  | 'ULTRACART_TIMEOUT'
  /** UltraCart could not be reached, or answered 5xx (502; 503 for its own 503). */
  | 'ULTRACART_UNAVAILABLE'
  /** An answer we will not act on: a 3xx, not JSON, too large, lacking what we need (502). */
  | 'ULTRACART_BAD_RESPONSE';

/** What a failed call to UltraCart is built from, whichever of its APIs failed. */
export interface UltraCartCallErrorDetails<Code extends string, Endpoint extends string> {
  code: Code;
  endpoint: Endpoint;
  /** The HTTP status the application should answer with. */
  status: number;
  /** The status UltraCart answered with, when it answered. */
  upstreamStatus?: number | undefined;
  developerMessage?: string | undefined;
  userMessage?: string | undefined;
  /** The human-readable `UC-REST-ERROR` header. */
  restError?: string | undefined;
  /** Seconds to wait before trying again, from UltraCart's `Retry-After`, capped. */
  retryAfter?: number | undefined;
  response?: IncomingResponse | undefined;
  cause?: unknown;
}

/**
 * What every failed call to UltraCart carries, SSO or OAuth: the call, UltraCart's status and its
 * own words, redacted. The raw response is kept as a non-enumerable `response`, so
 * `JSON.stringify(err)` and loggers that walk own properties do not print bodies.
 */
export class UltraCartCallError<Code extends string, Endpoint extends string> extends PassportUltraCartError<Code> {
  /** Which call failed. */
  readonly endpoint: Endpoint;
  /** The status UltraCart answered with, or undefined when no answer came. */
  readonly upstreamStatus: number | undefined;
  /** `error.developer_message` from UltraCart's ErrorResponse (or OAuth's `error_description`), redacted and capped. */
  readonly developerMessage: string | undefined;
  /** `error.user_message` from UltraCart's ErrorResponse, redacted and capped. */
  readonly userMessage: string | undefined;
  /** The `UC-REST-ERROR` header, redacted and capped. */
  readonly restError: string | undefined;
  /** The raw response (status, headers, body text); non-enumerable. */
  declare readonly response: IncomingResponse | undefined;

  constructor(message: string, details: UltraCartCallErrorDetails<Code, Endpoint>) {
    super(message, details);
    this.endpoint = details.endpoint;
    this.upstreamStatus = details.upstreamStatus;
    this.developerMessage = details.developerMessage;
    this.userMessage = details.userMessage;
    this.restError = details.restError;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
  }
}

/** How an {@link UltraCartApiError} is built. */
export type UltraCartApiErrorDetails = UltraCartCallErrorDetails<UltraCartErrorCode, UltraCartEndpoint>;

/**
 * A failed call to UltraCart's SSO API. `status` (and `statusCode`) is what the app should answer,
 * `expose` says whether the message may be shown; the vendor's own words, redacted, are in
 * `developerMessage`, `userMessage` and `restError`.
 */
export class UltraCartApiError extends UltraCartCallError<UltraCartErrorCode, UltraCartEndpoint> {
  constructor(message: string, details: UltraCartApiErrorDetails) {
    super(message, details);
    this.name = 'UltraCartApiError';
  }
}

/* How UltraCart's answers become errors. */

const LABELS: Record<UltraCartEndpoint, string> = {
  authorize: 'PUT /sso/authorize',
  token: 'PUT /sso/token',
  user: 'GET /sso/session/user',
  revoke: 'DELETE /sso/session/revoke',
};

const KEY_GONE = { meaning: 'session-ended', why: 'the user simple key is no longer valid' } as const;
const CODE_REFUSED = { meaning: 'input-rejected', why: 'the code is used, expired or unknown' } as const;

/**
 * What each endpoint's 4xx statuses mean. UltraCart documents 400, 401 and 410 for all four
 * calls; 403 and 404 are treated like 400 where the input is ours.
 */
const STATUS_RULES: Record<UltraCartEndpoint, StatusRules> = {
  // The only inputs to authorize are our credential and the configured redirect_uri.
  authorize: {
    400: { meaning: 'configuration', why: 'the request was refused (check callbackURL)' },
    401: { meaning: 'configuration', why: 'the application credential was rejected' },
    403: { meaning: 'configuration', why: 'the application credential was rejected' },
    410: { meaning: 'configuration', why: 'the authorized application is disabled' },
  },
  // A code the browser brought: whatever the status, the user's way out is to sign in again.
  token: { 400: CODE_REFUSED, 401: CODE_REFUSED, 403: CODE_REFUSED, 404: CODE_REFUSED, 410: CODE_REFUSED },
  user: { 401: KEY_GONE, 410: KEY_GONE },
  revoke: { 401: KEY_GONE, 410: KEY_GONE },
};

const CODES: Record<UpstreamMeaning, UltraCartErrorCode> = {
  redirect: 'ULTRACART_BAD_RESPONSE',
  'undocumented-success': 'ULTRACART_BAD_RESPONSE',
  'rate-limited': 'ULTRACART_RATE_LIMITED',
  unavailable: 'ULTRACART_UNAVAILABLE',
  'server-error': 'ULTRACART_UNAVAILABLE',
  configuration: 'ULTRACART_CONFIGURATION',
  'input-rejected': 'ULTRACART_CODE_REJECTED',
  'session-ended': 'ULTRACART_SESSION_ENDED',
  'dependency-failed': 'ULTRACART_UNAVAILABLE',
  unexpected: 'ULTRACART_HTTP_ERROR',
};

/**
 * The error for an answer outside 2xx. `secrets` are redacted from the vendor's text, which may
 * echo what we sent. `hint` is added to the message: a likely cause the client can tell.
 */
export function httpFailure(endpoint: UltraCartEndpoint, res: IncomingResponse, secrets: readonly string[], hint = ''): UltraCartApiError {
  const verdict = judgeUpstreamStatus(res.status, res.headers['retry-after'], STATUS_RULES[endpoint]);
  const vendor = vendorText(parseJson(res.text), res, secrets);
  const why = verdict.meaning === 'redirect' ? `, ${verdict.why}` : verdict.why ? `: ${verdict.why}` : '';
  return new UltraCartApiError(`UltraCart ${LABELS[endpoint]} answered ${res.status}${why}${vendor.summary}${hint}`, {
    code: CODES[verdict.meaning],
    endpoint,
    status: verdict.status,
    upstreamStatus: res.status,
    retryAfter: verdict.retryAfter,
    developerMessage: vendor.developerMessage,
    userMessage: vendor.userMessage,
    restError: vendor.restError,
    response: res,
  });
}

/** The error for a call that got no complete answer; the transport error, whose message is safe, is the cause. */
export function transportFailure(endpoint: UltraCartEndpoint, err: unknown): UltraCartApiError {
  const label = `UltraCart ${LABELS[endpoint]}`;
  if (err instanceof TransportError) {
    if (err.kind === 'timeout')
      return new UltraCartApiError(`${label} timed out`, { code: 'ULTRACART_TIMEOUT', endpoint, status: 504, cause: err });
    if (err.kind === 'too-large' || err.kind === 'encoding') {
      return new UltraCartApiError(`${label}: ${err.message}`, { code: 'ULTRACART_BAD_RESPONSE', endpoint, status: 502, cause: err });
    }
    return new UltraCartApiError(`${label} is unavailable: ${err.message}`, {
      code: 'ULTRACART_UNAVAILABLE',
      endpoint,
      status: 502,
      cause: err,
    });
  }
  // Not kept as the cause: an unexpected error's message could quote the request.
  return new UltraCartApiError(`${label} failed unexpectedly`, { code: 'ULTRACART_UNAVAILABLE', endpoint, status: 502 });
}

/** The error for an answer we will not act on. */
export function badResponse(endpoint: UltraCartEndpoint, why: string, res?: IncomingResponse): UltraCartApiError {
  return new UltraCartApiError(`UltraCart ${LABELS[endpoint]}: ${why}`, {
    code: 'ULTRACART_BAD_RESPONSE',
    endpoint,
    status: 502,
    upstreamStatus: res?.status,
    response: res,
  });
}

interface VendorText {
  developerMessage?: string | undefined;
  userMessage?: string | undefined;
  restError?: string | undefined;
  summary: string;
}

/** The vendor's own words from an ErrorResponse body and the UC-REST-ERROR header, made safe to print. */
export function vendorText(body: unknown, res: IncomingResponse, secrets: readonly string[]): VendorText {
  const error = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  const fields = error && typeof error === 'object' ? (error as Record<string, unknown>) : {};
  const developerMessage = cleanVendorText(fields.developer_message, secrets);
  const userMessage = cleanVendorText(fields.user_message, secrets);
  const restError = cleanVendorText(res.headers['uc-rest-error'], secrets);
  const first = developerMessage ?? restError ?? userMessage;
  return { developerMessage, userMessage, restError, summary: first ? `: ${first}` : '' };
}
