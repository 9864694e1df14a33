import type { IncomingMessage } from 'node:http';
import type { UltraCartConnectionSettings, UltraCartCredential } from './client.js';
import type { SignInOptions } from '../sign-in/options.js';
import type { SignInRouteOptions } from '../sign-in/strategy.js';
import type { VerifyDone } from '../sign-in/run-verify.js';
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

export type { VerifyDone };

/**
 * Decides who signs in. Either style works, decided by what it returns rather than by how many
 * parameters it declares: return a promise (of the user, or `false` to refuse), or return nothing
 * and call `done`. A returned value that is not a promise is not taken as the answer; the strategy
 * waits for `done`, up to `verifyTimeoutMs`.
 */
export type UltraCartVerifyFunction = (
  simpleKey: string,
  token: UltraCartToken,
  profile: UltraCartProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

/** An {@link UltraCartVerifyFunction} that takes the request first (`passReqToCallback: true`). */
export type UltraCartVerifyFunctionWithRequest = (
  req: IncomingMessage,
  simpleKey: string,
  token: UltraCartToken,
  profile: UltraCartProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

/** The strategy's options besides the credential and `passReqToCallback`. `undefined` counts as absent for every optional key. */
export interface UltraCartBaseStrategyOptions extends UltraCartConnectionSettings, SignInOptions {
  /** Origins the browser may be sent to for login. Default: `https://secure.ultracart.com` and the origin of `baseURL`. */
  allowedRedirectOrigins?: string[] | undefined;
  /**
   * Refuse a sign-in whose `ip_address` (the IP UltraCart saw) differs from `req.ip`, and revoke
   * the key. Set Express's `trust proxy` to your exact hop count first. Default false.
   */
  lockToIp?: boolean | undefined;
  /**
   * How long a sign-in is trusted when UltraCart sends an `expiration_dts` that cannot be read or
   * names no time zone: `token.expiresAt` and `req.authInfo.expiresAt` become now plus this, and
   * the app's session should end then. A readable expiry is used as sent. Default one hour.
   */
  unknownExpiryMaxAgeMs?: number | undefined;
}

/** Options of an `UltraCartStrategy` whose verify function does not take the request. */
export type UltraCartStrategyOptions = UltraCartBaseStrategyOptions & UltraCartCredential & { passReqToCallback?: false | undefined };

/** Options of an `UltraCartStrategy` whose verify function takes the request first. */
export type UltraCartStrategyOptionsWithRequest = UltraCartBaseStrategyOptions & UltraCartCredential & { passReqToCallback: true };

/** @deprecated Renamed {@link UltraCartStrategyOptions}; this name goes in 1.0. */
export type StrategyOptions = UltraCartStrategyOptions;
/** @deprecated Renamed {@link UltraCartStrategyOptionsWithRequest}; this name goes in 1.0. */
export type StrategyOptionsWithRequest = UltraCartStrategyOptionsWithRequest;
/** @deprecated Renamed {@link UltraCartVerifyFunction}; this name goes in 1.0. */
export type VerifyFunction = UltraCartVerifyFunction;
/** @deprecated Renamed {@link UltraCartVerifyFunctionWithRequest}; this name goes in 1.0. */
export type VerifyFunctionWithRequest = UltraCartVerifyFunctionWithRequest;

/**
 * Options passed per route. With @types/passport installed they can be written inline (the package
 * adds `returnTo` to Passport's own options type); this type also works without @types/passport.
 *
 * @example
 * app.get('/auth/ultracart', passport.authenticate('ultracart', { returnTo: '/orders' }));
 */
export interface UltraCartAuthenticateOptions extends SignInRouteOptions {
  // Passport's own options, declared here so a value of this type can be handed to passport.authenticate().
  session?: boolean | undefined;
  successRedirect?: string | undefined;
  successReturnToOrRedirect?: string | undefined;
  failureRedirect?: string | undefined;
  failureMessage?: boolean | string | undefined;
  failureFlash?: boolean | string | undefined;
  failWithError?: boolean | undefined;
  keepSessionInfo?: boolean | undefined;
  authInfo?: boolean | undefined;
}
