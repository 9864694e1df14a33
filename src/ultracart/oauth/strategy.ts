import type { IncomingMessage, ServerResponse } from 'node:http';
import { pathnameOf, protectRedirect } from '../../http/callback-request.js';
import { PassportUltraCartError } from '../../http/errors.js';
import { hasParam, queryOf, readParam } from '../../http/query.js';
import { deliverRefusal, hasSession, type Refusal } from '../../http/refusal.js';
import { safeReturnTo } from '../../http/return-to.js';
import { log } from '../../log.js';
import { pickOptions, readOptions } from '../../option-schema.js';
import { StrategyBase } from '../../passport-base.js';
import { UsedStatesUnavailableError } from '../../state/errors.js';
import { processUsedStates, type UsedStateLedger } from '../../state/used-states.js';
import { SignInDiagnostics } from '../diagnose.js';
import type { FailureReason } from '../messages.js';
import { DEFAULT_VERIFY_TIMEOUT_MS, MAX_STATE_TTL_MS } from '../option-rules.js';
import { runVerify, type VerifyOutcome } from '../run-verify.js';
import { SessionStateStore } from '../state/session-store.js';
import { createState, looksLikeState } from '../state/state-value.js';
import type { PendingSignIn, StateStore } from '../state/types.js';
import { authorizeURL } from './authorize-url.js';
import { callbackError } from './callback-error.js';
import { UltraCartOAuthClient, type UltraCartOAuthClientOptions } from './client.js';
import { UltraCartOAuthError } from './errors.js';
import { oauthFailureMessage, UltraCartOAuthFailureMessages } from './messages.js';
import { OAUTH_CLIENT_SCHEMA, OAUTH_STRATEGY_SCHEMA } from './option-rules.js';
import type {
  UltraCartOAuthAuthenticateOptions,
  UltraCartOAuthInfo,
  UltraCartOAuthStrategyOptions,
  UltraCartOAuthStrategyOptionsWithRequest,
  UltraCartOAuthVerifyFunction,
  UltraCartOAuthVerifyFunctionWithRequest,
} from './options.js';
import { buildProfile, type MerchantLookup, type UltraCartOAuthProfile } from './profile.js';
import type { UltraCartOAuthTokens } from './tokens.js';

/** Codes and states we issue or accept are far shorter; anything longer is refused unread. */
const MAX_PARAM_LENGTH = 512;
const STRATEGY = 'UltraCartOAuthStrategy';

type Req = IncomingMessage & { query?: unknown; originalUrl?: string; res?: ServerResponse };

interface CallbackCall {
  options: UltraCartOAuthAuthenticateOptions;
  hadSession: boolean;
}

/**
 * Passport strategy for UltraCart OAuth 2.0 ("Connect your UltraCart store"): a merchant approves
 * the app on UltraCart's page, and the app gets an access token and a refresh token for that
 * merchant's account. Usually run with `passport.authorize()`, to attach the store to the user
 * already signed in (`req.account`); `passport.authenticate()` works too.
 *
 * The authorize leg stores a fresh state and sends the browser to `GET /oauth/authorize`; the
 * callback checks that state, and uses it up, before it reads anything else, then trades the code
 * at `POST /oauth/token` and hands the tokens and what is known of the merchant to verify.
 *
 * @example
 * passport.use(new UltraCartOAuthStrategy(
 *   { clientId: process.env.ULTRACART_CLIENT_ID, callbackURL: 'https://app.example.com/store/callback', merchantLookup: '/item/items?_limit=1' },
 *   async (tokens, profile) => ({ merchantId: profile.merchantId, tokens }),
 * ));
 * app.get('/store/connect', passport.authorize('ultracart-oauth'));
 */
export class UltraCartOAuthStrategy extends StrategyBase {
  override name: string;
  /** The client the strategy calls UltraCart with; usable directly, e.g. to refresh or revoke. */
  readonly client: UltraCartOAuthClient;
  private readonly verify: UltraCartOAuthVerifyFunction | UltraCartOAuthVerifyFunctionWithRequest;
  private readonly passReqToCallback: boolean;
  private readonly callbackURL: string;
  private readonly callbackPath: string;
  private readonly stateStore: StateStore;
  private readonly stateTtlMs: number;
  private readonly returnToParam: string | undefined;
  private readonly verifyTimeoutMs: number;
  private readonly usedStates: UsedStateLedger;
  private readonly diagnostics: SignInDiagnostics;
  private readonly merchantLookup: MerchantLookup | false;

  constructor(options: UltraCartOAuthStrategyOptions, verify: UltraCartOAuthVerifyFunction);
  constructor(options: UltraCartOAuthStrategyOptionsWithRequest, verify: UltraCartOAuthVerifyFunctionWithRequest);
  constructor(
    options: UltraCartOAuthStrategyOptions | UltraCartOAuthStrategyOptionsWithRequest,
    verify: UltraCartOAuthVerifyFunction | UltraCartOAuthVerifyFunctionWithRequest,
  ) {
    super();
    const values = readOptions(STRATEGY, options, OAUTH_STRATEGY_SCHEMA);
    if (typeof verify !== 'function') throw new TypeError(`${STRATEGY} requires a verify function`);
    this.client = new UltraCartOAuthClient(pickOptions(options, OAUTH_CLIENT_SCHEMA) as UltraCartOAuthClientOptions);
    this.name = values.name ?? 'ultracart-oauth';
    this.verify = verify;
    this.passReqToCallback = values.passReqToCallback === true;
    this.callbackURL = values.callbackURL;
    this.callbackPath = new URL(values.callbackURL).pathname;
    this.stateTtlMs = values.stateTtlMs ?? MAX_STATE_TTL_MS;
    this.diagnostics = new SignInDiagnostics(new URL(values.callbackURL).hostname, this.stateTtlMs);
    this.returnToParam = values.returnToParam;
    this.verifyTimeoutMs = values.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    // A session slot of its own, named for the strategy: another strategy's pending sign-ins are not its to take or wipe.
    this.stateStore = values.stateStore ?? new SessionStateStore({ key: `${this.name}:pending` });
    this.usedStates = values.usedStates ?? processUsedStates;
    this.merchantLookup = values.merchantLookup ?? false;
  }

  override authenticate(req: IncomingMessage, options: UltraCartOAuthAuthenticateOptions = {}): void {
    const request = req as Req;
    const query = queryOf(request);
    const flow = this.isCallback(request, query) ? this.finishConnect(request, query, options) : this.startConnect(request, options);
    flow.catch((err: unknown) => {
      if (err instanceof PassportUltraCartError && err.retryAfter !== undefined && request.res && !request.res.headersSent) {
        request.res.setHeader('Retry-After', String(err.retryAfter));
      }
      this.error(err);
    });
  }

  /** Authorize leg: new state, remembered, and the browser sent to UltraCart's approval page. No call to UltraCart. */
  private async startConnect(req: Req, options: UltraCartOAuthAuthenticateOptions): Promise<void> {
    this.stateStore.ready?.(req);
    this.diagnostics.atAuthorize(req, this.stateStore.cookieSettings?.(req));
    const returnTo = safeReturnTo(this.returnToFor(req, options));
    const state = createState();
    const pending: PendingSignIn = { state, expiresAt: Date.now() + this.stateTtlMs, ...(returnTo !== undefined && { returnTo }) };
    await this.stateStore.save(req, pending);
    log.strategy('OAuth authorize leg: redirecting to the UltraCart approval page');
    protectRedirect(req);
    this.redirect(this.authorizationURL(state));
  }

  /** Callback leg. The state is checked, and used up, before any other parameter is read. */
  private async finishConnect(req: Req, query: Record<string, unknown>, options: UltraCartOAuthAuthenticateOptions): Promise<void> {
    protectRedirect(req);
    const stateParam = readParam(query, 'state');
    const offered = stateParam.kind === 'string' && looksLikeState(stateParam.value) ? stateParam.value : undefined;
    const call: CallbackCall = { options, hadSession: hasSession(req) };
    // Taken now, whatever follows, so a wrong or replayed state also uses up the real one.
    const { pending, hadPending } = await this.stateStore.take(req, offered);

    if (stateParam.kind === 'not-a-string') return this.refuse(req, call, 'stateMalformed', 400);
    if (stateParam.kind === 'string' && stateParam.value.length > MAX_PARAM_LENGTH) return this.refuse(req, call, 'stateMalformed', 400);
    if (!pending) {
      const cookie = this.stateStore.cookieSettings?.(req);
      return this.refuse(req, call, this.diagnostics.noPendingReason(req, offered, hadPending, cookie), 403);
    }
    if (pending.expiresAt <= Date.now()) return this.refuse(req, call, 'expired', 403);
    if (!(await this.claim(pending))) return this.refuse(req, call, 'alreadyUsed', 403);
    this.diagnostics.recordFinished(pending.state);

    const refused = callbackError(query);
    if (refused) return this.refuse(req, call, refused, 401);
    const codeParam = readParam(query, 'code');
    if (codeParam.kind === 'absent' || (codeParam.kind === 'string' && codeParam.value === ''))
      return this.refuse(req, call, 'missingCode', 400);
    if (codeParam.kind !== 'string' || codeParam.value.length > MAX_PARAM_LENGTH || !/^[\x21-\x7e]+$/.test(codeParam.value)) {
      return this.refuse(req, call, 'malformedCode', 400);
    }

    let tokens: UltraCartOAuthTokens;
    try {
      tokens = await this.client.exchangeCode(codeParam.value, this.callbackURL);
    } catch (err) {
      if (err instanceof UltraCartOAuthError && err.code === 'ULTRACART_OAUTH_CODE_REJECTED') {
        log.strategy('OAuth code exchange refused by UltraCart with %d', err.upstreamStatus);
        return this.refuse(req, call, 'codeRejected', 401);
      }
      throw err;
    }

    let outcome: VerifyOutcome;
    try {
      const profile = await this.userProfile(tokens);
      outcome = await this.callVerify(req, tokens, profile);
    } catch (err) {
      // Nobody holds these tokens, and they act for the merchant's whole account: end them.
      await this.revokeQuietly(tokens);
      throw err;
    }
    const { user, info } = outcome;
    if (!user) {
      await this.revokeQuietly(tokens);
      const message =
        typeof (info as { message?: unknown } | undefined)?.message === 'string'
          ? (info as { message: string }).message
          : UltraCartOAuthFailureMessages.notAllowed;
      return this.refuse(req, call, 'notAllowed', 403, { ...info, message, reason: 'notAllowed' });
    }
    log.strategy('OAuth callback leg: store connected');
    const authInfo: UltraCartOAuthInfo = { ...info, expiresAt: tokens.expiresAt, scopes: tokens.scopes };
    const returnTo = safeReturnTo(pending.returnTo);
    if (returnTo !== undefined) authInfo.returnTo = returnTo;
    this.success(user, authInfo);
  }

  /** Vendor hook: the approval page URL for `state`. */
  protected authorizationURL(state: string): string {
    return authorizeURL(this.client.authorizeURL, { clientId: this.client.clientId, redirectUri: this.callbackURL, state });
  }

  /**
   * Vendor hook: what is known of the connected merchant (see {@link buildProfile}). A subclass may
   * override it to ask UltraCart more with `tokens.accessToken`; an error it throws ends the
   * connection in an error, and the tokens are revoked.
   */
  protected userProfile(tokens: UltraCartOAuthTokens): Promise<UltraCartOAuthProfile> {
    return buildProfile(this.client, tokens, this.merchantLookup);
  }

  /**
   * Where the browser comes back to afterwards, decided on the authorize leg: the route's
   * `returnTo` option, else the `returnToParam` query parameter; checked by `safeReturnTo` either way.
   */
  protected returnToFor(req: IncomingMessage, options: UltraCartOAuthAuthenticateOptions): string | undefined {
    if (options.returnTo !== undefined) return safeReturnTo(options.returnTo);
    if (this.returnToParam === undefined) return undefined;
    const param = readParam(queryOf(req as Req), this.returnToParam);
    return param.kind === 'string' ? safeReturnTo(param.value) : undefined;
  }

  /** Asks the ledger; one that cannot answer fails the callback closed, before any call to UltraCart. */
  private async claim(pending: PendingSignIn): Promise<boolean> {
    let claimed: unknown;
    try {
      claimed = await this.usedStates.claim(pending.state, pending.expiresAt);
    } catch (err) {
      log.strategy('used-state ledger unavailable: refusing the connection');
      throw err instanceof UsedStatesUnavailableError ? err : new UsedStatesUnavailableError(undefined, err);
    }
    return claimed === true;
  }

  /** Revokes tokens nobody will hold; a failure is logged by its code only. */
  private async revokeQuietly(tokens: UltraCartOAuthTokens): Promise<void> {
    try {
      await this.client.revoke(tokens.accessToken);
    } catch (err) {
      log.strategy('revoking unused OAuth tokens failed: %s', err instanceof UltraCartOAuthError ? err.code : 'unexpected error');
    }
  }

  private refuse(req: Req, call: CallbackCall, reason: FailureReason, status: number, refusal?: Refusal): void {
    log.strategy('OAuth callback refused: %s', reason);
    const delivery = deliverRefusal(req, call.options, refusal ?? { message: oauthFailureMessage(reason), reason }, call.hadSession);
    if ('redirect' in delivery) return this.redirect(delivery.redirect);
    this.fail(delivery.fail as { message: string }, status);
  }

  private isCallback(req: Req, query: Record<string, unknown>): boolean {
    if (hasParam(query, 'state') || hasParam(query, 'code') || hasParam(query, 'error')) return true;
    return pathnameOf(req) === this.callbackPath;
  }

  private callVerify(req: Req, tokens: UltraCartOAuthTokens, profile: UltraCartOAuthProfile): Promise<VerifyOutcome> {
    const verify = this.verify;
    return runVerify(
      this.passReqToCallback
        ? (done) => (verify as UltraCartOAuthVerifyFunctionWithRequest)(req, tokens, profile, done)
        : (done) => (verify as UltraCartOAuthVerifyFunction)(tokens, profile, done),
      this.verifyTimeoutMs,
      STRATEGY,
    );
  }
}
