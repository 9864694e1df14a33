import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathnameOf, protectRedirect } from '../http/callback-request.js';
import { queryOf, hasParam, readParam, type QueryParam } from '../http/query.js';
import { safeReturnTo } from '../http/return-to.js';
import { PassportUltraCartError } from '../http/errors.js';
import { log } from '../log.js';
import { SignInDiagnostics } from './diagnose.js';
import { releaseIfLogInFails } from './log-in-guard.js';
import { DEFAULT_VERIFY_TIMEOUT_MS, MAX_STATE_TTL_MS, type SignInOptionValues } from './option-rules.js';
import { SessionStateStore } from './pending/session-store.js';
import { createState, isIssuedState, looksLikeState } from './pending/state-value.js';
import type { PendingSignIn, StateStore } from './pending/types.js';
import { StrategyBase } from './passport-base.js';
import { deliverRefusal, type Refusal, type RefusalOptions } from './refusal.js';
import type { SharedFailureReason } from './reasons.js';
import { runVerify, type VerifyDone, type VerifyOutcome } from './run-verify.js';
import { hasSession, isSignedIn } from './session-access.js';
import { claimOnce } from './used-states/claim.js';
import { processUsedStates, type UsedStateLedger } from './used-states/ledger.js';

/** The route options every strategy reads (Passport's own, and `returnTo`). */
export interface SignInRouteOptions extends RefusalOptions {
  /** A same-origin path to come back to; anything else is ignored. Returned as `req.authInfo.returnTo`. */
  returnTo?: string | undefined;
  /** Set by `passport.authorize()`. */
  assignProperty?: string | undefined;
}

/** The callback's parameters (query, or a posted form), or why they could not be read. */
export type CallbackInput = { ok: true; params: Record<string, unknown> } | { ok: false; reason: 'stateMalformed' | 'formUnreadable' };

/** Where the vendor's authorize step sends the browser, and what to keep for the callback. */
export interface AuthorizationRequest {
  /** The URL to send the browser to, already checked against the vendor's redirect policy. */
  url: string;
  /** The vendor's own deadline for the sign-in (epoch ms), if it gave one: the pending sign-in expires no later. */
  expiresAt?: number | undefined;
  /** Vendor data the callback needs (a PKCE verifier, a nonce), kept with the state. */
  pending?: Pick<PendingSignIn, 'codeVerifier' | 'nonce'>;
}

/** What the vendor gave for a good code: what verify receives and what ends it if nobody holds it. */
export interface Grant {
  /** Handed to verify in this order, after `req` with `passReqToCallback`, before `done`. */
  verifyArgs: readonly unknown[];
  /** Added to `req.authInfo` on success (after verify's own info, which it cannot override). */
  authInfo: object;
  /** Ends the credential the vendor issued, when nobody will hold it (verify refused or failed, the session could not be saved). */
  release?: () => Promise<void>;
}

/** A refusal decided by the vendor's code: the reason and the status of the Passport `fail`. */
export interface Refused<Reason extends string> {
  refuse: Reason;
  status: number;
}

/** A verify function of any strategy's style, as the core runs it (see run-verify.ts). */
export type AnyVerifyFunction = (...args: never[]) => unknown;

/** What a strategy built on the core tells it once, at construction. */
export interface SignInInit<Reason extends string> {
  /** The class the user called, for messages (`UltraCartStrategy`). */
  owner: string;
  /** The name Passport knows the strategy by when the options give none. */
  defaultName: string;
  /** The strategy's options, as its schema read them. */
  options: SignInOptionValues;
  /** Every message the strategy can fail with, by reason. */
  messages: Readonly<Record<Reason | SharedFailureReason, string>>;
  /** The vendor's name, for the set-up warnings. */
  vendor: string;
  verify: AnyVerifyFunction;
  /** States and codes we issue or accept are far shorter: anything longer is refused unread. */
  maxParamLength: number;
}

/**
 * The vendor-neutral Passport strategy every strategy of the package is built on. It owns the
 * flow's every step that does not depend on the vendor: the pending sign-in (a fresh state, kept
 * per strategy, with an expiry and the return path), the callback gate (the state checked and
 * used up before anything else is read, single use across concurrent callbacks, expiry), the
 * diagnosis of a callback that finds nothing pending, the verify call in either style within a
 * deadline, refusals that create no session, and the redirect headers.
 *
 * A vendor's strategy implements two hooks, `authorizationRequest` (where to send the browser)
 * and `redeem` (what a code is worth), and may override the others.
 */
export abstract class SignInStrategy<Reason extends string = SharedFailureReason> extends StrategyBase {
  /** Passport's name for it; pending sign-ins are kept per name. */
  override name: string;
  /** The class the user called, for messages. */
  private readonly owner: string;
  private readonly callbackURL: string;
  private readonly callbackPath: string;
  private readonly stateStore: StateStore;
  private readonly usedStates: UsedStateLedger;
  private readonly stateTtlMs: number;
  private readonly returnToParam: string | undefined;
  private readonly signedInRedirect: string | false;
  private readonly verifyTimeoutMs: number;
  private readonly passReqToCallback: boolean;
  private readonly verifyFunction: (...args: unknown[]) => unknown;
  private readonly messages: Readonly<Record<string, string>>;
  private readonly diagnostics: SignInDiagnostics;
  private readonly maxParamLength: number;

  protected constructor(init: SignInInit<Reason>) {
    super();
    if (typeof init.verify !== 'function') throw new TypeError(`${init.owner} requires a verify function`);
    const { options } = init;
    this.owner = init.owner;
    this.name = options.name ?? init.defaultName;
    this.callbackURL = options.callbackURL;
    const callback = new URL(options.callbackURL);
    this.callbackPath = callback.pathname;
    this.stateStore = options.stateStore ?? new SessionStateStore();
    this.usedStates = options.usedStates ?? processUsedStates;
    this.stateTtlMs = options.stateTtlMs ?? MAX_STATE_TTL_MS;
    this.returnToParam = options.returnToParam;
    this.signedInRedirect = options.signedInRedirect ?? '/';
    this.verifyTimeoutMs = options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    this.passReqToCallback = options.passReqToCallback === true;
    this.verifyFunction = init.verify as (...args: unknown[]) => unknown;
    this.messages = init.messages;
    this.maxParamLength = init.maxParamLength;
    this.diagnostics = new SignInDiagnostics({ callbackURL: callback, stateTtlMs: this.stateTtlMs, vendor: init.vendor });
  }

  /** The `redirect_uri` the vendor sends the browser back to, as configured. */
  protected get redirectURI(): string {
    return this.callbackURL;
  }

  override authenticate(req: IncomingMessage, options: SignInRouteOptions = {}): void {
    this.route(req, options).catch((err: unknown) => {
      const res = (req as { res?: ServerResponse }).res;
      if (err instanceof PassportUltraCartError && err.retryAfter !== undefined && res && !res.headersSent) {
        res.setHeader('Retry-After', String(err.retryAfter));
      }
      this.error(err);
    });
  }

  /**
   * Where to send the browser for `state`: the vendor's authorize URL (checked against where the
   * vendor may send people), its deadline, and what the callback will need.
   */
  protected abstract authorizationRequest(req: IncomingMessage, state: string): Promise<AuthorizationRequest>;

  /**
   * What the callback's `code` is worth, once the state has been checked and used up: a grant,
   * or a refusal (the browser's fault). Throws for what broke upstream; a credential it obtained
   * and cannot hand on must be ended before it throws.
   */
  protected abstract redeem(
    req: IncomingMessage,
    code: string,
    pending: PendingSignIn,
    params: Record<string, unknown>,
  ): Promise<Grant | Refused<Reason | SharedFailureReason>>;

  /** The callback's parameters. Default: the query; a `form_post` flow reads the posted form too. */
  protected async callbackParams(req: IncomingMessage): Promise<CallbackInput> {
    return { ok: true, params: queryOf(req) };
  }

  /** What an `error` parameter on the callback means; read only after the state was accepted. */
  protected callbackError(error: QueryParam): Refused<Reason | SharedFailureReason> {
    return { refuse: error.kind === 'string' && error.value === 'access_denied' ? 'denied' : 'upstreamRefused', status: 401 };
  }

  /**
   * Where the user comes back to after signing in, decided on the authorize leg and kept with the
   * state: by default the route's `returnTo` option, else the `returnToParam` query parameter. A
   * subclass may override it (to read a header, or its own session key); whatever it returns is
   * still checked by `safeReturnTo`, so it cannot become an open redirect.
   */
  protected returnToFor(req: IncomingMessage, options: SignInRouteOptions): string | undefined {
    if (options.returnTo !== undefined) return safeReturnTo(options.returnTo);
    if (this.returnToParam === undefined) return undefined;
    const param = readParam(queryOf(req), this.returnToParam);
    return param.kind === 'string' ? safeReturnTo(param.value) : undefined;
  }

  private async route(req: IncomingMessage, options: SignInRouteOptions): Promise<void> {
    const input = await this.callbackParams(req);
    if (!input.ok) {
      protectRedirect(req);
      return this.refuse(req, options, hasSession(req), input.reason, 400);
    }
    if (this.isCallback(req, input.params)) return this.finishSignIn(req, input.params, options);
    return this.startSignIn(req, options);
  }

  /** Authorize leg: a fresh state, remembered with what the callback needs, then the browser goes to the vendor. */
  private async startSignIn(req: IncomingMessage, options: SignInRouteOptions): Promise<void> {
    // A misconfigured app (no session) should not spend a vendor call per attempt.
    this.stateStore.ready?.(req);
    const state = createState();
    const cannotWork = this.diagnostics.atAuthorize(req, this.stateStore.cookieSettings?.(req), state);
    if (cannotWork) return this.refuse(req, options, hasSession(req), cannotWork, 500);
    const returnTo = safeReturnTo(this.returnToFor(req, options));
    const request = await this.authorizationRequest(req, state);

    const now = Date.now();
    let expiresAt = now + this.stateTtlMs;
    // An expiry already in the past is clock skew, not a reason to refuse every sign-in.
    if (request.expiresAt !== undefined && request.expiresAt > now) expiresAt = Math.min(expiresAt, request.expiresAt);
    const pending: PendingSignIn = {
      state,
      strategy: this.name,
      expiresAt,
      ...request.pending,
      ...(returnTo !== undefined && { returnTo }),
    };
    await this.stateStore.save(req, pending);

    if (log.strategy.enabled) log.strategy('%s authorize leg: redirecting to the vendor', this.name);
    protectRedirect(req);
    this.redirect(request.url);
  }

  /** Callback leg. The state is checked, and used up, before any other parameter is read. */
  private async finishSignIn(req: IncomingMessage, params: Record<string, unknown>, options: SignInRouteOptions): Promise<void> {
    protectRedirect(req);
    // Asked before take() empties it: a refusal keeps its message only in a session the browser already had.
    const hadSession = hasSession(req);
    const refuse = (reason: Reason | SharedFailureReason, status: number, refusal?: Refusal): void =>
      this.refuse(req, options, hadSession, reason, status, refusal);

    const admitted = await this.admit(req, params, options);
    if (admitted === 'signed-in') return this.redirect(this.signedInRedirect as string);
    if ('refuse' in admitted) return refuse(admitted.refuse, admitted.status);
    const pending = admitted;

    if (hasParam(params, 'error')) {
      const refused = this.callbackError(readParam(params, 'error'));
      return refuse(refused.refuse, refused.status);
    }
    const code = readParam(params, 'code');
    if (code.kind === 'absent' || (code.kind === 'string' && code.value === '')) return refuse('missingCode', 400);
    if (code.kind !== 'string' || code.value.length > this.maxParamLength) return refuse('malformedCode', 400);

    const grant = await this.redeem(req, code.value, pending, params);
    if ('refuse' in grant) return refuse(grant.refuse, grant.status);

    let outcome: VerifyOutcome;
    try {
      outcome = await this.callVerify(req, grant.verifyArgs);
    } catch (err) {
      // Nobody will hold what the vendor issued: end it.
      await grant.release?.();
      throw err;
    }
    const { user, info } = outcome;
    if (!user) {
      await grant.release?.();
      const message =
        typeof (info as { message?: unknown } | undefined)?.message === 'string' ? (info as { message: string }).message : undefined;
      return refuse('notAllowed', 403, { ...info, message: message ?? this.messages.notAllowed!, reason: 'notAllowed' });
    }
    if (log.strategy.enabled) log.strategy('%s callback leg: signed in', this.name);
    const authInfo: Record<string, unknown> = { ...info, ...grant.authInfo };
    // Checked again on the way out: a state store hands back whatever was saved, and this becomes a Location.
    const returnTo = safeReturnTo(pending.returnTo);
    if (returnTo !== undefined) authInfo.returnTo = returnTo;
    if (grant.release) releaseIfLogInFails(req, grant.release);
    this.success(user, authInfo);
  }

  /**
   * The callback gate, in this order: the state is taken from the store whatever follows (so a
   * guessed state also uses up the real one), then checked for shape, for a match, for its
   * owner, for its expiry, and claimed in the used-state ledger, so that of two callbacks with one
   * state, racing or replayed, only the first goes on.
   */
  private async admit(
    req: IncomingMessage,
    params: Record<string, unknown>,
    options: SignInRouteOptions,
  ): Promise<PendingSignIn | Refused<SharedFailureReason> | 'signed-in'> {
    const stateParam = readParam(params, 'state');
    const offered = stateParam.kind === 'string' && looksLikeState(stateParam.value) ? stateParam.value : undefined;
    const scope = { strategy: this.name, keepOthers: true };
    const { pending, hadPending } = await this.stateStore.take(req, offered, scope);
    // A state that matched nothing uses up this browser's other sign-ins, unless some strategy of
    // ours issued it (another tab's lost entry, another browser's): that one is not a guess.
    if (!pending && hadPending && (offered === undefined || !isIssuedState(offered))) {
      await this.stateStore.take(req, undefined, { strategy: this.name });
    }

    if (stateParam.kind === 'not-a-string') return { refuse: 'stateMalformed', status: 400 };
    if (stateParam.kind === 'string' && stateParam.value.length > this.maxParamLength) return { refuse: 'stateMalformed', status: 400 };
    if (!pending) {
      // A reloaded or bookmarked callback of a user already signed in; not under authorize(), whose user always is.
      if (!hadPending && this.signedInRedirect !== false && options.assignProperty === undefined && isSignedIn(req)) {
        log.strategy('%s callback without a pending sign-in from a signed-in user: sent to signedInRedirect', this.name);
        return 'signed-in';
      }
      const cookie = this.stateStore.cookieSettings?.(req);
      return { refuse: this.diagnostics.noPendingReason(req, offered, hadPending, cookie), status: 403 };
    }
    if (pending.strategy !== this.name) {
      // Saved before pending sign-ins were kept per strategy, or handed back by a store that mixes them up.
      return { refuse: pending.strategy === undefined ? 'startedBeforeUpgrade' : 'stateMismatch', status: 403 };
    }
    if (pending.expiresAt <= Date.now()) return { refuse: 'expired', status: 403 };
    if (!(await claimOnce(this.usedStates, pending.state, pending.expiresAt))) return { refuse: 'alreadyUsed', status: 403 };
    this.diagnostics.recordFinished(pending.state);
    return pending;
  }

  /** Fails the request in a way that neither creates nor grows a session (see `deliverRefusal`). */
  private refuse(
    req: IncomingMessage,
    options: SignInRouteOptions,
    hadSession: boolean,
    reason: string,
    status: number,
    refusal: Refusal = { message: this.messages[reason] ?? reason, reason },
  ): void {
    log.strategy('callback refused: %s (%s)', reason, this.name);
    const delivery = deliverRefusal(req, options, refusal, hadSession);
    if ('redirect' in delivery) return this.redirect(delivery.redirect);
    this.fail(delivery.fail as { message: string }, status);
  }

  private isCallback(req: IncomingMessage, params: Record<string, unknown>): boolean {
    if (hasParam(params, 'state') || hasParam(params, 'code') || hasParam(params, 'error')) return true;
    return pathnameOf(req) === this.callbackPath;
  }

  /** Calls verify in either style, decided by what it returns (see run-verify.ts), within `verifyTimeoutMs`. */
  private callVerify(req: IncomingMessage, args: readonly unknown[]): Promise<VerifyOutcome> {
    const verify = this.verifyFunction;
    return runVerify(
      this.passReqToCallback ? (done: VerifyDone) => verify(req, ...args, done) : (done: VerifyDone) => verify(...args, done),
      this.verifyTimeoutMs,
      this.owner,
    );
  }
}
