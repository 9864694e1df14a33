import type { IncomingMessage } from 'node:http';

/** One sign-in started by this browser and not yet finished. */
export interface PendingSignIn {
  /** The state sent to the vendor, 43 base64url characters. */
  state: string;
  /**
   * The `name` of the strategy that started it. A callback is accepted only by that strategy, so a
   * state issued for one vendor cannot carry another vendor's code (a mix-up, RFC 9700 4.4). A
   * store of one's own must keep this field as it was saved; a record without it is refused.
   */
  strategy?: string;
  /** Epoch milliseconds after which the callback is refused. */
  expiresAt: number;
  /** A validated same-origin path to return to after sign-in. */
  returnTo?: string;
  /**
   * OpenID Connect flows only: the PKCE `code_verifier`. A secret until the token call: a store
   * that hands its records to the browser must encrypt it (`CookieStateStore` does).
   */
  codeVerifier?: string;
  /** OpenID Connect flows only: the `nonce` the ID token must carry. */
  nonce?: string;
}

/** What a {@link StateStore}'s `take` found. */
export interface TakeResult {
  /** The pending sign-in whose state matched, now removed from the store. */
  pending: PendingSignIn | undefined;
  /** Whether this browser had any pending sign-in at all: tells a forged state from a lost cookie. */
  hadPending: boolean;
}

/**
 * The attributes of the cookie that carries a browser's pending sign-ins back to the callback, as
 * far as the store can tell. The strategy reads them to diagnose a cookie that cannot come back.
 */
export interface StateCookieSettings {
  /** The cookie is sent over https only. */
  secure: boolean;
  /**
   * A Secure cookie is not even set on a request the app sees as plain http (express-session
   * behaves so): the sign-in then cannot work, and the strategy refuses it before calling the vendor.
   */
  notSetOverHttp?: boolean;
  /** `strict` cookies are not sent on the return from the vendor, a cross-site navigation. */
  sameSite: 'strict' | 'lax' | 'none' | undefined;
}

/**
 * Where pending sign-ins live between the authorize leg and the callback. The default keeps them
 * in `req.session`; `CookieStateStore`-like stores can keep them elsewhere.
 *
 * Each strategy keeps its own: `save` receives a record whose `strategy` names its owner, and
 * `take` is told which strategy asks, so a callback to one strategy never sees, nor uses up,
 * another's. `take` must be destructive: it removes the matching entry, or, when `state` is
 * undefined or matches nothing, every pending entry of that strategy in this browser (the
 * strategy asks for that only when the state is a guess, not one it issued), so a wrong guess
 * uses up the real state too. Comparisons must be constant-time.
 */
export interface StateStore {
  /** Optional: throws when nothing could be saved for this request (no session), before any call to the vendor. */
  ready?(req: IncomingMessage): void;
  /** Optional: the cookie this store relies on for `req`, when it can tell (for diagnoses only). */
  cookieSettings?(req: IncomingMessage): StateCookieSettings | undefined;
  save(req: IncomingMessage, pending: PendingSignIn): Promise<void>;
  /**
   * Removes and returns the entry of `strategy` whose state is `state`. With `keepOthers`, a
   * state that matches nothing leaves the other entries in place (the strategy issued that state,
   * so it is not a guess).
   */
  take(req: IncomingMessage, state: string | undefined, scope?: TakeScope): Promise<TakeResult>;
}

/** Which strategy is taking a pending sign-in, and whether a miss uses up the rest. */
export interface TakeScope {
  /** The `name` of the strategy whose callback this is. */
  strategy: string;
  /** Leave this strategy's other entries in place when nothing matches. */
  keepOthers?: boolean;
}
