import { PassportUltraCartError } from '../../http/errors.js';
import { parseJson, TransportError, type IncomingResponse } from '../../http/transport.js';
import { judgeUpstreamStatus, type StatusRules, type UpstreamMeaning } from '../../http/upstream-status.js';
import { cleanVendorText } from '../../http/vendor-text.js';
import { UltraCartCallError, vendorText, type UltraCartCallErrorDetails } from '../errors.js';

/** Which UltraCart OAuth call failed: the token endpoint (code or refresh grant), revoke, or an API call made with a token. */
export type UltraCartOAuthEndpoint = 'exchange' | 'refresh' | 'revoke' | 'api';

/** Stable identifiers for what went wrong, for programs; the message is for people. */
export type UltraCartOAuthErrorCode =
  /** The token endpoint refused the authorization code: used, expired, unknown, or for another redirect_uri (400). */
  | 'ULTRACART_OAUTH_CODE_REJECTED'
  /**
   * The connection no longer works and only the merchant can restore it by connecting again:
   * the refresh token was refused (`invalid_grant`, 401) or UltraCart disabled the app (410) (401).
   */
  | 'ULTRACART_OAUTH_RECONNECT_NEEDED'
  /** An API call's access token was refused (401): refresh it, then retry once. */
  | 'ULTRACART_OAUTH_TOKEN_REJECTED'
  /** UltraCart refused the app's own settings: client id, secret or redirect_uri (500). */
  | 'ULTRACART_OAUTH_CONFIGURATION'
  /** An API call was refused for want of a permission the app was not granted (403). */
  | 'ULTRACART_OAUTH_FORBIDDEN'
  /** 429 from UltraCart (503, with `retryAfter` when UltraCart sent `Retry-After`). */
  | 'ULTRACART_OAUTH_RATE_LIMITED'
  /** No complete answer in `timeoutMs` (504). */
  | 'ULTRACART_OAUTH_TIMEOUT'
  /** UltraCart could not be reached, or answered 5xx (502; 503 for its own 503). */
  | 'ULTRACART_OAUTH_UNAVAILABLE'
  /** An answer we will not act on: a 3xx, not JSON, too large, a 200 without a token (502). */
  | 'ULTRACART_OAUTH_BAD_RESPONSE'
  /** A 4xx that no rule gives a meaning to (502). */
  | 'ULTRACART_OAUTH_HTTP_ERROR';

/** How an {@link UltraCartOAuthError} is built. */
export interface UltraCartOAuthErrorDetails extends UltraCartCallErrorDetails<UltraCartOAuthErrorCode, UltraCartOAuthEndpoint> {
  /** The OAuth `error` code UltraCart answered with (`invalid_grant`), when it used that shape. */
  oauthError?: string | undefined;
}

/**
 * A failed UltraCart OAuth call. `code` is what a program acts on; in particular
 * `ULTRACART_OAUTH_RECONNECT_NEEDED` means: ask the merchant to connect the store again. The raw
 * response is kept as a non-enumerable `response`; the message and the vendor's words hold no
 * secret (they are redacted of every token, code and the client secret sent).
 */
export class UltraCartOAuthError extends UltraCartCallError<UltraCartOAuthErrorCode, UltraCartOAuthEndpoint> {
  /** The OAuth `error` code (`invalid_grant`, `access_denied`...), when UltraCart answered in the OAuth shape. */
  readonly oauthError: string | undefined;

  constructor(message: string, details: UltraCartOAuthErrorDetails) {
    super(message, details);
    this.name = 'UltraCartOAuthError';
    this.oauthError = details.oauthError;
  }

  /** True when only the merchant can fix it, by connecting the store again. */
  get reconnectNeeded(): boolean {
    return this.code === 'ULTRACART_OAUTH_RECONNECT_NEEDED';
  }
}

const LABELS: Record<UltraCartOAuthEndpoint, string> = {
  exchange: 'POST /oauth/token (authorization_code)',
  refresh: 'POST /oauth/token (refresh_token)',
  revoke: 'POST /oauth/revoke',
  api: 'API call',
};

const RECONNECT = {
  meaning: 'session-ended',
  why: 'the connection was revoked or the app disabled: the merchant must connect again',
} as const;
const CONFIGURATION = { meaning: 'configuration', why: 'the client id, secret or redirect_uri was refused' } as const;

/** What each call's 4xx statuses mean when the body names no OAuth error. */
const STATUS_RULES: Record<UltraCartOAuthEndpoint, StatusRules> = {
  // A code the browser brought: 400 is the RFC 6749 status of invalid_grant; 401 is the client's own credential.
  exchange: {
    400: { meaning: 'input-rejected', why: 'the code is used, expired or unknown' },
    401: CONFIGURATION,
    403: CONFIGURATION,
    404: { meaning: 'input-rejected', why: 'the code is used, expired or unknown' },
    410: { meaning: 'configuration', why: 'the application is disabled at UltraCart' },
  },
  refresh: { 400: RECONNECT, 401: RECONNECT, 403: RECONNECT, 410: RECONNECT },
  revoke: { 401: RECONNECT, 410: RECONNECT },
  api: {
    401: { meaning: 'input-rejected', why: 'the access token was refused (expired or revoked)' },
    403: { meaning: 'unexpected', why: 'the app lacks the permission this call needs' },
    410: RECONNECT,
  },
};

/** OAuth error codes (RFC 6749 5.2) that name the app's own configuration, whatever the call. */
const CONFIGURATION_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope']);

function codeFor(endpoint: UltraCartOAuthEndpoint, meaning: UpstreamMeaning, status: number): UltraCartOAuthErrorCode {
  switch (meaning) {
    case 'rate-limited':
      return 'ULTRACART_OAUTH_RATE_LIMITED';
    case 'unavailable':
    case 'server-error':
    case 'dependency-failed':
      return 'ULTRACART_OAUTH_UNAVAILABLE';
    case 'configuration':
      return 'ULTRACART_OAUTH_CONFIGURATION';
    case 'session-ended':
      return 'ULTRACART_OAUTH_RECONNECT_NEEDED';
    case 'input-rejected':
      return endpoint === 'api' ? 'ULTRACART_OAUTH_TOKEN_REJECTED' : 'ULTRACART_OAUTH_CODE_REJECTED';
    case 'unexpected':
      return endpoint === 'api' && status === 403 ? 'ULTRACART_OAUTH_FORBIDDEN' : 'ULTRACART_OAUTH_HTTP_ERROR';
    default:
      return 'ULTRACART_OAUTH_BAD_RESPONSE';
  }
}

const STATUS_OF: Record<UltraCartOAuthErrorCode, number> = {
  ULTRACART_OAUTH_CODE_REJECTED: 400,
  ULTRACART_OAUTH_RECONNECT_NEEDED: 401,
  ULTRACART_OAUTH_TOKEN_REJECTED: 401,
  ULTRACART_OAUTH_CONFIGURATION: 500,
  ULTRACART_OAUTH_FORBIDDEN: 403,
  ULTRACART_OAUTH_RATE_LIMITED: 503,
  ULTRACART_OAUTH_TIMEOUT: 504,
  ULTRACART_OAUTH_UNAVAILABLE: 502,
  ULTRACART_OAUTH_BAD_RESPONSE: 502,
  ULTRACART_OAUTH_HTTP_ERROR: 502,
};

/** The OAuth `error` of a body (`{"error": "invalid_grant"}`), when it has that shape; only a plain code is kept. */
export function oauthErrorOf(body: unknown): string | undefined {
  const error = body && typeof body === 'object' ? (body as { error?: unknown }).error : undefined;
  return typeof error === 'string' && /^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(error) ? error : undefined;
}

/**
 * The error for an answer in either of UltraCart's error shapes, at any status: the OAuth one
 * (`error`, `error_description`) or UltraCart's own (`{error: {developer_message, ...}}` and the
 * `UC-REST-ERROR` header). An OAuth `error` decides the meaning when it has one (a 200 carrying
 * `invalid_grant` is a refused grant, not a success); otherwise the status does.
 */
export function failureOf(endpoint: UltraCartOAuthEndpoint, res: IncomingResponse, secrets: readonly string[]): UltraCartOAuthError {
  const body = parseJson(res.text);
  const oauthError = oauthErrorOf(body);
  const vendor = vendorText(body, res, secrets);
  const description = cleanVendorText((body as { error_description?: unknown } | undefined)?.error_description, secrets);
  const developerMessage = description ?? vendor.developerMessage;
  const verdict = judgeUpstreamStatus(res.status, res.headers['retry-after'], STATUS_RULES[endpoint]);
  let code = codeFor(endpoint, verdict.meaning, res.status);
  let why = verdict.why;
  // A status UltraCart did not mean as an error (a 200 with `error`) or a 4xx: the OAuth code says more.
  if (oauthError !== undefined && (res.status < 300 || (res.status >= 400 && res.status < 500 && res.status !== 429))) {
    if (CONFIGURATION_ERRORS.has(oauthError) && !(endpoint === 'refresh' && res.status === 410)) {
      [code, why] = ['ULTRACART_OAUTH_CONFIGURATION', 'the client id, secret or grant was refused as the app is registered'];
    } else if (oauthError === 'invalid_grant' || oauthError === 'invalid_request') {
      if (endpoint === 'exchange') [code, why] = ['ULTRACART_OAUTH_CODE_REJECTED', 'the code is used, expired or unknown'];
      else if (endpoint === 'refresh') [code, why] = ['ULTRACART_OAUTH_RECONNECT_NEEDED', RECONNECT.why];
    } else if (res.status < 300) {
      [code, why] = ['ULTRACART_OAUTH_BAD_RESPONSE', 'a 200 that reports an error'];
    }
  } else if (res.status < 300) {
    [code, why] = ['ULTRACART_OAUTH_BAD_RESPONSE', 'a 200 that reports an error'];
  }
  const named = oauthError !== undefined ? ` (${oauthError})` : '';
  const summary = developerMessage !== undefined ? `: ${developerMessage}` : vendor.summary;
  return new UltraCartOAuthError(`UltraCart ${LABELS[endpoint]} answered ${res.status}${named}${why ? `: ${why}` : ''}${summary}`, {
    code,
    endpoint,
    status: STATUS_OF[code],
    upstreamStatus: res.status,
    oauthError,
    developerMessage,
    userMessage: vendor.userMessage,
    restError: vendor.restError,
    retryAfter: code === 'ULTRACART_OAUTH_RATE_LIMITED' || res.status === 503 ? verdict.retryAfter : undefined,
    response: res,
  });
}

/** The error for a call that got no complete answer; the transport error, whose message is safe, is the cause. */
export function transportFailure(endpoint: UltraCartOAuthEndpoint, err: unknown): UltraCartOAuthError {
  const label = `UltraCart ${LABELS[endpoint]}`;
  if (err instanceof TransportError) {
    if (err.kind === 'timeout')
      return new UltraCartOAuthError(`${label} timed out`, { code: 'ULTRACART_OAUTH_TIMEOUT', endpoint, status: 504, cause: err });
    if (err.kind === 'too-large' || err.kind === 'encoding') {
      return new UltraCartOAuthError(`${label}: ${err.message}`, {
        code: 'ULTRACART_OAUTH_BAD_RESPONSE',
        endpoint,
        status: 502,
        cause: err,
      });
    }
    return new UltraCartOAuthError(`${label} is unavailable: ${err.message}`, {
      code: 'ULTRACART_OAUTH_UNAVAILABLE',
      endpoint,
      status: 502,
      cause: err,
    });
  }
  // Not kept as the cause: an unexpected error's message could quote the request.
  return new UltraCartOAuthError(`${label} failed unexpectedly`, { code: 'ULTRACART_OAUTH_UNAVAILABLE', endpoint, status: 502 });
}

/** The error for an answer we will not act on. */
export function badResponse(endpoint: UltraCartOAuthEndpoint, why: string, res?: IncomingResponse): UltraCartOAuthError {
  return new UltraCartOAuthError(`UltraCart ${LABELS[endpoint]}: ${why}`, {
    code: 'ULTRACART_OAUTH_BAD_RESPONSE',
    endpoint,
    status: 502,
    upstreamStatus: res?.status,
    response: res,
  });
}

/**
 * The app asked for a connection its token store does not hold (never connected, or
 * disconnected): status 404, code `ULTRACART_OAUTH_NOT_CONNECTED`. Offer to connect the store.
 */
export class UltraCartNotConnectedError extends PassportUltraCartError<'ULTRACART_OAUTH_NOT_CONNECTED'> {
  constructor() {
    super('passport-ultracart: this UltraCart store is not connected (no tokens are stored for the connection)', {
      code: 'ULTRACART_OAUTH_NOT_CONNECTED',
      status: 404,
    });
    this.name = 'UltraCartNotConnectedError';
  }
}

/**
 * Another instance held the connection's refresh lock for longer than the wait allowed, and the
 * tokens did not change meanwhile: status 503, code `ULTRACART_OAUTH_REFRESH_BUSY`. Try again shortly.
 */
export class UltraCartRefreshBusyError extends PassportUltraCartError<'ULTRACART_OAUTH_REFRESH_BUSY'> {
  constructor(waitedMs: number) {
    super(`passport-ultracart: another instance is refreshing this UltraCart connection; gave up after ${waitedMs} ms`, {
      code: 'ULTRACART_OAUTH_REFRESH_BUSY',
      status: 503,
      retryAfter: 1,
    });
    this.name = 'UltraCartRefreshBusyError';
  }
}
