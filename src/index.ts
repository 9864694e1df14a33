export { UltraCartStrategy, type UltraCartAuthInfo } from './ultracart/strategy.js';
export {
  UltraCartClient,
  DEFAULT_BASE_URL,
  API_VERSION,
  type UltraCartConnectionOptions,
  type AuthorizeResponse,
  type TokenResponse,
} from './ultracart/client.js';
export { UltraCartApiError, type UltraCartEndpoint, type UltraCartErrorCode } from './ultracart/errors.js';
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
export type { StateStore, PendingSignIn, TakeResult } from './ultracart/state/types.js';
export { SessionRequiredError } from './errors.js';
export { safeReturnTo } from './http/return-to.js';
