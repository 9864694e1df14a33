import type { IncomingMessage } from 'node:http';
import { checkRedirectTarget, normaliseOrigins, type RedirectPolicy } from '../http/redirect-target.js';
import { log } from '../log.js';
import { pickOptions, readOptions } from '../option-schema.js';
import type { PendingSignIn } from '../sign-in/pending/types.js';
import { SignInStrategy, type AuthorizationRequest, type Grant, type Refused } from '../sign-in/strategy.js';
import { DEFAULT_BASE_URL, UltraCartClient, type TokenResponse, type UltraCartConnectionOptions } from './client.js';
import { UltraCartApiError } from './errors.js';
import { UltraCartFailureMessages, type UltraCartFailureReason } from './messages.js';
import { credentialOf, DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS, STRATEGY_SCHEMA, ULTRACART_CONNECTION_SCHEMA } from './option-rules.js';
import type {
  UltraCartStrategyOptions,
  UltraCartStrategyOptionsWithRequest,
  UltraCartToken,
  UltraCartVerifyFunction,
  UltraCartVerifyFunctionWithRequest,
} from './options.js';
import { toProfile, type UltraCartProfile } from './user.js';

/** What the sign-in core needs to know about this vendor. */
const ULTRACART = {
  owner: 'UltraCartStrategy',
  defaultName: 'ultracart',
  vendor: 'UltraCart',
  messages: UltraCartFailureMessages,
  // Codes and states we issue or accept are far shorter; anything longer is refused unread.
  maxParamLength: 512,
};

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
 * The authorize leg sends the browser to the login page `PUT /sso/authorize` names; the callback
 * leg, once the sign-in core has checked and used up the state, trades the code for the user's
 * simple key (`PUT /sso/token`), fetches the user (`GET /sso/session/user`) and hands both to the
 * verify function. A key nobody will hold (refused, failed, not saved) is revoked.
 *
 * @example
 * passport.use(new UltraCartStrategy(
 *   { callbackURL: 'https://shop.example.com/auth/ultracart/callback', simpleKey: process.env.ULTRACART_SIMPLE_KEY },
 *   async (simpleKey, token, profile) => ({ id: profile.id, name: profile.displayName, simpleKey }),
 * ));
 */
export class UltraCartStrategy extends SignInStrategy<UltraCartFailureReason> {
  /** The client the strategy calls UltraCart with; usable directly, e.g. to revoke at logout. */
  readonly client: UltraCartClient;
  private readonly redirectPolicy: RedirectPolicy;
  private readonly lockToIp: boolean;
  private readonly unknownExpiryMaxAgeMs: number;

  constructor(options: UltraCartStrategyOptions, verify: UltraCartVerifyFunction);
  constructor(options: UltraCartStrategyOptionsWithRequest, verify: UltraCartVerifyFunctionWithRequest);
  constructor(
    options: UltraCartStrategyOptions | UltraCartStrategyOptionsWithRequest,
    verify: UltraCartVerifyFunction | UltraCartVerifyFunctionWithRequest,
  ) {
    const values = readOptions('UltraCartStrategy', options, STRATEGY_SCHEMA);
    credentialOf('UltraCartStrategy', values);
    super({ ...ULTRACART, options: values, verify });
    // Every option is checked above, so the client, given its own options, has nothing left to refuse.
    this.client = new UltraCartClient(pickOptions(options, ULTRACART_CONNECTION_SCHEMA) as UltraCartConnectionOptions);
    this.lockToIp = values.lockToIp === true;
    this.unknownExpiryMaxAgeMs = values.unknownExpiryMaxAgeMs ?? DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS;
    const apiOrigin = new URL(this.client.baseURL).origin;
    const allowed = values.allowedRedirectOrigins ?? [new URL(DEFAULT_BASE_URL).origin, apiOrigin];
    this.redirectPolicy = {
      allowedOrigins: normaliseOrigins(allowed, 'UltraCartStrategy: the allowedRedirectOrigins option'),
      plainHttpOrigin: apiOrigin,
    };
  }

  /** `PUT /sso/authorize`: the login page to send the browser to, and how long UltraCart keeps it open. */
  protected override async authorizationRequest(_req: IncomingMessage, state: string): Promise<AuthorizationRequest> {
    const authorization = await this.client.authorize(this.redirectURI, state);
    const target = checkRedirectTarget(authorization.loginUrl, this.redirectPolicy);
    if (!target.ok) {
      throw new UltraCartApiError(`UltraCart PUT /sso/authorize: login_url refused, ${target.reason}`, {
        code: 'ULTRACART_BAD_RESPONSE',
        endpoint: 'authorize',
        status: 502,
      });
    }
    return { url: target.url, expiresAt: authorization.expiresAt?.getTime() };
  }

  /** `PUT /sso/token`, then the user the key acts as. */
  protected override async redeem(
    req: IncomingMessage,
    code: string,
    _pending: PendingSignIn,
  ): Promise<Grant | Refused<UltraCartFailureReason>> {
    let token: TokenResponse;
    try {
      token = await this.client.token(code);
    } catch (err) {
      // What an UltraCart status means is decided once, in ultracart/errors.ts; its verdict is the code.
      if (err instanceof UltraCartApiError && err.code === 'ULTRACART_CODE_REJECTED') {
        log.strategy('token exchange refused by UltraCart with %d', err.upstreamStatus);
        return { refuse: 'codeRejected', status: 401 };
      }
      throw err;
    }
    const release = (): Promise<void> => this.revokeQuietly(token.simpleKey);

    const problem = this.tokenProblem(token, req);
    if (problem) {
      await release();
      return { refuse: problem, status: 403 };
    }
    const expiresAt = this.keyExpiry(token);

    let profile: UltraCartProfile;
    try {
      profile = await this.userProfile(token.simpleKey);
    } catch (err) {
      if (err instanceof UltraCartApiError && err.code === 'ULTRACART_SESSION_ENDED') return { refuse: 'sessionEnded', status: 401 };
      await release();
      throw err;
    }
    const tokenInfo: UltraCartToken = { simpleKey: token.simpleKey, expiresAt, ipAddress: token.ipAddress };
    return { verifyArgs: [token.simpleKey, tokenInfo, profile], authInfo: { expiresAt }, release };
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

  /** Why a freshly issued key must not be used, if it must not. */
  private tokenProblem(token: TokenResponse, req: IncomingMessage & { ip?: string }): UltraCartFailureReason | undefined {
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) return 'keyExpired';
    if (this.lockToIp && normaliseIp(token.ipAddress) !== normaliseIp(req.ip ?? req.socket?.remoteAddress ?? null)) {
      return 'ipMismatch';
    }
    return undefined;
  }

  /** Revokes a key nobody will hold; a failure is retried in the background by the client. */
  private async revokeQuietly(simpleKey: string): Promise<void> {
    const outcome = await this.client.revokeWithRetry(simpleKey);
    if (outcome !== 'revoked' && outcome !== 'already-ended') log.strategy('revoking an unused key: %s', outcome);
  }
}

function normaliseIp(ip: string | null): string | null {
  if (!ip) return null;
  const trimmed = ip.trim().toLowerCase();
  return trimmed.startsWith('::ffff:') && trimmed.includes('.') ? trimmed.slice(7) : trimmed;
}
