import type { IncomingMessage } from 'node:http';
import type { UltraCartConnectionOptions } from './client.js';
import type { UsedStateLedger } from '../state/used-states.js';
import type { StateStore } from './state/types.js';
import type { UltraCartProfile } from './user.js';

/** What the strategy learnt from `PUT /sso/token`, handed to the verify function. */
export interface UltraCartToken {
  /** The user's simple key: it acts as this UltraCart user. Keep it server-side. */
  simpleKey: string;
  /** When the key stops working; end the app's session no later than this. */
  expiresAt: Date | null;
  /** The IP address UltraCart saw approve the login. */
  ipAddress: string | null;
}

export type VerifyDone = (err: unknown, user?: unknown, info?: object) => void;

export type VerifyFunction = (
  simpleKey: string,
  token: UltraCartToken,
  profile: UltraCartProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

export type VerifyFunctionWithRequest = (
  req: IncomingMessage,
  simpleKey: string,
  token: UltraCartToken,
  profile: UltraCartProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

export interface BaseStrategyOptions extends UltraCartConnectionOptions {
  /**
   * The absolute URL UltraCart sends the browser back to, sent verbatim as `redirect_uri`. It must
   * be https, except on a loopback host during development. Never derived from request headers.
   */
  callbackURL: string;
  /** Origins the browser may be sent to for login. Default: `https://secure.ultracart.com` and the origin of `baseURL`. */
  allowedRedirectOrigins?: string[];
  /** Where pending sign-ins are kept. Default: a `SessionStateStore` in `req.session`. */
  stateStore?: StateStore;
  /**
   * Where used states are recorded, so each is honoured once. Default: one in-memory ledger shared
   * by every strategy of the process. Behind a load balancer, give every instance the same shared
   * ledger (a `RedisUsedStateLedger`); if it cannot be reached the callback fails with a 503.
   */
  usedStates?: UsedStateLedger;
  /** Longest time between the authorize leg and the callback. Default and maximum 10 minutes. */
  stateTtlMs?: number;
  /**
   * Refuse a sign-in whose `ip_address` (the IP UltraCart saw) differs from `req.ip`, and revoke
   * the key. Set Express's `trust proxy` to your exact hop count first. Default false.
   */
  lockToIp?: boolean;
  /** A query parameter of the sign-in route whose value, if a safe same-origin path, becomes `returnTo`. Off by default. */
  returnToParam?: string;
  /** Register under another name than `ultracart`. */
  name?: string;
  /**
   * How long a sign-in is trusted when UltraCart sends an `expiration_dts` that cannot be read or
   * names no time zone: `token.expiresAt` and `req.authInfo.expiresAt` become now plus this, and
   * the app's session should end then. A readable expiry is used as sent. Default one hour.
   */
  unknownExpiryMaxAgeMs?: number;
}

export interface StrategyOptions extends BaseStrategyOptions {
  passReqToCallback?: false;
}

export interface StrategyOptionsWithRequest extends BaseStrategyOptions {
  passReqToCallback: true;
}

/**
 * Options passed per route. Declare the object with this type: @types/passport's own options type
 * does not know `returnTo`, so an inline literal would not type-check.
 *
 * @example
 * const options: UltraCartAuthenticateOptions = { returnTo: '/orders' };
 * app.get('/auth/ultracart', passport.authenticate('ultracart', options));
 */
export interface UltraCartAuthenticateOptions {
  /** A same-origin path to come back to; anything else is ignored. Returned as `req.authInfo.returnTo`. */
  returnTo?: string;
  // Passport's own options, declared here so a value of this type can be handed to passport.authenticate().
  session?: boolean;
  successRedirect?: string;
  successReturnToOrRedirect?: string;
  failureRedirect?: string;
  failureMessage?: boolean | string;
  failureFlash?: boolean | string;
  failWithError?: boolean;
  keepSessionInfo?: boolean;
  authInfo?: boolean;
}

export const MAX_STATE_TTL_MS = 10 * 60 * 1000;
export const DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS = 60 * 60 * 1000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Validates the callback URL once, at construction. The string itself is what UltraCart receives. */
export function parseCallbackURL(value: unknown): URL {
  if (typeof value !== 'string' || value === '') throw new TypeError('UltraCartStrategy requires a callbackURL option');
  if (value.trim() !== value || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new TypeError('UltraCartStrategy: the callbackURL option must not contain whitespace or control characters');
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(
      'UltraCartStrategy: the callbackURL option must be an absolute URL such as https://shop.example.com/auth/ultracart/callback',
    );
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TypeError('UltraCartStrategy: the callbackURL option must be https (plain http is allowed only on localhost)');
  }
  if (url.username || url.password || url.hash) {
    throw new TypeError('UltraCartStrategy: the callbackURL option must not carry userinfo or a fragment');
  }
  return url;
}

export function parseStateTtl(value: unknown): number {
  if (value === undefined) return MAX_STATE_TTL_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1000 || value > MAX_STATE_TTL_MS) {
    throw new TypeError('UltraCartStrategy: the stateTtlMs option must be an integer from 1000 to 600000');
  }
  return value;
}

export function parseUnknownExpiryMaxAge(value: unknown): number {
  if (value === undefined) return DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1000) {
    throw new TypeError('UltraCartStrategy: the unknownExpiryMaxAgeMs option must be an integer of at least 1000');
  }
  return value;
}
