/** What the NestJS example needs to run; `main.ts` fills it from the environment or the emulators. */
export interface NestExampleConfig {
  /** Where browsers reach this app, e.g. `http://127.0.0.1:3000`; the callback URL is built from it. */
  origin: string;
  /** Signs the express-session cookie; at least 32 characters. */
  sessionSecret: string;
  ultracart: { simpleKey: string; baseURL?: string };
  uauth: { organizationKey: string; workflowKey: string; baseURL?: string };
  /** UltrapassId's OpenID Connect: the registered client and, for the emulator, its issuer. */
  oidc: { clientId: string; issuer?: string };
}

/**
 * The injection token of the config. Named explicitly in every `@Inject()`: tsx and esbuild emit
 * no `design:paramtypes` metadata, so Nest cannot find providers by constructor parameter types.
 */
export const EXAMPLE_CONFIG = Symbol('NestExampleConfig');

export const CALLBACK_PATH = '/auth/ultracart/callback';
export const VERIFY_RETURN_PATH = '/verify/return';
export const OIDC_CALLBACK_PATH = '/verify/oidc/callback';

/** What the session keeps for a signed-in user (express-session, server-side). */
export interface SessionUser {
  id: string;
  login: string;
  name: string;
  simpleKey: string;
}
