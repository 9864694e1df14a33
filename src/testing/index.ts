export {
  startUltraCartEmulator,
  DEFAULT_EMULATOR_USERS,
  type UltraCartEmulator,
  type UltraCartEmulatorOptions,
  type UltraCartEmulatorEndpoint,
  type ExpiryFormat,
} from './ultracart-emulator.js';
export {
  startUAuthEmulator,
  DEFAULT_UAUTH_WORKFLOW_KEY,
  type UAuthEmulator,
  type UAuthEmulatorOptions,
  type UAuthEmulatorEndpoint,
  type UAuthEmulatorWorkflow,
  type UAuthResponseShape,
} from './uauth-emulator.js';
export type { EmulatorExposure, EmulatorHostname, EmulatorTls, Fault, RecordedCall } from './server-kit.js';
export {
  startUltrapassIdOidcEmulator,
  DEFAULT_ULTRAPASSID_PEOPLE,
  type UltrapassIdOidcEmulator,
  type UltrapassIdOidcEmulatorOptions,
  type UltrapassIdOidcEndpoint,
  type UltrapassIdOidcFault,
  type UltrapassIdCallback,
  type UltrapassIdPerson,
  type IdTokenFault,
} from './ultrapassid-oidc-emulator.js';
export type {
  UltraCartOAuthEmulator,
  UltraCartOAuthEmulatorOptions,
  UltraCartOAuthEmulatorEndpoint,
  UltraCartOAuthApp,
  GrantErrorShape,
} from './ultracart-oauth-emulator.js';
