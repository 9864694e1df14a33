import type { IncomingMessage, ServerResponse } from 'node:http';
import { log } from '../log.js';
import { pathnameOf, protectRedirect } from '../http/callback-request.js';
import { PassportUltraCartError } from '../http/errors.js';
import { StrategyBase } from '../sign-in/passport-base.js';
import { checkRedirectTarget, normaliseOrigins, type RedirectPolicy } from '../http/redirect-target.js';
import { hasParam, queryOf, readParam } from '../http/query.js';
import { safeReturnTo } from '../http/return-to.js';
import { DEFAULT_BASE_URL, UltraCartClient, type TokenResponse, type UltraCartConnectionOptions } from './client.js';
import { UltraCartApiError } from './errors.js';
import { SignInDiagnostics } from '../sign-in/diagnose.js';
import { FailureMessages, type FailureReason } from './messages.js';
import { pickOptions, readOptions } from '../option-schema.js';
import {
  credentialOf,
  DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS,
  DEFAULT_VERIFY_TIMEOUT_MS,
  MAX_STATE_TTL_MS,
  STRATEGY_SCHEMA,
  ULTRACART_CONNECTION_SCHEMA,
} from './option-rules.js';
import { deliverRefusal, hasSession, type Refusal } from '../sign-in/refusal.js';
import {
  type StrategyOptions,
  type StrategyOptionsWithRequest,
  type UltraCartAuthenticateOptions,
  type UltraCartToken,
  type VerifyFunction,
  type VerifyFunctionWithRequest,
} from './options.js';
import { UsedStatesUnavailableError } from '../sign-in/used-states/errors.js';
import { MemoryUsedStateLedger, processUsedStates, type UsedStateLedger } from '../sign-in/used-states/ledger.js';
import { SessionStateStore } from '../sign-in/pending/session-store.js';
import { createState, looksLikeState } from '../sign-in/pending/state-value.js';
import type { PendingSignIn, StateStore } from '../sign-in/pending/types.js';
import { toProfile, type UltraCartProfile } from './user.js';
import { runVerify, type VerifyOutcome } from '../sign-in/run-verify.js';

/** Codes and states we issue or accept are far shorter; anything longer is refused unread. */
const MAX_PARAM_LENGTH = 512;

type Req = IncomingMessage & {
  query?: unknown;
  originalUrl?: string;
  ip?: string;
  user?: unknown;
  res?: ServerResponse;
  isAuthenticated?: () => boolean;
  logIn?: (user: unknown, options: unknown, done?: unknown) => unknown;
};

/** What a refusal on the callback leg needs to know about the call. */
interface CallbackCall {
  options: UltraCartAuthenticateOptions;
  hadSession: boolean;
}

/** What `req.authInfo` holds after a successful sign-in. */
export interface UltraCartAuthInfo {
  /** The validated same-origin path given at the authorize leg, if any. */
  returnTo?: string;
  /** When the user's simple key expires: end the app's session no later. */
  expiresAt: Date | null;
  [fromVerify: string]: unknown;
}

/**
 * Passport strategy for UltraCart Single Sign-On.
 *
 * The authorize leg stores a fresh state and sends the browser to UltraCart's login page; the
 * callback leg checks that state before reading anything else, trades the code for the user's
 * simple key, fetches the user and hands both to the verify function.
 *
 * @example
 * passport.use(new UltraCartStrategy(
 *   { callbackURL: 'https://shop.example.com/auth/ultracart/callback', simpleKey: process.env.ULTRACART_SIMPLE_KEY },
 *   async (simpleKey, token, profile) => ({ id: profile.id, name: profile.displayName, simpleKey }),
 * ));
 */
export class UltraCartStrategy extends StrategyBase {
  override name: string;
  /** The client the strategy calls UltraCart with; usable directly, e.g. to revoke at logout. */
  readonly client: UltraCartClient;
  private readonly verify: VerifyFunction | VerifyFunctionWithRequest;
  private readonly passReqToCallback: boolean;
  private readonly callbackURL: string;
  private readonly callbackPath: string;
  private readonly redirectPolicy: RedirectPolicy;
  private readonly stateStore: StateStore;
  private readonly stateTtlMs: number;
  private readonly lockToIp: boolean;
  private readonly returnToParam: string | undefined;
  private readonly signedInRedirect: string | false;
  private readonly verifyTimeoutMs: number;
  private readonly usedStates: UsedStateLedger;
  private readonly diagnostics: SignInDiagnostics;
  /** The in-memory ledger answers synchronously; set when that is the one in use. */
  private readonly memoryUsedStates: MemoryUsedStateLedger | undefined;
  private readonly unknownExpiryMaxAgeMs: number;

  constructor(options: StrategyOptions, verify: VerifyFunction);
  constructor(options: StrategyOptionsWithRequest, verify: VerifyFunctionWithRequest);
  constructor(options: StrategyOptions | StrategyOptionsWithRequest, verify: VerifyFunction | VerifyFunctionWithRequest) {
    super();
    const values = readOptions('UltraCartStrategy', options, STRATEGY_SCHEMA);
    credentialOf('UltraCartStrategy', values);
    if (typeof verify !== 'function') throw new TypeError('UltraCartStrategy requires a verify function');
    // Every option is checked above, so the client, given its own options, has nothing left to refuse.
    this.client = new UltraCartClient(pickOptions(options, ULTRACART_CONNECTION_SCHEMA) as UltraCartConnectionOptions);
    this.name = values.name ?? 'ultracart';
    this.verify = verify;
    this.passReqToCallback = values.passReqToCallback === true;
    // Sent verbatim, as configured: UltraCart may compare redirect_uri with what was registered.
    this.callbackURL = values.callbackURL;
    this.callbackPath = new URL(values.callbackURL).pathname;
    this.stateTtlMs = values.stateTtlMs ?? MAX_STATE_TTL_MS;
    this.diagnostics = new SignInDiagnostics(new URL(values.callbackURL).hostname, this.stateTtlMs);
    this.lockToIp = values.lockToIp === true;
    this.returnToParam = values.returnToParam;
    this.signedInRedirect = values.signedInRedirect ?? '/';
    this.verifyTimeoutMs = values.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    this.unknownExpiryMaxAgeMs = values.unknownExpiryMaxAgeMs ?? DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS;
    this.stateStore = values.stateStore ?? new SessionStateStore();
    this.usedStates = values.usedStates ?? processUsedStates;
    // The synchronous path only where claim() is the in-memory one, not a subclass's own.
    const memory = this.usedStates instanceof MemoryUsedStateLedger && this.usedStates.claim === MemoryUsedStateLedger.prototype.claim;
    this.memoryUsedStates = memory ? (this.usedStates as MemoryUsedStateLedger) : undefined;
    const apiOrigin = new URL(this.client.baseURL).origin;
    const allowed = values.allowedRedirectOrigins ?? [new URL(DEFAULT_BASE_URL).origin, apiOrigin];
    this.redirectPolicy = {
      allowedOrigins: normaliseOrigins(allowed, 'UltraCartStrategy: the allowedRedirectOrigins option'),
      plainHttpOrigin: apiOrigin,
    };
  }

  override authenticate(req: IncomingMessage, options: UltraCartAuthenticateOptions = {}): void {
    const request = req as Req;
    const query = queryOf(request);
    const flow = this.isCallback(request, query) ? this.finishSignIn(request, query, options) : this.startSignIn(request, options);
    flow.catch((err: unknown) => {
      if (err instanceof PassportUltraCartError && err.retryAfter !== undefined) {
        request.res?.setHeader('Retry-After', String(err.retryAfter));
      }
      this.error(err);
    });
  }

  /** Authorize leg: new state, `PUT /sso/authorize`, remember the state, send the browser to UltraCart. */
  private async startSignIn(req: Req, options: UltraCartAuthenticateOptions): Promise<void> {
    // A misconfigured app (no session) should not spend an UltraCart call per attempt.
    this.stateStore.ready?.(req);
    this.diagnostics.atAuthorize(req, this.stateStore.cookieSettings?.(req));
    const returnTo = safeReturnTo(this.returnToFor(req, options));
    const state = createState();
    const authorization = await this.client.authorize(this.callbackURL, state);

    const target = checkRedirectTarget(authorization.loginUrl, this.redirectPolicy);
    if (!target.ok) {
      throw new UltraCartApiError(`UltraCart PUT /sso/authorize: login_url refused, ${target.reason}`, {
        code: 'ULTRACART_BAD_RESPONSE',
        endpoint: 'authorize',
        status: 502,
      });
    }

    const now = Date.now();
    let expiresAt = now + this.stateTtlMs;
    const upstreamExpiry = authorization.expiresAt?.getTime();
    // An expiry already in the past is clock skew, not a reason to refuse every sign-in.
    if (upstreamExpiry !== undefined && upstreamExpiry > now) expiresAt = Math.min(expiresAt, upstreamExpiry);
    const pending: PendingSignIn = { state, expiresAt, ...(returnTo !== undefined && { returnTo }) };
    await this.stateStore.save(req, pending);

    log.strategy('authorize leg: redirecting to the UltraCart login page');
    protectRedirect(req);
    this.redirect(target.url);
  }

  /** Callback leg. The state is checked, and used up, before any other parameter is read. */
  private async finishSignIn(req: Req, query: Record<string, unknown>, options: UltraCartAuthenticateOptions): Promise<void> {
    protectRedirect(req);
    const stateParam = readParam(query, 'state');
    const offered = stateParam.kind === 'string' && looksLikeState(stateParam.value) ? stateParam.value : undefined;
    // Asked before take() empties it: a refusal keeps its message only in a session the browser already had.
    const call: CallbackCall = { options, hadSession: hasSession(req) };
    // Taken now, whatever follows, so a wrong or replayed state also uses up the real one.
    const { pending, hadPending } = await this.stateStore.take(req, offered);

    if (stateParam.kind === 'not-a-string') return this.refuse(req, call, 'stateMalformed', 400);
    if (stateParam.kind === 'string' && stateParam.value.length > MAX_PARAM_LENGTH) return this.refuse(req, call, 'stateMalformed', 400);
    if (!pending) {
      if (!hadPending && this.signedInRedirect !== false && isSignedIn(req)) {
        log.strategy('callback without a pending sign-in from a signed-in user: sent to signedInRedirect');
        return this.redirect(this.signedInRedirect);
      }
      const cookie = this.stateStore.cookieSettings?.(req);
      return this.refuse(req, call, this.diagnostics.noPendingReason(req, offered, hadPending, cookie), 403);
    }
    if (pending.expiresAt <= Date.now()) return this.refuse(req, call, 'expired', 403);
    const claimed = this.memoryUsedStates?.claimNow(pending.state, pending.expiresAt) ?? (await this.claim(pending));
    if (!claimed) return this.refuse(req, call, 'alreadyUsed', 403);
    this.diagnostics.recordFinished(pending.state);

    if (hasParam(query, 'error')) {
      const error = readParam(query, 'error');
      const denied = error.kind === 'string' && error.value === 'access_denied';
      return this.refuse(req, call, denied ? 'denied' : 'upstreamRefused', 401);
    }
    const codeParam = readParam(query, 'code');
    if (codeParam.kind === 'absent' || (codeParam.kind === 'string' && codeParam.value === ''))
      return this.refuse(req, call, 'missingCode', 400);
    if (codeParam.kind !== 'string' || codeParam.value.length > MAX_PARAM_LENGTH) return this.refuse(req, call, 'malformedCode', 400);

    let token: TokenResponse;
    try {
      token = await this.client.token(codeParam.value);
    } catch (err) {
      // What an UltraCart status means is decided once, in ultracart/errors.ts; its verdict is the code.
      if (err instanceof UltraCartApiError && err.code === 'ULTRACART_CODE_REJECTED') {
        log.strategy('token exchange refused by UltraCart with %d', err.upstreamStatus);
        return this.refuse(req, call, 'codeRejected', 401);
      }
      throw err;
    }

    const problem = this.tokenProblem(token, req);
    if (problem) {
      await this.revokeQuietly(token.simpleKey);
      return this.refuse(req, call, problem, 403);
    }
    const expiresAt = this.keyExpiry(token);

    let profile: UltraCartProfile;
    try {
      profile = await this.userProfile(token.simpleKey);
    } catch (err) {
      if (err instanceof UltraCartApiError && err.code === 'ULTRACART_SESSION_ENDED') {
        return this.refuse(req, call, 'sessionEnded', 401);
      }
      await this.revokeQuietly(token.simpleKey);
      throw err;
    }

    const tokenInfo: UltraCartToken = { simpleKey: token.simpleKey, expiresAt, ipAddress: token.ipAddress };
    let outcome: VerifyOutcome;
    try {
      outcome = await this.callVerify(req, tokenInfo, profile);
    } catch (err) {
      // Nobody is signed in with this key, and it acts as the merchant user: end it.
      await this.revokeQuietly(token.simpleKey);
      throw err;
    }
    const { user, info } = outcome;
    if (!user) {
      await this.revokeQuietly(token.simpleKey);
      const message =
        info && typeof (info as { message?: unknown }).message === 'string'
          ? (info as { message: string }).message
          : FailureMessages.notAllowed;
      return this.refuse(req, call, 'notAllowed', 403, { ...info, message, reason: 'notAllowed' });
    }
    log.strategy('callback leg: signed in');
    const authInfo: UltraCartAuthInfo = { ...info, expiresAt };
    // Checked again on the way out: a state store hands back whatever was saved, and this becomes a Location.
    const returnTo = safeReturnTo(pending.returnTo);
    if (returnTo !== undefined) authInfo.returnTo = returnTo;
    this.revokeIfLogInFails(req, token.simpleKey);
    this.success(user, authInfo);
  }

  /** Asks a shared ledger; one that cannot answer fails the sign-in closed, before any call to UltraCart. */
  private async claim(pending: PendingSignIn): Promise<boolean> {
    let claimed: unknown;
    try {
      claimed = await this.usedStates.claim(pending.state, pending.expiresAt);
    } catch (err) {
      log.strategy('used-state ledger unavailable: refusing the sign-in');
      throw err instanceof UsedStatesUnavailableError ? err : new UsedStatesUnavailableError(undefined, err);
    }
    // Only a plain true counts: a ledger answering something else must not let a replay through.
    return claimed === true;
  }

  /**
   * Passport's `success` saves the session through `req.logIn`. When that fails (the session store
   * is down), nobody will ever hold the key UltraCart just issued, so it is revoked before the
   * error goes on. Wrapped for this one call and then restored, so the app's own logIn is untouched.
   */
  private revokeIfLogInFails(req: Req, simpleKey: string): void {
    const logIn = req.logIn;
    if (typeof logIn !== 'function') return;
    const hadOwn = Object.hasOwn(req, 'logIn');
    const restore = (): void => {
      if (hadOwn) req.logIn = logIn;
      else delete req.logIn;
    };
    req.logIn = (user: unknown, options: unknown, done?: unknown) => {
      restore();
      const callback = (typeof options === 'function' ? options : done) as ((err?: unknown) => void) | undefined;
      const opts = typeof options === 'function' ? {} : options;
      const result: unknown = logIn.call(req, user, opts, (err?: unknown) => {
        if (!err) return callback?.();
        log.strategy('the session could not be saved after sign-in: revoking the new key');
        this.revokeQuietly(simpleKey).then(() => callback?.(err));
      });
      // @fastify/passport's logIn returns a promise instead of calling back.
      if (!isThenable(result)) return result;
      return result.then(undefined, async (err: unknown) => {
        log.strategy('the session could not be saved after sign-in: revoking the new key');
        await this.revokeQuietly(simpleKey);
        throw err;
      });
    };
  }

  /**
   * When the key stops working, as far as the strategy trusts it. An expiry that was sent but
   * cannot be read (or names no zone) is unknown, not a refusal: the sign-in is then trusted for
   * `unknownExpiryMaxAgeMs` at most.
   */
  private keyExpiry(token: TokenResponse): Date | null {
    if (token.expiry !== 'unreadable') return token.expiresAt;
    log.strategy('expiration_dts is unreadable or has no zone: the sign-in is capped at %d ms', this.unknownExpiryMaxAgeMs);
    return new Date(Date.now() + this.unknownExpiryMaxAgeMs);
  }

  /**
   * Fetches the user the simple key acts as and builds the profile handed to verify. A subclass
   * may override it to add to the profile (calling `super.userProfile(simpleKey)` first) or to
   * fetch more with the key. An `UltraCartApiError` with code `ULTRACART_SESSION_ENDED` fails
   * the sign-in; any other error ends it in an error, and the key is revoked.
   */
  protected async userProfile(simpleKey: string): Promise<UltraCartProfile> {
    return toProfile(await this.client.sessionUser(simpleKey));
  }

  /** Why a freshly issued key must not be used, if it must not. */
  private tokenProblem(token: TokenResponse, req: Req): FailureReason | undefined {
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return 'keyExpired';
    if (this.lockToIp && normaliseIp(token.ipAddress) !== normaliseIp(req.ip ?? req.socket?.remoteAddress ?? null)) {
      return 'ipMismatch';
    }
    return undefined;
  }

  /** Fails the callback in a way that neither creates nor grows a session (see `deliverRefusal`). */
  private refuse(
    req: Req,
    call: CallbackCall,
    reason: FailureReason,
    status: number,
    refusal: Refusal = { message: FailureMessages[reason], reason },
  ): void {
    log.strategy('callback refused: %s', reason);
    const delivery = deliverRefusal(req, call.options, refusal, call.hadSession);
    if ('redirect' in delivery) return this.redirect(delivery.redirect);
    this.fail(delivery.fail as { message: string }, status);
  }

  /**
   * Where the user comes back to after signing in, decided on the authorize leg and kept with the
   * state: by default the route's `returnTo` option, else the `returnToParam` query parameter. A
   * subclass may override it (to read a header, or its own session key); whatever it returns is
   * still checked by `safeReturnTo`, so it cannot become an open redirect.
   */
  protected returnToFor(req: IncomingMessage, options: UltraCartAuthenticateOptions): string | undefined {
    if (options.returnTo !== undefined) return safeReturnTo(options.returnTo);
    if (this.returnToParam === undefined) return undefined;
    const param = readParam(queryOf(req as Req), this.returnToParam);
    return param.kind === 'string' ? safeReturnTo(param.value) : undefined;
  }

  private isCallback(req: Req, query: Record<string, unknown>): boolean {
    if (hasParam(query, 'state') || hasParam(query, 'code') || hasParam(query, 'error')) return true;
    return pathnameOf(req) === this.callbackPath;
  }

  /** Revokes a key nobody will hold; a failure is retried in the background by the client. */
  private async revokeQuietly(simpleKey: string): Promise<void> {
    const outcome = await this.client.revokeWithRetry(simpleKey);
    if (outcome !== 'revoked' && outcome !== 'already-ended') log.strategy('revoking an unused key: %s', outcome);
  }

  /** Calls verify in either style, decided by what it returns (see run-verify.ts), within `verifyTimeoutMs`. */
  private callVerify(req: Req, token: UltraCartToken, profile: UltraCartProfile): Promise<VerifyOutcome> {
    const verify = this.verify;
    return runVerify(
      this.passReqToCallback
        ? (done) => (verify as VerifyFunctionWithRequest)(req, token.simpleKey, token, profile, done)
        : (done) => (verify as VerifyFunction)(token.simpleKey, token, profile, done),
      this.verifyTimeoutMs,
    );
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function isSignedIn(req: Req): boolean {
  if (typeof req.isAuthenticated === 'function') return req.isAuthenticated();
  return req.user !== undefined && req.user !== null;
}

function normaliseIp(ip: string | null): string | null {
  if (!ip) return null;
  const trimmed = ip.trim().toLowerCase();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}
