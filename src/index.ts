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
export { FailureMessages, type FailureReason } from './ultracart/messages.js';
export type {
  StrategyOptions,
  StrategyOptionsWithRequest,
  UltraCartAuthenticateOptions,
  UltraCartToken,
  VerifyDone,
  VerifyFunction,
  VerifyFunctionWithRequest,
} from './ultracart/options.js';
export type { UltraCartUser, UltraCartProfile } from './ultracart/user.js';
export { SessionStateStore, type SessionStateStoreOptions } from './ultracart/state/session-store.js';
export { CookieStateStore, type CookieStateStoreOptions } from './ultracart/state/cookie-store.js';
export type { StateStore, StateCookieSettings, PendingSignIn, TakeResult } from './ultracart/state/types.js';
export { MemoryUsedStateLedger, processUsedStates, type MemoryUsedStateLedgerOptions, type UsedStateLedger } from './state/used-states.js';
export { RedisUsedStateLedger, type RedisUsedStateLedgerOptions, type IoRedisLike, type NodeRedisLike } from './state/redis-used-states.js';
export { UsedStatesUnavailableError } from './state/errors.js';
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
export type { WaitForReplicas } from './state/redis-used-states.js';
