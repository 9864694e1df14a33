/**
 * `npm run example:nestjs`: the NestJS example on http://127.0.0.1:3000. With no
 * ULTRACART_SIMPLE_KEY it runs on the package's emulators (demo mode); set ULTRACART_SIMPLE_KEY,
 * UPID_ORGANIZATION_KEY, UPID_WORKFLOW_KEY, ULTRAPASSID_CLIENT_ID, SESSION_SECRET and APP_ORIGIN to use the real vendors.
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
} from 'passport-ultracart/testing';
import { createNestExample } from './bootstrap.js';
import { OIDC_CALLBACK_PATH, VERIFY_RETURN_PATH, type NestExampleConfig } from './config.js';

const port = Number(process.env.PORT ?? 3000);
const env = process.env;
const demo = !env.ULTRACART_SIMPLE_KEY;
// In demo mode the app lives on 127.0.0.1, the host in its callback URL (localhost is sent there).
const origin = demo ? `http://127.0.0.1:${port}` : required('APP_ORIGIN');

let config: NestExampleConfig;
const closers: Array<() => Promise<void>> = [];
if (demo) {
  const ultracart = await startUltraCartEmulator();
  const upid = await startUAuthEmulator({ clientRedirectUrl: `${origin}${VERIFY_RETURN_PATH}` });
  const oidc = await startUltrapassIdOidcEmulator({ redirectUris: [`${origin}${OIDC_CALLBACK_PATH}`] });
  closers.push(
    () => ultracart.close(),
    () => upid.close(),
    () => oidc.close(),
  );
  config = {
    origin,
    sessionSecret: randomBytes(32).toString('hex'),
    ultracart: { simpleKey: ultracart.appKey, baseURL: ultracart.url },
    uauth: { organizationKey: upid.organizationKey, workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY, baseURL: upid.url },
    oidc: { clientId: oidc.clientId, issuer: oidc.issuer },
  };
} else {
  config = {
    origin,
    sessionSecret: required('SESSION_SECRET'),
    ultracart: { simpleKey: required('ULTRACART_SIMPLE_KEY') },
    uauth: { organizationKey: required('UPID_ORGANIZATION_KEY'), workflowKey: required('UPID_WORKFLOW_KEY'), baseURL: env.UPID_BASE_URL },
    oidc: { clientId: required('ULTRAPASSID_CLIENT_ID'), issuer: env.ULTRAPASSID_ISSUER },
  };
}

const app = await createNestExample(config);
await app.listen(port, '127.0.0.1');
console.log(`NestJS example on ${origin}${demo ? ' (demo mode, on the emulators)' : ''}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => Promise.all(closers.map((close) => close())));
  });
}

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`examples/nestjs: set ${name} (or leave ULTRACART_SIMPLE_KEY unset for demo mode)`);
  return value;
}
