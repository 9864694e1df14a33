/**
 * `npm run staging:emulators`: the three vendor emulators, standing in for UltraCart and
 * UltrapassId in a staging set-up where the example app runs as in production (`NODE_ENV=production`,
 * behind a TLS proxy) and the emulators sit behind the same proxy, on public https origins. It
 * prints the app variables that point at them. See "Staging without vendor accounts" in
 * docs/example-app.md.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
  type EmulatorExposure,
  type EmulatorTls,
  type UAuthEmulator,
  type UltraCartEmulator,
  type UltrapassIdOidcEmulator,
} from 'passport-ultracart/testing';
import { ConfigError } from './config.js';
import { CALLBACK_PATH } from './routes/auth.js';
import { OIDC_CALLBACK_PATH } from './routes/oidc-verify.js';
import { VERIFY_RETURN_PATH } from './routes/verify.js';

type Env = Record<string, string | undefined>;

/** The running emulators and the app variables that point at them. */
export interface StagingEmulators {
  ultracart: UltraCartEmulator;
  uauth: UAuthEmulator;
  oidc: UltrapassIdOidcEmulator;
  /** `ULTRACART_BASE_URL` and the rest, for the app's environment. */
  appVariables: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the emulators from `env`: `APP_ORIGIN` (the app's public origin; required), for each of
 * `ULTRACART`, `UAUTH` and `ULTRAPASSID` an `<NAME>_EMULATOR_PORT` (default 4001, 4002, 4003) and
 * `<NAME>_EMULATOR_ORIGIN` (its public origin at the proxy), `EMULATOR_TLS_CERT` and
 * `EMULATOR_TLS_KEY` (PEM files: serve https without a proxy), and
 * `ULTRACART_EMULATOR_KEY_LIFETIME_SECONDS` (how long simple keys live; default an hour).
 */
export async function startStagingEmulators(env: Env = process.env): Promise<StagingEmulators> {
  const appOrigin = originFrom(env, 'APP_ORIGIN');
  if (appOrigin === undefined)
    throw new ConfigError('APP_ORIGIN', 'is required: the public origin of the app, e.g. https://shop.staging.example');
  const tls = tlsFrom(env);
  const keyLifetime = present(env.ULTRACART_EMULATOR_KEY_LIFETIME_SECONDS);
  if (keyLifetime !== undefined && !/^\d{1,6}$/.test(keyLifetime)) {
    throw new ConfigError('ULTRACART_EMULATOR_KEY_LIFETIME_SECONDS', 'must be a whole number of seconds');
  }
  const started: Array<{ close(): Promise<void> }> = [];
  try {
    const ultracart = await startUltraCartEmulator({
      ...exposure(env, 'ULTRACART', 4001, tls),
      ...(keyLifetime !== undefined && { keyLifetimeMs: Number(keyLifetime) * 1000 }),
    });
    started.push(ultracart);
    const uauth = await startUAuthEmulator({
      ...exposure(env, 'UAUTH', 4002, tls),
      clientRedirectUrl: `${appOrigin}${VERIFY_RETURN_PATH}`,
    });
    started.push(uauth);
    const oidc = await startUltrapassIdOidcEmulator({
      ...exposure(env, 'ULTRAPASSID', 4003, tls),
      redirectUris: [`${appOrigin}${OIDC_CALLBACK_PATH}`],
    });
    started.push(oidc);
    const appVariables = {
      ULTRACART_SIMPLE_KEY: ultracart.appKey,
      ULTRACART_BASE_URL: ultracart.url,
      ULTRACART_CALLBACK_URL: `${appOrigin}${CALLBACK_PATH}`,
      UPID_ORGANIZATION_KEY: uauth.organizationKey,
      UPID_WORKFLOW_KEY: DEFAULT_UAUTH_WORKFLOW_KEY,
      UPID_BASE_URL: uauth.url,
      UPID_ALLOWED_REDIRECT_ORIGINS: uauth.origin,
      ULTRAPASSID_CLIENT_ID: oidc.clientId,
      ULTRAPASSID_ISSUER: oidc.issuer,
      ULTRAPASSID_CALLBACK_URL: `${appOrigin}${OIDC_CALLBACK_PATH}`,
    };
    return { ultracart, uauth, oidc, appVariables, close: () => closeAll(started) };
  } catch (err) {
    await closeAll(started);
    throw err;
  }
}

function exposure(env: Env, name: string, defaultPort: number, tls: EmulatorTls | undefined): EmulatorExposure & { port: number } {
  const portText = present(env[`${name}_EMULATOR_PORT`]);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || (portText !== undefined && !/^\d{1,5}$/.test(portText))) {
    throw new ConfigError(`${name}_EMULATOR_PORT`, 'must be a port number');
  }
  const publicOrigin = originFrom(env, `${name}_EMULATOR_ORIGIN`);
  return { port, ...(publicOrigin !== undefined && { publicOrigin }), ...(tls !== undefined && { tls }) };
}

function originFrom(env: Env, variable: string): string | undefined {
  const raw = present(env[variable]);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(variable, 'must be an origin such as https://ultracart.staging.example');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search || url.hash || url.username) {
    throw new ConfigError(variable, 'must be an origin such as https://ultracart.staging.example, with no path');
  }
  return url.origin;
}

function tlsFrom(env: Env): EmulatorTls | undefined {
  const certFile = present(env.EMULATOR_TLS_CERT);
  const keyFile = present(env.EMULATOR_TLS_KEY);
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new ConfigError(certFile === undefined ? 'EMULATOR_TLS_CERT' : 'EMULATOR_TLS_KEY', 'is required with the other one');
  }
  const read = (variable: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(variable, 'must name a readable PEM file');
    }
  };
  return { cert: read('EMULATOR_TLS_CERT', certFile), key: read('EMULATOR_TLS_KEY', keyFile) };
}

async function closeAll(started: Array<{ close(): Promise<void> }>): Promise<void> {
  for (const emulator of started.reverse()) await emulator.close().catch(() => {});
}

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

async function main(): Promise<void> {
  let emulators: StagingEmulators;
  try {
    emulators = await startStagingEmulators();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  console.log('Emulators ready. Start the example app with these variables (and NODE_ENV, SESSION_SECRET, TRUST_PROXY):');
  for (const [name, value] of Object.entries(emulators.appVariables)) console.log(`${name}=${value}`);
  const stop = (): void => void emulators.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err: unknown) => {
    console.error(`Start-up failed: ${err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'}`);
    process.exitCode = 1;
  });
}
