import type { IncomingResponse } from '../http/transport.js';

/** Which UltraCart call failed. */
export type UltraCartEndpoint = 'authorize' | 'token' | 'user' | 'revoke';

/** Stable identifiers for what went wrong, for programs; the message is for people. */
export type UltraCartErrorCode =
  | 'ULTRACART_HTTP_ERROR'
  | 'ULTRACART_RATE_LIMITED'
  | 'ULTRACART_CONFIGURATION'
  | 'ULTRACART_TIMEOUT'
  | 'ULTRACART_UNAVAILABLE'
  | 'ULTRACART_BAD_RESPONSE';

export interface UltraCartApiErrorDetails {
  code: UltraCartErrorCode;
  endpoint: UltraCartEndpoint;
  /** The HTTP status the application should answer with (500, 502, 503 or 504). */
  status: number;
  /** The status UltraCart answered with, when it answered. */
  upstreamStatus?: number;
  developerMessage?: string;
  userMessage?: string;
  /** The human-readable `UC-REST-ERROR` header. */
  restError?: string;
  /** Seconds to wait before trying again, from UltraCart's `Retry-After`, capped. */
  retryAfter?: number;
  response?: IncomingResponse;
}

/**
 * A failed call to UltraCart. `status` is what the app should answer; the vendor's own words are
 * in `developerMessage`, `userMessage` and `restError`. The raw response is kept as a
 * non-enumerable `response`, so `JSON.stringify(err)` and loggers that walk own properties do not
 * print bodies.
 */
export class UltraCartApiError extends Error {
  readonly code: UltraCartErrorCode;
  readonly endpoint: UltraCartEndpoint;
  readonly status: number;
  readonly upstreamStatus: number | undefined;
  readonly developerMessage: string | undefined;
  readonly userMessage: string | undefined;
  readonly restError: string | undefined;
  readonly retryAfter: number | undefined;
  declare readonly response: IncomingResponse | undefined;

  constructor(message: string, details: UltraCartApiErrorDetails) {
    super(message);
    this.name = 'UltraCartApiError';
    this.code = details.code;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.upstreamStatus = details.upstreamStatus;
    this.developerMessage = details.developerMessage;
    this.userMessage = details.userMessage;
    this.restError = details.restError;
    this.retryAfter = details.retryAfter;
    Object.defineProperty(this, 'response', { value: details.response, enumerable: false });
  }

  /** Express reads `statusCode` as well as `status`. */
  get statusCode(): number {
    return this.status;
  }
}
