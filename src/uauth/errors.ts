import { isJsonContentType, parseJson, parseRetryAfter, TransportError, type IncomingResponse } from '../http/transport.js';
import { cleanVendorText } from '../http/vendor-text.js';

const MAX_RETRY_AFTER_SECONDS = 300;

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

export interface UAuthApiErrorDetails {
  code: UAuthErrorCode;
  endpoint: UAuthEndpoint;
  /** The HTTP status the application should answer with. */
  status: number;
  /** The status UltrapassId answered with, when it answered. */
  upstreamStatus?: number;
  /** UltrapassId's own text, already cleaned, capped and redacted. */
  vendorMessage?: string;
  /** Seconds to wait before trying again, from UltrapassId's `Retry-After`, capped. */
  retryAfter?: number;
  response?: IncomingResponse;
}

/**
 * A failed call to UltrapassId, or a response the middleware refused to act on.
 *
 * `status` is what the app should answer: 500 for a configuration fault (a workflow key or
 * organization key UltrapassId refused), 502 for a bad or failed upstream answer, 503 when
 * UltrapassId is rate limiting or unavailable (see `retryAfter`), 504 on timeout. The vendor's
 * plain-string error body is in `vendorMessage`, with the organization key redacted. The raw
 * response is a non-enumerable `response`, so `JSON.stringify(err)` and loggers that walk own
 * properties do not print it.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof UAuthApiError) return res.status(err.status).send('Identity verification is unavailable');
 *   next(err);
 * });
 */
export class UAuthApiError extends Error {
  readonly code: UAuthErrorCode;
  readonly endpoint: UAuthEndpoint;
  readonly status: number;
  readonly upstreamStatus: number | undefined;
  readonly vendorMessage: string | undefined;
  readonly retryAfter: number | undefined;
  declare readonly response: IncomingResponse | undefined;

  constructor(message: string, details: UAuthApiErrorDetails) {
    super(message);
    this.name = 'UAuthApiError';
    this.code = details.code;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.upstreamStatus = details.upstreamStatus;
    this.vendorMessage = details.vendorMessage;
    this.retryAfter = details.retryAfter;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
  }

  /** Express reads `statusCode` as well as `status`. */
  get statusCode(): number {
    return this.status;
  }
}

/* How UltrapassId's answers become errors. */

/** How each call is named in messages: never with the session id filled in. */
export const UAUTH_CALL_LABELS: Record<UAuthEndpoint, string> = {
  createSession: 'POST /uauth/session',
  getSession: 'GET /uauth/session/{sessionId}',
};

/**
 * The error for an answer other than 200/201. `secrets` are redacted from the vendor's text, which
 * may echo what we sent.
 */
export function httpFailure(endpoint: UAuthEndpoint, res: IncomingResponse, secrets: readonly string[]): UAuthApiError {
  const upstreamStatus = res.status;
  const vendorMessage = vendorMessageOf(res, secrets);
  const details = { endpoint, upstreamStatus, vendorMessage, response: res };
  const prefix = `UltrapassId ${UAUTH_CALL_LABELS[endpoint]} answered ${upstreamStatus}`;
  const said = vendorMessage ? `: ${vendorMessage}` : '';

  if (upstreamStatus >= 300 && upstreamStatus < 400) {
    return new UAuthApiError(`${prefix}, a redirect, which is never followed`, { ...details, code: 'UAUTH_BAD_RESPONSE', status: 502 });
  }
  if (upstreamStatus >= 200 && upstreamStatus < 300) {
    return new UAuthApiError(`${prefix}, not the 200 or 201 documented`, { ...details, code: 'UAUTH_BAD_RESPONSE', status: 502 });
  }
  if (upstreamStatus === 429 || upstreamStatus === 503) {
    const retryAfter = parseRetryAfter(res.headers['retry-after']);
    return new UAuthApiError(`${prefix}${upstreamStatus === 429 ? ': rate limit exceeded' : ''}${said}`, {
      ...details,
      code: upstreamStatus === 429 ? 'UAUTH_RATE_LIMITED' : 'UAUTH_UNAVAILABLE',
      status: 503,
      retryAfter: retryAfter === undefined ? undefined : Math.min(retryAfter, MAX_RETRY_AFTER_SECONDS),
    });
  }
  if (upstreamStatus >= 500) {
    return new UAuthApiError(`${prefix}${said}`, { ...details, code: 'UAUTH_UNAVAILABLE', status: 502 });
  }
  if (upstreamStatus === 424) {
    return new UAuthApiError(`${prefix}: the workflow's dependency failed${said}`, {
      ...details,
      code: 'UAUTH_DEPENDENCY_FAILED',
      status: 502,
    });
  }
  if (upstreamStatus === 401 || upstreamStatus === 403) {
    return new UAuthApiError(`${prefix}: the organization key was rejected (check organizationKey and apiKeyHeader)${said}`, {
      ...details,
      code: 'UAUTH_CONFIGURATION',
      status: 500,
    });
  }
  if (endpoint === 'createSession' && (upstreamStatus === 400 || upstreamStatus === 409)) {
    // Our only inputs are the configured workflow key and organization key: a refusal is ours to fix.
    return new UAuthApiError(`${prefix}: the workflow key was refused (check workflowKey)${said}`, {
      ...details,
      code: 'UAUTH_CONFIGURATION',
      status: 500,
    });
  }
  if (endpoint === 'getSession' && (upstreamStatus === 400 || upstreamStatus === 404)) {
    return new UAuthApiError(`${prefix}: the session is unknown or has expired${said}`, {
      ...details,
      code: 'UAUTH_SESSION_INVALID',
      status: 400,
    });
  }
  return new UAuthApiError(`${prefix}${said}`, { ...details, code: 'UAUTH_HTTP_ERROR', status: 502 });
}

/** The error for a call that got no complete answer. */
export function transportFailure(endpoint: UAuthEndpoint, err: unknown): UAuthApiError {
  const label = `UltrapassId ${UAUTH_CALL_LABELS[endpoint]}`;
  if (err instanceof TransportError) {
    if (err.kind === 'timeout') return new UAuthApiError(`${label} timed out`, { code: 'UAUTH_TIMEOUT', endpoint, status: 504 });
    if (err.kind === 'too-large')
      return new UAuthApiError(`${label}: ${err.message}`, { code: 'UAUTH_BAD_RESPONSE', endpoint, status: 502 });
    return new UAuthApiError(`${label} is unavailable: ${err.message}`, { code: 'UAUTH_UNAVAILABLE', endpoint, status: 502 });
  }
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
