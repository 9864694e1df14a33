import type { IncomingMessage, ServerResponse } from 'node:http';
import * as oidc from 'openid-client';
import { pathnameOf, protectRedirect } from '../http/callback-request.js';
import { hasParam, queryOf, readParam } from '../http/query.js';
import { checkRedirectTarget, type RedirectPolicy } from '../http/redirect-target.js';
import { PassportUltraCartError } from '../http/errors.js';
import { safeReturnTo } from '../http/return-to.js';
import { log } from '../log.js';
import { StrategyBase } from '../sign-in/passport-base.js';
import { UsedStatesUnavailableError } from '../sign-in/used-states/errors.js';
import { MemoryUsedStateLedger, processUsedStates, type UsedStateLedger } from '../sign-in/used-states/ledger.js';
import { deliverRefusal, hasSession, type Refusal } from '../sign-in/refusal.js';
import { DEFAULT_VERIFY_TIMEOUT_MS } from '../ultracart/option-rules.js';
import { runVerify, type VerifyOutcome } from '../sign-in/run-verify.js';
import { SessionStateStore } from '../sign-in/pending/session-store.js';
import { createState, looksLikeState } from '../sign-in/pending/state-value.js';
import type { PendingSignIn, StateStore } from '../sign-in/pending/types.js';
import { readCallbackParams } from '../http/callback-params.js';
import { UltrapassIdError } from './errors.js';
import { UltrapassIdFailureMessages, type UltrapassIdFailureReason } from './messages.js';
import {
  isLoopback,
  parseOptions,
  type ParsedOptions,
  type UltrapassIdAuthenticateOptions,
  type UltrapassIdStrategyOptions,
  type UltrapassIdStrategyOptionsWithRequest,
  type UltrapassIdVerifyFunction,
  type UltrapassIdVerifyFunctionWithRequest,
} from './options.js';
import { toProfile, type UltrapassIdClaims, type UltrapassIdProfile, type UltrapassIdTokens } from './profile.js';
import { findProviderError, ProviderConfiguration } from './provider.js';
import { NO_ACCESS_TOKEN } from './provider-fetch.js';

/** Codes and states we issue or accept are far shorter; anything longer is refused unread. */
const MAX_PARAM_LENGTH = 2048;
/** OpenID Connect caps `sub` at 255 ASCII characters. */
const MAX_SUBJECT_LENGTH = 255;
/** OAuth error codes that mean "this code (or its verifier) is no good", not "we are misconfigured". */
const CODE_REJECTED = new Set(['invalid_grant', 'invalid_request']);

type Req = IncomingMessage & {
  query?: unknown;
  body?: unknown;
  originalUrl?: string;
  user?: unknown;
  res?: ServerResponse;
  isAuthenticated?: () => boolean;
};

/** What a refusal on the callback leg needs to know about the call. */
interface CallbackCall {
  options: UltrapassIdAuthenticateOptions;
  hadSession: boolean;
}

/** What `req.authInfo` holds after a successful verification. */
export interface UltrapassIdAuthInfo {
  /** The validated same-origin path given at the authorize leg, if any. */
  returnTo?: string;
  /** When UltrapassId verified the person (`auth_time`, else `iat`). */
  verifiedAt: Date;
  [fromVerify: string]: unknown;
}

/**
 * Passport strategy for UltrapassId's OpenID Connect sign-in: Authorization Code flow with PKCE
 * (S256), `state` and `nonce` always, the ID token's signature, issuer, audience, expiry and nonce
 * checked against the provider's key set by openid-client.
 *
 * The authorize leg stores a pending sign-in (state, PKCE verifier, nonce, return path) and sends
 * the browser to the provider. The callback leg checks and uses up that state before reading
 * anything else, then trades the code for the ID token and hands the verified subject to the
 * verify function. Works with `passport.authenticate()` (sign in) and `passport.authorize()`
 * (attach a verified identity as `req.account` to the user already signed in).
 *
 * @example
 * passport.use(new UltrapassIdStrategy(
 *   { clientId: process.env.ULTRAPASSID_CLIENT_ID, callbackURL: 'https://shop.example.com/auth/ultrapassid/callback' },
 *   async (profile) => ({ ultrapassId: profile.id, verifiedAt: profile.verifiedAt }),
 * ));
 */
export class UltrapassIdStrategy extends StrategyBase {
  override name: string;
  private readonly verify: UltrapassIdVerifyFunction | UltrapassIdVerifyFunctionWithRequest;
  private readonly passReqToCallback: boolean;
  private readonly options: ParsedOptions;
  private readonly provider: ProviderConfiguration;
  private readonly stateStore: StateStore;
  private readonly returnToParam: string | undefined;
  private readonly usedStates: UsedStateLedger;
  /** The in-memory ledger answers synchronously; set when that is the one in use. */
  private readonly memoryUsedStates: MemoryUsedStateLedger | undefined;

  constructor(options: UltrapassIdStrategyOptions, verify: UltrapassIdVerifyFunction);
  constructor(options: UltrapassIdStrategyOptionsWithRequest, verify: UltrapassIdVerifyFunctionWithRequest);
  constructor(
    options: UltrapassIdStrategyOptions | UltrapassIdStrategyOptionsWithRequest,
    verify: UltrapassIdVerifyFunction | UltrapassIdVerifyFunctionWithRequest,
  ) {
    super();
    if (!options || typeof options !== 'object') throw new TypeError('UltrapassIdStrategy requires an options object');
    if (typeof verify !== 'function') throw new TypeError('UltrapassIdStrategy requires a verify function');
    this.options = parseOptions(options);
    this.name = options.name ?? 'ultrapassid';
    this.verify = verify;
    this.passReqToCallback = options.passReqToCallback === true;
    this.returnToParam = options.returnToParam;
    // Both checked by parseOptions: an object with save() and take(), and with claim().
    this.stateStore = options.stateStore ?? new SessionStateStore();
    this.usedStates = options.usedStates ?? processUsedStates;
    this.memoryUsedStates = this.usedStates instanceof MemoryUsedStateLedger ? this.usedStates : undefined;
    // Discovery waits for the first sign-in: an app must start while its identity provider is down.
    this.provider = new ProviderConfiguration(this.options, options.dispatcher);
  }

  override authenticate(req: IncomingMessage, options: UltrapassIdAuthenticateOptions = {}): void {
    const request = req as Req;
    this.route(request, options).catch((err: unknown) => {
      if (err instanceof PassportUltraCartError && err.retryAfter !== undefined && request.res && !request.res.headersSent) {
        request.res.setHeader('Retry-After', String(err.retryAfter));
      }
      this.error(err);
    });
  }

  private async route(req: Req, options: UltrapassIdAuthenticateOptions): Promise<void> {
    const input = await readCallbackParams(req);
    // Asked before the state store takes the pending record out: a refusal keeps its message only in
    // a session the browser already had, so a flood of bad callbacks creates and grows no session.
    const call = (): CallbackCall => ({ options, hadSession: hasSession(req) });
    if (!input.ok) {
      protectRedirect(req);
      return this.refuse(req, call(), input.reason === 'formTooLarge' ? 'stateMalformed' : 'formUnreadable', 400);
    }
    if (this.isCallback(req, input.params)) return this.finishSignIn(req, input.params, call());
    return this.startSignIn(req, options);
  }

  /** Authorize leg: a fresh state, nonce and PKCE verifier, remembered, then the browser goes to the provider. */
  private async startSignIn(req: Req, options: UltrapassIdAuthenticateOptions): Promise<void> {
    // A misconfigured app (no session) should not cost a discovery call per attempt.
    this.stateStore.ready?.(req);
    const returnTo = this.returnToFor(req, options);
    const config = await this.provider.get();

    const state = createState();
    const nonce = createState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      response_type: 'code',
      redirect_uri: this.options.callbackURL,
      scope: this.options.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      response_mode: this.options.responseMode,
      state,
      nonce,
    });
    const target = checkRedirectTarget(url.href, this.redirectPolicy(url));
    if (!target.ok) {
      throw new UltrapassIdError(`UltrapassId authorization URL refused: ${target.reason}`, {
        code: 'ULTRAPASSID_CONFIGURATION',
        endpoint: 'authorize',
        status: 500,
      });
    }

    const pending: PendingSignIn = {
      state,
      expiresAt: Date.now() + this.options.stateTtlMs,
      codeVerifier,
      nonce,
      ...(returnTo !== undefined && { returnTo }),
    };
    await this.stateStore.save(req, pending);
    log.strategy('ultrapassid authorize leg: redirecting to the provider');
    protectRedirect(req);
    this.redirect(target.url);
  }

  /** Callback leg. The state is checked, and used up, before any other parameter is read. */
  private async finishSignIn(req: Req, params: Record<string, unknown>, call: CallbackCall): Promise<void> {
    protectRedirect(req);
    const { options } = call;
    const stateParam = readParam(params, 'state');
    const offered = stateParam.kind === 'string' && looksLikeState(stateParam.value) ? stateParam.value : undefined;
    // Taken now, whatever follows, so a wrong or replayed state also uses up the real one.
    const { pending, hadPending } = await this.stateStore.take(req, offered);

    if (stateParam.kind === 'not-a-string') return this.refuse(req, call, 'stateMalformed', 400);
    if (stateParam.kind === 'string' && stateParam.value.length > MAX_PARAM_LENGTH) return this.refuse(req, call, 'stateMalformed', 400);
    if (!pending) {
      // Back button to the callback after signing in; not under authorize(), whose user is always signed in.
      if (!hadPending && options.assignProperty === undefined && isSignedIn(req)) return this.redirect('/');
      return this.refuse(req, call, hadPending ? 'stateMismatch' : 'noPendingSignIn', 403);
    }
    if (pending.expiresAt <= Date.now()) return this.refuse(req, call, 'expired', 403);
    const claimed = this.memoryUsedStates?.claimNow(pending.state, pending.expiresAt) ?? (await this.claim(pending));
    if (!claimed) return this.refuse(req, call, 'alreadyUsed', 403);

    if (hasParam(params, 'error')) {
      const error = readParam(params, 'error');
      const code = error.kind === 'string' && /^[\w.-]{1,64}$/.test(error.value) ? error.value : 'unreadable';
      log.strategy('ultrapassid callback carried error %s', code);
      return this.refuse(req, call, code === 'access_denied' ? 'denied' : 'upstreamRefused', 401);
    }
    const code = readParam(params, 'code');
    if (code.kind === 'absent' || (code.kind === 'string' && code.value === '')) return this.refuse(req, call, 'missingCode', 400);
    if (code.kind !== 'string' || code.value.length > MAX_PARAM_LENGTH) return this.refuse(req, call, 'malformedCode', 400);
    const iss = readParam(params, 'iss');
    if (iss.kind === 'not-a-string') return this.refuse(req, call, 'issuerMismatch', 400);
    if (pending.codeVerifier === undefined || pending.nonce === undefined) return this.refuse(req, call, 'incompletePending', 403);

    const config = await this.provider.get();
    const issuer = config.serverMetadata().issuer;
    // RFC 9207: an `iss` naming another provider is a mix-up attack; refused before any token call.
    if (iss.kind === 'string' ? iss.value !== issuer : config.serverMetadata().authorization_response_iss_parameter_supported === true) {
      return this.refuse(req, call, 'issuerMismatch', 403);
    }

    const response = new URL(this.options.callbackURL);
    response.searchParams.set('code', code.value);
    response.searchParams.set('state', pending.state);
    if (iss.kind === 'string') response.searchParams.set('iss', iss.value);

    let grant: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      grant = await oidc.authorizationCodeGrant(
        config,
        response,
        { pkceCodeVerifier: pending.codeVerifier, expectedNonce: pending.nonce, expectedState: pending.state, idTokenExpected: true },
        // UltrapassId lists scope among the token request's parameters.
        { scope: this.options.scope },
      );
    } catch (err) {
      return this.refuseGrant(req, call, err);
    }

    const claims = grant.claims() as UltrapassIdClaims | undefined;
    if (!claims || typeof grant.id_token !== 'string') return this.refuse(req, call, 'idTokenRejected', 403);
    if (claims.sub === '' || claims.sub.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f]/.test(claims.sub)) {
      log.strategy('ultrapassid ID token refused: unusable sub');
      return this.refuse(req, call, 'idTokenRejected', 403);
    }
    const profile = toProfile(claims);
    const tokens = toTokens(grant, claims);
    const { user, info } = await this.runVerify(req, profile, tokens);
    if (!user) {
      const message =
        info && typeof (info as { message?: unknown }).message === 'string'
          ? (info as { message: string }).message
          : UltrapassIdFailureMessages.notAllowed;
      return this.refuse(req, call, 'notAllowed', 403, { ...info, message, reason: 'notAllowed' });
    }
    log.strategy('ultrapassid callback leg: verified');
    const authInfo: UltrapassIdAuthInfo = { ...info, verifiedAt: profile.verifiedAt };
    // Checked again on the way out: a state store hands back whatever was saved, and this becomes a Location.
    const returnTo = safeReturnTo(pending.returnTo);
    if (returnTo !== undefined) authInfo.returnTo = returnTo;
    this.success(user, authInfo);
  }

  /** Asks a shared ledger; one that cannot answer fails the callback closed (503), before any token call. */
  private async claim(pending: PendingSignIn): Promise<boolean> {
    let claimed: unknown;
    try {
      claimed = await this.usedStates.claim(pending.state, pending.expiresAt);
    } catch (err) {
      log.strategy('used-state ledger unavailable: refusing the ultrapassid callback');
      throw err instanceof UsedStatesUnavailableError ? err : new UsedStatesUnavailableError(undefined, err);
    }
    // Only a plain true counts: a ledger answering something else must not let a replay through.
    return claimed === true;
  }

  /** A failed code exchange: the browser's fault (a fail) or the provider's (an error with its status). */
  private refuseGrant(req: Req, call: CallbackCall, err: unknown): void {
    const own = findProviderError(err);
    if (own) throw own;
    if (err instanceof oidc.ResponseBodyError) {
      log.strategy('ultrapassid token endpoint refused the code: %s', safeCode(err.error));
      if (CODE_REJECTED.has(err.error)) return this.refuse(req, call, 'codeRejected', 401);
      throw new UltrapassIdError(
        `UltrapassId token endpoint refused the client: ${safeCode(err.error)} (check clientId and the Portal's Redirect URIs)`,
        {
          code: 'ULTRAPASSID_CONFIGURATION',
          endpoint: 'token',
          status: 500,
          upstreamStatus: err.status,
        },
      );
    }
    if (err instanceof oidc.WWWAuthenticateChallengeError) {
      throw new UltrapassIdError('UltrapassId token endpoint asked for client authentication (check clientId)', {
        code: 'ULTRAPASSID_CONFIGURATION',
        endpoint: 'token',
        status: 500,
        upstreamStatus: err.status,
      });
    }
    if (err instanceof oidc.ClientError) {
      // What the provider returned did not verify: signature, iss, aud, exp, nonce, shape. No one is signed in.
      log.strategy('ultrapassid ID token refused: %s (%s)', err.message, err.code ?? 'no code');
      return this.refuse(req, call, 'idTokenRejected', 403);
    }
    throw new UltrapassIdError('UltrapassId token exchange failed unexpectedly', {
      code: 'ULTRAPASSID_BAD_RESPONSE',
      endpoint: 'token',
      status: 502,
      cause: err,
    });
  }

  /** The browser may go to the provider's own authorization endpoint only, over https (http on loopback). */
  private redirectPolicy(url: URL): RedirectPolicy {
    return { allowedOrigins: new Set([url.origin]), ...(isLoopback(url) && { plainHttpOrigin: url.origin }) };
  }

  private refuse(
    req: Req,
    call: CallbackCall,
    reason: UltrapassIdFailureReason,
    status: number,
    refusal: Refusal = { message: UltrapassIdFailureMessages[reason], reason },
  ): void {
    log.strategy('ultrapassid callback refused: %s', reason);
    const delivery = deliverRefusal(req, call.options, refusal, call.hadSession);
    if ('redirect' in delivery) return this.redirect(delivery.redirect);
    this.fail(delivery.fail as { message: string }, status);
  }

  private returnToFor(req: Req, options: UltrapassIdAuthenticateOptions): string | undefined {
    if (options.returnTo !== undefined) return safeReturnTo(options.returnTo);
    if (this.returnToParam === undefined) return undefined;
    const param = readParam(queryOf(req), this.returnToParam);
    return param.kind === 'string' ? safeReturnTo(param.value) : undefined;
  }

  private isCallback(req: Req, params: Record<string, unknown>): boolean {
    if (hasParam(params, 'state') || hasParam(params, 'code') || hasParam(params, 'error')) return true;
    return pathnameOf(req) === this.options.callbackPath;
  }

  /**
   * Calls verify in either style, decided by what it returns rather than by its arity (which
   * wrappers, rest and default parameters change): the same runner as UltraCartStrategy's.
   */
  private runVerify(req: Req, profile: UltrapassIdProfile, tokens: UltrapassIdTokens): Promise<VerifyOutcome> {
    const verify = this.verify;
    return runVerify(
      this.passReqToCallback
        ? (done) => (verify as UltrapassIdVerifyFunctionWithRequest)(req, profile, tokens, done)
        : (done) => (verify as UltrapassIdVerifyFunction)(profile, tokens, done),
      DEFAULT_VERIFY_TIMEOUT_MS,
      'UltrapassIdStrategy',
    );
  }
}

function toTokens(grant: oidc.TokenEndpointResponse, claims: UltrapassIdClaims): UltrapassIdTokens {
  const accessToken = typeof grant.access_token === 'string' && grant.access_token !== NO_ACCESS_TOKEN ? grant.access_token : undefined;
  const fields = {
    idToken: grant.id_token!,
    accessToken,
    tokenType: accessToken === undefined ? undefined : grant.token_type,
    expiresIn: accessToken === undefined || typeof grant.expires_in !== 'number' ? undefined : grant.expires_in,
    refreshToken: typeof grant.refresh_token === 'string' ? grant.refresh_token : undefined,
    scope: typeof grant.scope === 'string' ? grant.scope : undefined,
  };
  const tokens: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) tokens[name] = value;
  // openid-client's names, kept off enumeration so a logged or serialised object shows each token once.
  const aliases: Record<string, unknown> = {
    id_token: fields.idToken,
    access_token: fields.accessToken,
    token_type: fields.tokenType,
    expires_in: fields.expiresIn,
    refresh_token: fields.refreshToken,
    claims: () => claims,
  };
  for (const [name, value] of Object.entries(aliases)) {
    if (value !== undefined) Object.defineProperty(tokens, name, { value, enumerable: false });
  }
  return tokens as unknown as UltrapassIdTokens;
}

function isSignedIn(req: Req): boolean {
  if (typeof req.isAuthenticated === 'function') return req.isAuthenticated();
  return req.user !== undefined && req.user !== null;
}

/** An OAuth error code is a short token; anything else is not repeated in a log line or message. */
function safeCode(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : 'unreadable error code';
}
