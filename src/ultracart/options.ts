import type { IncomingMessage } from 'node:http';
import type { UltraCartConnectionSettings, UltraCartCredential } from './client.js';
import type { UsedStateLedger } from '../sign-in/used-states/ledger.js';
import type { StateStore } from '../sign-in/pending/types.js';
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

/** The callback a callback-style verify calls: `done(err)`, `done(null, user, info?)`, or `done(null, false, { message })` to refuse. */
export type VerifyDone = (err: unknown, user?: unknown, info?: object) => void;

/**
 * Decides who signs in. Either style works, decided by what it returns rather than by how many
 * parameters it declares: return a promise (of the user, or `false` to refuse), or return nothing
 * and call `done`. A returned value that is not a promise is not taken as the answer; the strategy
 * waits for `done`, up to `verifyTimeoutMs`.
 */
export type VerifyFunction = (
  simpleKey: string,
  token: UltraCartToken,
  profile: UltraCartProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

/** A {@link VerifyFunction} that takes the request first (`passReqToCallback: true`). */
export type VerifyFunctionWithRequest = (
  req: IncomingMessage,
  simpleKey: string,
  token: UltraCartToken,
  profile: UltraCartProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

/** The strategy's options besides the credential and `passReqToCallback`. `undefined` counts as absent for every optional key. */
export interface BaseStrategyOptions extends UltraCartConnectionSettings {
  /**
   * The absolute URL UltraCart sends the browser back to, sent verbatim as `redirect_uri`. It must
   * be https, except on a loopback host during development. Never derived from request headers.
   * May be typed `string | undefined`, as `process.env` gives it: undefined is refused at construction.
   */
  callbackURL: string | undefined;
  /** Origins the browser may be sent to for login. Default: `https://secure.ultracart.com` and the origin of `baseURL`. */
  allowedRedirectOrigins?: string[] | undefined;
  /** Where pending sign-ins are kept. Default: a `SessionStateStore` in `req.session`. */
  stateStore?: StateStore | undefined;
  /**
   * Where used states are recorded, so each is honoured once. Default: one in-memory ledger shared
   * by every strategy of the process. Behind a load balancer, give every instance the same shared
   * ledger (a `RedisUsedStateLedger`); if it cannot be reached the callback fails with a 503.
   */
  usedStates?: UsedStateLedger | undefined;
  /** Longest time between the authorize leg and the callback. Default and maximum 10 minutes. */
  stateTtlMs?: number | undefined;
  /**
   * Refuse a sign-in whose `ip_address` (the IP UltraCart saw) differs from `req.ip`, and revoke
   * the key. Set Express's `trust proxy` to your exact hop count first. Default false.
   */
  lockToIp?: boolean | undefined;
  /** A query parameter of the sign-in route whose value, if a safe same-origin path, becomes `returnTo`. Off by default. */
  returnToParam?: string | undefined;
  /**
   * Where a signed-in user who opens the callback with no sign-in pending is sent (a bookmarked or
   * reloaded callback): a same-origin path, default `/`. `false` fails the callback instead, as for
   * anyone else.
   */
  signedInRedirect?: string | false | undefined;
  /**
   * How long to wait for the verify function to answer (return a promise that settles, or call
   * `done`) before the sign-in ends in an error and the key is revoked. Default 30 000 ms.
   */
  verifyTimeoutMs?: number | undefined;
  /** Register under another name than `ultracart`. */
  name?: string | undefined;
  /**
   * How long a sign-in is trusted when UltraCart sends an `expiration_dts` that cannot be read or
   * names no time zone: `token.expiresAt` and `req.authInfo.expiresAt` become now plus this, and
   * the app's session should end then. A readable expiry is used as sent. Default one hour.
   */
  unknownExpiryMaxAgeMs?: number | undefined;
}

/** Options of a strategy whose verify function does not take the request. */
export type StrategyOptions = BaseStrategyOptions & UltraCartCredential & { passReqToCallback?: false | undefined };

/** Options of a strategy whose verify function takes the request first. */
export type StrategyOptionsWithRequest = BaseStrategyOptions & UltraCartCredential & { passReqToCallback: true };

/**
 * Options passed per route. With @types/passport installed they can be written inline (the package
 * adds `returnTo` to Passport's own options type); this type also works without @types/passport.
 *
 * @example
 * app.get('/auth/ultracart', passport.authenticate('ultracart', { returnTo: '/orders' }));
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
