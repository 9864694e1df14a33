/**
 * `npm start`: the example app, on emulators unless real-vendor settings are given.
 *
 * Each vendor whose variables are absent is replaced by its emulator from
 * `passport-ultracart/testing`, started on loopback beside the app; see the configuration
 * table in docs/example-app.md for the variables.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
} from 'passport-ultracart/testing';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type AppSettings, type Config } from './config.js';
import { CALLBACK_PATH } from './routes/auth.js';
import { OIDC_CALLBACK_PATH } from './routes/oidc-verify.js';
import { VERIFY_RETURN_PATH } from './routes/verify.js';
import { loadStoreSettings, STORE_CALLBACK_PATH, type StoreSettings } from './store-config.js';
import { startupWarnings } from './startup-checks.js';

const log = (line: string): void => console.log(line);

async function main(): Promise<void> {
  let config: Config;
  let storeConfig: StoreSettings | undefined;
  try {
    config = loadConfig();
    storeConfig = loadStoreSettings(process.env, config.production);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }

  // Nobody reads the emulators' recorded calls here: keep a few, so a long demo session stays small.
  const recorded = { maxRecordedCalls: 1_000 };
  const closers: Array<() => Promise<void>> = [];
  let handler = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(503, { 'retry-after': '1' }).end('starting');
  };
  const server = createServer((req, res) => handler(req, res));
  // Loopback unless BIND_ADDRESS opens it: only the proxy may reach the app, which speaks plain http.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.bindAddress, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const localOrigin = `http://127.0.0.1:${port}`;

  let shuttingDown = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log(`${signal}: shutting down`);
    server.close();
    server.closeAllConnections();
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    let ultracart = config.ultracart;
    let store = storeConfig;
    if (!ultracart || (!store && !config.production)) {
      const emulator = await startUltraCartEmulator(recorded);
      closers.push(() => emulator.close());
      ultracart ??= { simpleKey: emulator.appKey, baseURL: emulator.url, callbackURL: `${localOrigin}${CALLBACK_PATH}` };
      // The same emulator serves "Connect your UltraCart store" (OAuth 2.0), with its confidential demo app.
      store ??= {
        clientId: emulator.oauth.clientId,
        clientSecret: emulator.oauth.clientSecret,
        baseURL: emulator.url,
        callbackURL: `${localOrigin}${STORE_CALLBACK_PATH}`,
        merchantLookup: '/item/items?_limit=1',
      };
      log(`UltraCart emulator: ${emulator.origin}`);
    }
    let uauth = config.uauth;
    if (!uauth) {
      const emulator = await startUAuthEmulator({ ...recorded, clientRedirectUrl: `${localOrigin}${VERIFY_RETURN_PATH}` });
      closers.push(() => emulator.close());
      uauth = {
        organizationKey: emulator.organizationKey,
        workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
        baseURL: emulator.url,
        allowedRedirectOrigins: [emulator.origin],
      };
      log(`UltrapassId emulator: ${emulator.origin}`);
    }
    let oidc = config.oidc;
    if (!oidc) {
      // On localhost, another site than the app on 127.0.0.1, as the real provider is: SameSite rules apply to the return.
      const emulator = await startUltrapassIdOidcEmulator({
        ...recorded,
        hostname: 'localhost',
        redirectUris: [`${localOrigin}${OIDC_CALLBACK_PATH}`],
      });
      closers.push(() => emulator.close());
      oidc = { clientId: emulator.clientId, issuer: emulator.issuer, callbackURL: `${localOrigin}${OIDC_CALLBACK_PATH}` };
      log(`UltrapassId OpenID Connect emulator: ${emulator.issuer}`);
    }
    const settings: AppSettings = { ...config, ultracart, uauth, oidc, store };
    const app = await createApp(settings, { log });
    closers.push(() => app.close());
    handler = app.app;
  } catch (err) {
    await shutdown('start-up failure');
    throw err;
  }

  if (config.sessionSecretGenerated) log('SESSION_SECRET is not set: using a random one, so sessions end when the app restarts.');
  for (const warning of startupWarnings(config, port)) log(`Warning: ${warning}`);
  log(
    config.emulated
      ? `Example app ready: open ${localOrigin}/`
      : `Example app listening on port ${port} at ${config.bindAddress} (behind your TLS proxy: only the proxy may reach this port)`,
  );
}

main().catch((err: unknown) => {
  console.error(`Start-up failed: ${err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'}`);
  process.exitCode = 1;
});
