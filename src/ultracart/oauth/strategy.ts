import type { IncomingMessage } from 'node:http';
import type { QueryParam } from '../../http/query.js';
import { log } from '../../log.js';
import { pickOptions, readOptions } from '../../option-schema.js';
import type { PendingSignIn } from '../../sign-in/pending/types.js';
import { SignInStrategy, type AnyVerifyFunction, type AuthorizationRequest, type Grant, type Refused } from '../../sign-in/strategy.js';
import { authorizeURL } from './authorize-url.js';
import { callbackError } from './callback-error.js';
import { UltraCartOAuthClient, type UltraCartOAuthClientOptions } from './client.js';
import { UltraCartOAuthError } from './errors.js';
import { UltraCartOAuthFailureMessages, type UltraCartOAuthFailureReason } from './messages.js';
import { OAUTH_CLIENT_SCHEMA, OAUTH_STRATEGY_SCHEMA } from './option-rules.js';
import type {
  UltraCartOAuthBaseOptions,
  UltraCartOAuthStrategyOptions,
  UltraCartOAuthStrategyOptionsWithRequest,
  UltraCartOAuthVerifyFunction,
  UltraCartOAuthVerifyFunctionWithRequest,
} from './options.js';
import { buildProfile, type MerchantLookup, type UltraCartOAuthProfile } from './profile.js';
import type { UltraCartOAuthTokens } from './tokens.js';

/** What the sign-in core needs to know about this vendor. */
const ULTRACART_OAUTH = {
  owner: 'UltraCartOAuthStrategy',
  defaultName: 'ultracart-oauth',
  vendor: 'UltraCart',
  messages: UltraCartOAuthFailureMessages,
  // Codes and states we issue or accept are far shorter; anything longer is refused unread.
  maxParamLength: 512,
};
/** A code goes into a form body: printable ASCII only. */
const CODE = /^[\x21-\x7e]+$/;

/**
 * Passport strategy for UltraCart OAuth 2.0 ("Connect your UltraCart store"): a merchant approves
 * the app on UltraCart's page, and the app gets an access token and a refresh token for that
 * merchant's account. Usually run with `passport.authorize()`, to attach the store to the user
 * already signed in (`req.account`); `passport.authenticate()` works too.
 *
 * The authorize leg sends the browser to `GET /oauth/authorize` (no call to UltraCart); the
 * callback, once the sign-in core has checked and used up the state, trades the code at
 * `POST /oauth/token` and hands the tokens and what is known of the merchant to verify. Tokens
 * nobody will hold (verify refused or failed, the session could not be saved) are revoked.
 *
 * @example
 * passport.use(new UltraCartOAuthStrategy(
 *   { clientId: process.env.ULTRACART_CLIENT_ID, callbackURL: 'https://app.example.com/store/callback', merchantLookup: '/item/items?_limit=1' },
 *   async (tokens, profile) => ({ merchantId: profile.merchantId, tokens }),
 * ));
 * app.get('/store/connect', passport.authorize('ultracart-oauth'));
 */
export class UltraCartOAuthStrategy extends SignInStrategy<UltraCartOAuthFailureReason> {
  /** The client the strategy calls UltraCart with; usable directly, e.g. to refresh or revoke. */
  readonly client: UltraCartOAuthClient;
  private readonly merchantLookup: MerchantLookup | false;

  constructor(options: UltraCartOAuthStrategyOptions, verify: UltraCartOAuthVerifyFunction);
  constructor(options: UltraCartOAuthStrategyOptionsWithRequest, verify: UltraCartOAuthVerifyFunctionWithRequest);
  constructor(options: UltraCartOAuthBaseOptions, verify: AnyVerifyFunction) {
    const values = readOptions(ULTRACART_OAUTH.owner, options, OAUTH_STRATEGY_SCHEMA);
    super({ ...ULTRACART_OAUTH, options: values, verify });
    this.client = new UltraCartOAuthClient(pickOptions(options, OAUTH_CLIENT_SCHEMA) as UltraCartOAuthClientOptions);
    this.merchantLookup = values.merchantLookup ?? false;
  }

  /** UltraCart's approval page for `state`; nothing is asked of UltraCart yet. */
  protected override async authorizationRequest(_req: IncomingMessage, state: string): Promise<AuthorizationRequest> {
    return { url: authorizeURL(this.client.authorizeURL, { clientId: this.client.clientId, redirectUri: this.redirectURI, state }) };
  }

  /** `access_denied` is the merchant saying no; `invalid_request`, an approval link that expired. */
  protected override callbackError(error: QueryParam): Refused<UltraCartOAuthFailureReason> {
    return { refuse: callbackError(error), status: 401 };
  }

  /** `POST /oauth/token`, then what is known of the merchant. */
  protected override async redeem(
    _req: IncomingMessage,
    code: string,
    _pending: PendingSignIn,
  ): Promise<Grant | Refused<UltraCartOAuthFailureReason>> {
    if (!CODE.test(code)) return { refuse: 'malformedCode', status: 400 };
    let tokens: UltraCartOAuthTokens;
    try {
      tokens = await this.client.exchangeCode(code, this.redirectURI);
    } catch (err) {
      if (err instanceof UltraCartOAuthError && err.code === 'ULTRACART_OAUTH_CODE_REJECTED') {
        log.strategy('OAuth code exchange refused by UltraCart with %d', err.upstreamStatus);
        return { refuse: 'codeRejected', status: 401 };
      }
      throw err;
    }
    // Nobody holds these tokens yet, and they act for the merchant's whole account.
    const release = (): Promise<void> => this.revokeQuietly(tokens);
    let profile: UltraCartOAuthProfile;
    try {
      profile = await this.userProfile(tokens);
    } catch (err) {
      await release();
      throw err;
    }
    return { verifyArgs: [tokens, profile], authInfo: { expiresAt: tokens.expiresAt, scopes: tokens.scopes }, release };
  }

  /**
   * What is known of the connected merchant (see {@link buildProfile}). A subclass may override it
   * to ask UltraCart more with `tokens.accessToken`; an error it throws ends the connection in an
   * error, and the tokens are revoked.
   */
  protected userProfile(tokens: UltraCartOAuthTokens): Promise<UltraCartOAuthProfile> {
    return buildProfile(this.client, tokens, this.merchantLookup);
  }

  /** Revokes tokens nobody will hold; a failure is logged by its code only. */
  private async revokeQuietly(tokens: UltraCartOAuthTokens): Promise<void> {
    try {
      await this.client.revoke(tokens.accessToken);
    } catch (err) {
      log.strategy('revoking unused OAuth tokens failed: %s', err instanceof UltraCartOAuthError ? err.code : 'unexpected error');
    }
  }
}
