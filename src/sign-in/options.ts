import type { StateStore } from './pending/types.js';
import type { UsedStateLedger } from './used-states/ledger.js';

/** The options every strategy of the package takes. `undefined` counts as absent for every optional key. */
export interface SignInOptions {
  /**
   * The absolute URL the vendor sends the browser back to, sent verbatim as `redirect_uri`. It
   * must be https, except on a loopback host during development. Never derived from request
   * headers. May be typed `string | undefined`, as `process.env` gives it: undefined is refused at
   * construction.
   */
  callbackURL: string | undefined;
  /** Register under another name than the strategy's default. Pending sign-ins are kept per name. */
  name?: string | undefined;
  /**
   * Where pending sign-ins are kept. Default: a `SessionStateStore` in `req.session`, under
   * `<name>:pending`. Each strategy sees only its own entries, whichever store it is given.
   */
  stateStore?: StateStore | undefined;
  /**
   * Where used states are recorded, so each is honoured once. Default: one in-memory ledger shared
   * by every strategy of the process. Behind a load balancer, give every instance the same shared
   * ledger (a `RedisUsedStateLedger`); if it cannot be reached the callback fails with a 503.
   */
  usedStates?: UsedStateLedger | undefined;
  /** Longest time between the authorize leg and the callback. Default and maximum 10 minutes. */
  stateTtlMs?: number | undefined;
  /** A query parameter of the sign-in route whose value, if a safe same-origin path, becomes `returnTo`. Off by default. */
  returnToParam?: string | undefined;
  /**
   * Where a signed-in user who opens the callback with no sign-in pending is sent (a bookmarked or
   * reloaded callback): a same-origin path, default `/`. `false` fails the callback instead, as for
   * anyone else. Not used under `passport.authorize()`, whose user is always signed in.
   */
  signedInRedirect?: string | false | undefined;
  /**
   * How long to wait for the verify function to answer (return a promise that settles, or call
   * `done`) before the sign-in ends in a `VerifyTimeoutError` and what the vendor issued is
   * revoked. Default 30 000 ms.
   */
  verifyTimeoutMs?: number | undefined;
}
