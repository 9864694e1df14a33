export { UltraCartStrategy, type UltraCartAuthInfo } from './ultracart/strategy.js';
export {
  UltraCartClient,
  type UltraCartConnectionOptions,
  type UltraCartConnectionSettings,
  type UltraCartCredential,
  type AuthorizeResponse,
  type TokenResponse,
} from './ultracart/client.js';
export { UltraCartApiError, type UltraCartEndpoint, type UltraCartErrorCode } from './ultracart/errors.js';
export { type Revocations, type RevocationEvent, type RevocationOutcome, type RevokeRetryOptions } from './ultracart/revocations.js';
export { UltraCartFailureMessages, type UltraCartFailureReason, FailureMessages, type FailureReason } from './ultracart/messages.js';
export type {
  UltraCartBaseStrategyOptions,
  UltraCartStrategyOptions,
  UltraCartStrategyOptionsWithRequest,
  UltraCartVerifyFunction,
  UltraCartVerifyFunctionWithRequest,
  UltraCartAuthenticateOptions,
  UltraCartToken,
  StrategyOptions,
  StrategyOptionsWithRequest,
  VerifyFunction,
  VerifyFunctionWithRequest,
} from './ultracart/options.js';
export type { SignInOptions } from './sign-in/options.js';
export { VerifyTimeoutError, type VerifyDone } from './sign-in/run-verify.js';
export { readFailureReason, type SharedFailureReason } from './sign-in/reasons.js';
export type { UltraCartUser, UltraCartProfile } from './ultracart/user.js';
export { SessionStateStore, type SessionStateStoreOptions } from './sign-in/pending/session-store.js';
export { CookieStateStore, type CookieStateStoreOptions } from './sign-in/pending/cookie-store.js';
export type { StateStore, StateCookieSettings, PendingSignIn, TakeResult, TakeScope } from './sign-in/pending/types.js';
export {
  MemoryUsedStateLedger,
  processUsedStates,
  type MemoryUsedStateLedgerOptions,
  type UsedStateLedger,
} from './sign-in/used-states/ledger.js';
export {
  RedisUsedStateLedger,
  type RedisUsedStateLedgerOptions,
  type IoRedisLike,
  type NodeRedisLike,
} from './sign-in/used-states/redis-ledger.js';
export { UsedStatesUnavailableError } from './sign-in/used-states/errors.js';
export { SessionRemovalError, SessionRequiredError } from './errors.js';
export { PassportUltraCartError, type PassportUltraCartErrorOptions } from './http/errors.js';
export {
  uauth,
  UAUTH_DEFAULT_SESSION_KEY,
  type UAuthOptions,
  type UAuthMiddleware,
  type UAuthSessionRecord,
  type UAuthCreatedSession,
} from './uauth/middleware.js';
export {
  uauthReturnCheck,
  UAuthReturnMessages,
  type UAuthReturn,
  type UAuthReturnOptions,
  type UAuthReturnReason,
} from './uauth/return-check.js';
export { UAuthClient, type UAuthConnectionOptions, type CreatedSession, type CachedWorkflowSession } from './uauth/client.js';
export { UAuthApiError, type UAuthEndpoint, type UAuthErrorCode } from './uauth/errors.js';
export { safeReturnTo } from './http/return-to.js';
export { UltrapassIdStrategy, type UltrapassIdAuthInfo } from './ultrapassid/strategy.js';
export { UltrapassIdError, type UltrapassIdEndpoint, type UltrapassIdErrorCode } from './ultrapassid/errors.js';
export { UltrapassIdFailureMessages, type UltrapassIdFailureReason } from './ultrapassid/messages.js';
export {
  ULTRAPASSID_DEFAULT_ISSUER,
  type UltrapassIdStrategyOptions,
  type UltrapassIdStrategyOptionsWithRequest,
  type UltrapassIdAuthenticateOptions,
  type UltrapassIdResponseMode,
  type UltrapassIdVerifyDone,
  type UltrapassIdVerifyFunction,
  type UltrapassIdVerifyFunctionWithRequest,
} from './ultrapassid/options.js';
export type { UltrapassIdProfile, UltrapassIdTokens, UltrapassIdClaims } from './ultrapassid/profile.js';
import './passport-augmentation.js';
export { UltraCartOAuthStrategy } from './ultracart/oauth/strategy.js';
export { UltraCartOAuthClient, type UltraCartOAuthClientOptions, type UltraCartOAuthRevocation } from './ultracart/oauth/client.js';
export {
  UltraCartOAuthError,
  UltraCartNotConnectedError,
  UltraCartRefreshBusyError,
  type UltraCartOAuthEndpoint,
  type UltraCartOAuthErrorCode,
} from './ultracart/oauth/errors.js';
export { UltraCartOAuthConnections, type UltraCartOAuthConnectionsOptions, type DisconnectOutcome } from './ultracart/oauth/connections.js';
export { MemoryOAuthTokenStore, type OAuthTokenStore, type StoredOAuthTokens } from './ultracart/oauth/token-store.js';
export {
  RedisOAuthTokenStore,
  OAuthTokenStoreUnavailableError,
  type RedisOAuthTokenStoreOptions,
} from './ultracart/oauth/redis-token-store.js';
export { UltraCartOAuthFailureMessages, type UltraCartOAuthFailureReason } from './ultracart/oauth/messages.js';
export type { UltraCartOAuthTokens } from './ultracart/oauth/tokens.js';
export { merchantIdIn, type UltraCartOAuthProfile, type MerchantLookup, type MerchantIdSource } from './ultracart/oauth/profile.js';
export type {
  UltraCartOAuthStrategyOptions,
  UltraCartOAuthStrategyOptionsWithRequest,
  UltraCartOAuthAuthenticateOptions,
  UltraCartOAuthInfo,
  UltraCartOAuthVerifyFunction,
  UltraCartOAuthVerifyFunctionWithRequest,
} from './ultracart/oauth/options.js';
export type { WaitForReplicas } from './sign-in/used-states/redis-ledger.js';
