import { PassportUltraCartError } from '../http/errors.js';

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
 * answer, 503 when the provider is busy or unreachable, 504 when it was too slow. Messages name
 * the endpoint and what was wrong, never a code, verifier, token or state; the underlying error
 * (openid-client's, which can hold a response body) is a `cause` kept off `JSON.stringify` and
 * shown by name only.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (err instanceof UltrapassIdError) return res.status(err.status).send('Identity verification is unavailable');
 *   next(err);
 * });
 */
export class UltrapassIdError extends PassportUltraCartError<UltrapassIdErrorCode> {
  readonly endpoint: UltrapassIdEndpoint;
  /** The status the provider answered with, when it answered. */
  readonly upstreamStatus: number | undefined;

  constructor(message: string, details: UltrapassIdErrorDetails) {
    super(message, { code: details.code, status: details.status, retryAfter: details.retryAfter, cause: details.cause });
    this.name = 'UltrapassIdError';
    this.endpoint = details.endpoint;
    this.upstreamStatus = details.upstreamStatus;
  }
}
