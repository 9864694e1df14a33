import type { IncomingMessage } from 'node:http';
import type { SignInOptions } from '../../sign-in/options.js';
import type { VerifyDone } from '../../sign-in/run-verify.js';
import type { UltraCartAuthenticateOptions } from '../options.js';
import type { UltraCartOAuthClientOptions } from './client.js';
import type { MerchantLookup, UltraCartOAuthProfile } from './profile.js';
import type { UltraCartOAuthTokens } from './tokens.js';

/**
 * Decides what to do with a connected store: return a promise (of what Passport should keep,
 * e.g. `{ merchantId, tokens }`, or `false` to refuse), or call `done`. Refusing, throwing or
 * timing out revokes the tokens at UltraCart.
 */
export type UltraCartOAuthVerifyFunction = (
  tokens: UltraCartOAuthTokens,
  profile: UltraCartOAuthProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

/** An {@link UltraCartOAuthVerifyFunction} that takes the request first (`passReqToCallback: true`). */
export type UltraCartOAuthVerifyFunctionWithRequest = (
  req: IncomingMessage,
  tokens: UltraCartOAuthTokens,
  profile: UltraCartOAuthProfile,
  done: VerifyDone,
) => void | Promise<unknown>;

/** The strategy's options besides `passReqToCallback`; `undefined` counts as absent for every optional key. */
export interface UltraCartOAuthBaseOptions extends UltraCartOAuthClientOptions, SignInOptions {
  /**
   * How to learn the merchant id once connected, since UltraCart has no "who am I" call: a path
   * whose answer carries `merchant_id` (`'/item/items?_limit=1'`, needs `item_read`), or
   * `{ path, read }`. Default `false`: no call, and `profile.merchantId` is null.
   */
  merchantLookup?: string | MerchantLookup | false | undefined;
}

/** Options of a strategy whose verify function does not take the request. */
export type UltraCartOAuthStrategyOptions = UltraCartOAuthBaseOptions & { passReqToCallback?: false | undefined };
/** Options of a strategy whose verify function takes the request first. */
export type UltraCartOAuthStrategyOptionsWithRequest = UltraCartOAuthBaseOptions & { passReqToCallback: true };

/** Options per route: the same as the SSO strategy's (`returnTo` and Passport's own). */
export type UltraCartOAuthAuthenticateOptions = UltraCartAuthenticateOptions;

/** What `req.authInfo` (or, with `passport.authorize()`, the info beside `req.account`) holds after a connection. */
export interface UltraCartOAuthInfo {
  /** The validated same-origin path given at the authorize leg, if any. */
  returnTo?: string;
  /** When the access token expires, or null when UltraCart did not say. */
  expiresAt: Date | null;
  scopes: string[];
  [fromVerify: string]: unknown;
}
