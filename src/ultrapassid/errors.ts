/** Which part of the OpenID Connect exchange failed. */
export type UltrapassIdEndpoint = 'discovery' | 'authorize' | 'token' | 'jwks';

/** Stable identifiers for what went wrong, for programs; the message is for people. */
export type UltrapassIdErrorCode =
  /** Our side is misconfigured, or the provider's metadata cannot be used with this strategy. */
  | 'ULTRAPASSID_CONFIGURATION'
  /** The provider answered 429 or 503: come back later (see `retryAfter`). */
  | 'ULTRAPASSID_UNAVAILABLE'
  | 'ULTRAPASSID_TIMEOUT'
  /** A redirect, an error status, HTML instead of JSON, a body too large, or JSON that is not what OpenID Connect promises. */
  | 'ULTRAPASSID_BAD_RESPONSE';

export interface UltrapassIdErrorDetails {
  code: UltrapassIdErrorCode;
  endpoint: UltrapassIdEndpoint;
  /** The HTTP status the application should answer with (500, 502, 503 or 504). */
  status: number;
  /** The status the provider answered with, when it answered. */
  upstreamStatus?: number;
  /** Seconds to wait before trying again, from the provider's `Retry-After`, capped. */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * A failed exchange with UltrapassId (or another OpenID provider): discovery, the token call or
 * the key set. `status` is what the app should answer: 500 for configuration, 502 for a bad
 * answer, 503 when the provider is busy or down, 504 when it was too slow. Messages name the
 * endpoint and what was wrong, never a code, verifier, token or state; the underlying error is a
 * non-enumerable `cause`, so `JSON.stringify(err)` does not walk into response bodies.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof UltrapassIdError) return res.status(err.status).send('Identity verification is unavailable');
 *   next(err);
 * });
 */
export class UltrapassIdError extends Error {
  readonly code: UltrapassIdErrorCode;
  readonly endpoint: UltrapassIdEndpoint;
  readonly status: number;
  readonly upstreamStatus: number | undefined;
  readonly retryAfter: number | undefined;

  constructor(message: string, details: UltrapassIdErrorDetails) {
    super(message);
    this.name = 'UltrapassIdError';
    this.code = details.code;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.upstreamStatus = details.upstreamStatus;
    this.retryAfter = details.retryAfter;
    if (details.cause !== undefined) Object.defineProperty(this, 'cause', { value: details.cause, enumerable: false });
  }

  /** Express reads `statusCode` as well as `status`. */
  get statusCode(): number {
    return this.status;
  }
}
