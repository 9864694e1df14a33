export {
  startUltraCartEmulator,
  DEFAULT_EMULATOR_USERS,
  type UltraCartEmulator,
  type UltraCartEmulatorOptions,
  type UltraCartEmulatorEndpoint,
} from './ultracart-emulator.js';
export type { Fault, RecordedCall } from './server-kit.js';
