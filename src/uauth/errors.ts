import { PassportUltraCartError } from '../http/errors.js';
import { isJsonContentType, parseJson, TransportError, type IncomingResponse } from '../http/transport.js';
import { judgeUpstreamStatus, type StatusRules, type UpstreamMeaning } from '../http/upstream-status.js';
import { cleanVendorText } from '../http/vendor-text.js';

/** Which UltrapassId call failed. */
export type UAuthEndpoint = 'createSession' | 'getSession';

/** Stable identifiers for what went wrong, for programs; the message is for people. */
export type UAuthErrorCode =
  /** Our side is misconfigured: a workflow key or organization key UltrapassId refused (400, 401, 403, 409). */
  | 'UAUTH_CONFIGURATION'
  /** `getSession` was given, or UltrapassId did not recognise, a session id (the user's input, not ours). */
  | 'UAUTH_SESSION_INVALID'
  /** 424 Dependent Workflow exception: UltrapassId could not run the workflow. */
  | 'UAUTH_DEPENDENCY_FAILED'
  | 'UAUTH_RATE_LIMITED'
  | 'UAUTH_UNAVAILABLE'
  | 'UAUTH_TIMEOUT'
  /** A 3xx, a status other than 200/201, a body that is not JSON or lacks what we need, or a refused `getSessionUrl`. */
  | 'UAUTH_BAD_RESPONSE'
  /** Any other 4xx. */
  | 'UAUTH_HTTP_ERROR';

/** How a {@link UAuthApiError} is built. */
export interface UAuthApiErrorDetails {
  code: UAuthErrorCode;
  endpoint: UAuthEndpoint;
  /** The HTTP status the application should answer with. */
  status: number;
  /** The status UltrapassId answered with, when it answered. */
  upstreamStatus?: number | undefined;
  /** UltrapassId's own text, already cleaned, capped and redacted. */
  vendorMessage?: string | undefined;
  /** Seconds to wait before trying again, from UltrapassId's `Retry-After`, capped. */
  retryAfter?: number | undefined;
  response?: IncomingResponse | undefined;
  cause?: unknown;
}

/**
 * A failed call to UltrapassId, or a response the middleware refused to act on.
 *
 * `status` (and `statusCode`) is what the app should answer: 500 for a configuration fault (a
 * workflow key or organization key UltrapassId refused), 400 for a session id it does not know,
 * 502 for a bad or failed upstream answer, 503 when UltrapassId is rate limiting or unavailable
 * (see `retryAfter`), 504 on timeout. The vendor's plain-string error body is in `vendorMessage`,
 * with the organization key redacted. The raw response is a non-enumerable `response`, so
 * `JSON.stringify(err)` and loggers that walk own properties do not print it.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof UAuthApiError) return res.status(err.status).send('Identity verification is unavailable');
 *   next(err);
 * });
 */
export class UAuthApiError extends PassportUltraCartError<UAuthErrorCode> {
  /** Which of the two calls failed. */
  readonly endpoint: UAuthEndpoint;
  /** The status UltrapassId answered with, or undefined when no answer came. */
  readonly upstreamStatus: number | undefined;
  /** UltrapassId's own text, cleaned, capped and redacted. */
  readonly vendorMessage: string | undefined;
  /** The raw response (status, headers, body text); non-enumerable. */
  declare readonly response: IncomingResponse | undefined;

  constructor(message: string, details: UAuthApiErrorDetails) {
    super(message, details);
    this.name = 'UAuthApiError';
    this.endpoint = details.endpoint;
    this.upstreamStatus = details.upstreamStatus;
    this.vendorMessage = details.vendorMessage;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
  }
}

/* How UltrapassId's answers become errors. */

/** How each call is named in messages: never with the session id filled in. */
export const UAUTH_CALL_LABELS: Record<UAuthEndpoint, string> = {
  createSession: 'POST /uauth/session',
  getSession: 'GET /uauth/session/{sessionId}',
};

const ORGANIZATION_KEY_REFUSED = {
  meaning: 'configuration',
  why: 'the organization key was rejected (check organizationKey and apiKeyHeader)',
} as const;
const DEPENDENCY_FAILED = { meaning: 'dependency-failed', why: "the workflow's dependency failed" } as const;

/** What each call's 4xx statuses mean (the document lists 400, 409 and 424; 401 and 403 are inferred). */
const STATUS_RULES: Record<UAuthEndpoint, StatusRules> = {
  // Our only inputs are the configured workflow key and organization key: a refusal is ours to fix.
  createSession: {
    400: { meaning: 'configuration', why: 'the workflow key was refused (check workflowKey)' },
    401: ORGANIZATION_KEY_REFUSED,
    403: ORGANIZATION_KEY_REFUSED,
    409: { meaning: 'configuration', why: 'the workflow key was refused (check workflowKey)' },
    424: DEPENDENCY_FAILED,
  },
  getSession: {
    400: { meaning: 'input-rejected', why: 'the session is unknown or has expired' },
    401: ORGANIZATION_KEY_REFUSED,
    403: ORGANIZATION_KEY_REFUSED,
    404: { meaning: 'input-rejected', why: 'the session is unknown or has expired' },
    424: DEPENDENCY_FAILED,
  },
};

const CODES: Record<UpstreamMeaning, UAuthErrorCode> = {
  redirect: 'UAUTH_BAD_RESPONSE',
  'undocumented-success': 'UAUTH_BAD_RESPONSE',
  'rate-limited': 'UAUTH_RATE_LIMITED',
  unavailable: 'UAUTH_UNAVAILABLE',
  'server-error': 'UAUTH_UNAVAILABLE',
  configuration: 'UAUTH_CONFIGURATION',
  'input-rejected': 'UAUTH_SESSION_INVALID',
  'session-ended': 'UAUTH_SESSION_INVALID',
  'dependency-failed': 'UAUTH_DEPENDENCY_FAILED',
  unexpected: 'UAUTH_HTTP_ERROR',
};

/**
 * The error for an answer other than 200/201. `secrets` are redacted from the vendor's text, which
 * may echo what we sent.
 */
export function httpFailure(endpoint: UAuthEndpoint, res: IncomingResponse, secrets: readonly string[]): UAuthApiError {
  const verdict = judgeUpstreamStatus(res.status, res.headers['retry-after'], STATUS_RULES[endpoint]);
  const vendorMessage = vendorMessageOf(res, secrets);
  const said = vendorMessage ? `: ${vendorMessage}` : '';
  const why =
    verdict.meaning === 'redirect'
      ? `, ${verdict.why}`
      : verdict.meaning === 'undocumented-success'
        ? ', not the 200 or 201 documented'
        : verdict.why
          ? `: ${verdict.why}`
          : '';
  return new UAuthApiError(`UltrapassId ${UAUTH_CALL_LABELS[endpoint]} answered ${res.status}${why}${said}`, {
    code: CODES[verdict.meaning],
    endpoint,
    status: verdict.status,
    upstreamStatus: res.status,
    vendorMessage,
    retryAfter: verdict.retryAfter,
    response: res,
  });
}

/** The error for a call that got no complete answer. */
export function transportFailure(endpoint: UAuthEndpoint, err: unknown): UAuthApiError {
  const label = `UltrapassId ${UAUTH_CALL_LABELS[endpoint]}`;
  if (err instanceof TransportError) {
    if (err.kind === 'timeout')
      return new UAuthApiError(`${label} timed out`, { code: 'UAUTH_TIMEOUT', endpoint, status: 504, cause: err });
    if (err.kind === 'too-large' || err.kind === 'encoding')
      return new UAuthApiError(`${label}: ${err.message}`, { code: 'UAUTH_BAD_RESPONSE', endpoint, status: 502, cause: err });
    return new UAuthApiError(`${label} is unavailable: ${err.message}`, { code: 'UAUTH_UNAVAILABLE', endpoint, status: 502, cause: err });
  }
  // Not kept as the cause: an unexpected error's message could quote the request.
  return new UAuthApiError(`${label} failed unexpectedly`, { code: 'UAUTH_UNAVAILABLE', endpoint, status: 502 });
}

/** The error for an answer we will not act on. */
export function badResponse(endpoint: UAuthEndpoint, why: string, res?: IncomingResponse): UAuthApiError {
  return new UAuthApiError(`UltrapassId ${UAUTH_CALL_LABELS[endpoint]}: ${why}`, {
    code: 'UAUTH_BAD_RESPONSE',
    endpoint,
    status: 502,
    upstreamStatus: res?.status,
    response: res,
  });
}

/**
 * UltrapassId's error bodies are plain strings, sometimes JSON-encoded. An ASP.NET problem-details
 * object is read for its `detail` or `title`. HTML and other types are not read at all.
 */
function vendorMessageOf(res: IncomingResponse, secrets: readonly string[]): string | undefined {
  const type = res.headers['content-type'];
  let text: unknown;
  if (isJsonContentType(type)) {
    const parsed = parseJson(res.text);
    if (typeof parsed === 'string') text = parsed;
    else if (parsed && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      text = [record.detail, record.title, record.message].find((v) => typeof v === 'string');
    } else text = res.text;
  } else if (type === undefined || isTextPlain(type)) {
    text = res.text;
  }
  return cleanVendorText(text, secrets);
}

/** `text/plain`, with or without parameters. */
export function isTextPlain(value: string | undefined): boolean {
  return value !== undefined && /^\s*text\/plain\s*(;|$)/i.test(value);
}
