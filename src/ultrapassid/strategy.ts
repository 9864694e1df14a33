import type { IncomingMessage } from 'node:http';
import * as oidc from 'openid-client';
import { readCallbackParams } from '../http/callback-params.js';
import { isLoopback } from '../http/loopback.js';
import { readParam, type QueryParam } from '../http/query.js';
import { checkRedirectTarget } from '../http/redirect-target.js';
import { log } from '../log.js';
import { createState } from '../sign-in/pending/state-value.js';
import type { PendingSignIn } from '../sign-in/pending/types.js';
import {
  SignInStrategy,
  type AnyVerifyFunction,
  type AuthorizationRequest,
  type CallbackInput,
  type Grant,
  type Refused,
} from '../sign-in/strategy.js';
import { UltrapassIdError } from './errors.js';
import { UltrapassIdFailureMessages, type UltrapassIdFailureReason } from './messages.js';
import {
  parseOptions,
  type ParsedOptions,
  type UltrapassIdBaseOptions,
  type UltrapassIdStrategyOptions,
  type UltrapassIdStrategyOptionsWithRequest,
  type UltrapassIdVerifyFunction,
  type UltrapassIdVerifyFunctionWithRequest,
} from './options.js';
import { toProfile, type UltrapassIdClaims } from './profile.js';
import { findProviderError, ProviderConfiguration } from './provider.js';
import { toTokens } from './tokens.js';

/** What the sign-in core needs to know about this vendor. */
const ULTRAPASSID = {
  owner: 'UltrapassIdStrategy',
  defaultName: 'ultrapassid',
  vendor: 'UltrapassId',
  messages: UltrapassIdFailureMessages,
  // Codes and states we issue or accept are far shorter; anything longer is refused unread.
  maxParamLength: 2048,
};
/** OpenID Connect caps `sub` at 255 ASCII characters. */
const MAX_SUBJECT_LENGTH = 255;
/** OAuth error codes that mean "this code (or its verifier) is no good", not "we are misconfigured". */
const CODE_REJECTED = new Set(['invalid_grant', 'invalid_request']);

type Reason = UltrapassIdFailureReason;

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
 * The authorize leg keeps the PKCE verifier and nonce with the pending sign-in and sends the
 * browser to the provider. The callback leg, once the sign-in core has checked and used up the
 * state, refuses a response from another issuer (RFC 9207), trades the code for the ID token and
 * hands the verified subject to the verify function. Works with `passport.authenticate()` (sign in)
 * and `passport.authorize()` (attach a verified identity as `req.account` to the user signed in).
 *
 * @example
 * passport.use(new UltrapassIdStrategy(
 *   { clientId: process.env.ULTRAPASSID_CLIENT_ID, callbackURL: 'https://shop.example.com/auth/ultrapassid/callback' },
 *   async (profile) => ({ ultrapassId: profile.id, verifiedAt: profile.verifiedAt }),
 * ));
 */
export class UltrapassIdStrategy extends SignInStrategy<Reason> {
  private readonly options: ParsedOptions;
  private readonly provider: ProviderConfiguration;

  constructor(options: UltrapassIdStrategyOptions, verify: UltrapassIdVerifyFunction);
  constructor(options: UltrapassIdStrategyOptionsWithRequest, verify: UltrapassIdVerifyFunctionWithRequest);
  constructor(options: UltrapassIdBaseOptions, verify: AnyVerifyFunction) {
    if (!options || typeof options !== 'object') throw new TypeError('UltrapassIdStrategy requires an options object');
    const { provider, signIn } = parseOptions(options);
    super({ ...ULTRAPASSID, options: signIn, verify });
    this.options = provider;
    // Discovery waits for the first sign-in: an app must start while its identity provider is down.
    this.provider = new ProviderConfiguration(provider, options.dispatcher);
  }

  /** A fresh nonce and PKCE verifier, kept with the state; the provider's authorization URL. */
  protected override async authorizationRequest(_req: IncomingMessage, state: string): Promise<AuthorizationRequest> {
    const config = await this.provider.get();
    const nonce = createState();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      response_type: 'code',
      redirect_uri: this.options.redirectURI,
      scope: this.options.scope,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      response_mode: this.options.responseMode,
      state,
      nonce,
    });
    // The browser may go to the provider's own authorization endpoint only, over https (http on loopback).
    const policy = { allowedOrigins: new Set([url.origin]), ...(isLoopback(url) && { plainHttpOrigin: url.origin }) };
    const target = checkRedirectTarget(url.href, policy);
    if (!target.ok) {
      throw new UltrapassIdError(`UltrapassId authorization URL refused: ${target.reason}`, {
        code: 'ULTRAPASSID_CONFIGURATION',
        endpoint: 'authorize',
        status: 500,
      });
    }
    return { url: target.url, pending: { codeVerifier, nonce } };
  }

  /** `form_post` answers arrive as a POSTed form; `query` ones in the query. */
  protected override async callbackParams(req: IncomingMessage): Promise<CallbackInput> {
    const input = await readCallbackParams(req);
    return input.ok ? input : { ok: false, reason: input.reason === 'formTooLarge' ? 'stateMalformed' : 'formUnreadable' };
  }

  /** An OAuth error code is logged when it is a short token; anything else is not repeated. */
  protected override callbackError(error: QueryParam): Refused<Reason> {
    const code = error.kind === 'string' && /^[\w.-]{1,64}$/.test(error.value) ? error.value : 'unreadable';
    log.strategy('ultrapassid callback carried error %s', code);
    return { refuse: code === 'access_denied' ? 'denied' : 'upstreamRefused', status: 401 };
  }

  /** The issuer check (RFC 9207), then the code exchange with the PKCE verifier, then the ID token's subject. */
  protected override async redeem(
    _req: IncomingMessage,
    code: string,
    pending: PendingSignIn,
    params: Record<string, unknown>,
  ): Promise<Grant | Refused<Reason>> {
    const iss = readParam(params, 'iss');
    if (iss.kind === 'not-a-string') return { refuse: 'issuerMismatch', status: 400 };
    if (pending.codeVerifier === undefined || pending.nonce === undefined) return { refuse: 'incompletePending', status: 403 };

    const config = await this.provider.get();
    const metadata = config.serverMetadata();
    // An `iss` naming another provider is a mix-up attack; refused before any token call.
    if (iss.kind === 'string' ? iss.value !== metadata.issuer : metadata.authorization_response_iss_parameter_supported === true) {
      return { refuse: 'issuerMismatch', status: 403 };
    }

    const response = new URL(this.options.redirectURI);
    response.searchParams.set('code', code);
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
      return this.grantRefusal(err);
    }

    const claims = grant.claims() as UltrapassIdClaims | undefined;
    if (!claims || typeof grant.id_token !== 'string') return { refuse: 'idTokenRejected', status: 403 };
    if (claims.sub === '' || claims.sub.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f]/.test(claims.sub)) {
      log.strategy('ultrapassid ID token refused: unusable sub');
      return { refuse: 'idTokenRejected', status: 403 };
    }
    const profile = toProfile(claims);
    return { verifyArgs: [profile, toTokens(grant, claims)], authInfo: { verifiedAt: profile.verifiedAt } };
  }

  /** A failed code exchange: the browser's fault (a refusal) or the provider's (an error with its status). */
  private grantRefusal(err: unknown): Refused<Reason> {
    const own = findProviderError(err);
    if (own) throw own;
    if (err instanceof oidc.ResponseBodyError) {
      log.strategy('ultrapassid token endpoint refused the code: %s', safeCode(err.error));
      if (CODE_REJECTED.has(err.error)) return { refuse: 'codeRejected', status: 401 };
      throw new UltrapassIdError(
        `UltrapassId token endpoint refused the client: ${safeCode(err.error)} (check clientId and the Portal's Redirect URIs)`,
        { code: 'ULTRAPASSID_CONFIGURATION', endpoint: 'token', status: 500, upstreamStatus: err.status },
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
      // The claim that failed, when openid-client names it only in the cause; never the claims' values.
      const claim = (err.cause as { claim?: unknown } | undefined)?.claim;
      log.strategy(
        'ultrapassid ID token refused: %s (%s%s)',
        err.message,
        err.code ?? 'no code',
        typeof claim === 'string' ? `, claim ${claim}` : '',
      );
      return { refuse: 'idTokenRejected', status: 403 };
    }
    throw new UltrapassIdError('UltrapassId token exchange failed unexpectedly', {
      code: 'ULTRAPASSID_BAD_RESPONSE',
      endpoint: 'token',
      status: 502,
      cause: err,
    });
  }
}

/** An OAuth error code is a short token; anything else is not repeated in a log line or message. */
function safeCode(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : 'unreadable error code';
}
