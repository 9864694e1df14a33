/**
 * `npm run example:fastify`: the Fastify example on http://127.0.0.1:3000. With no
 * ULTRACART_SIMPLE_KEY it runs on the package's emulators (demo mode); set ULTRACART_SIMPLE_KEY,
 * UPID_ORGANIZATION_KEY, UPID_WORKFLOW_KEY, ULTRAPASSID_CLIENT_ID, SESSION_KEY (64 hex characters) and APP_ORIGIN to use
 * the real vendors.
 */
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
} from 'passport-ultracart/testing';
import { buildFastifyExample, OIDC_CALLBACK_PATH, VERIFY_RETURN_PATH, type FastifyExampleConfig } from './app.js';

const port = Number(process.env.PORT ?? 3000);
const env = process.env;
const demo = !env.ULTRACART_SIMPLE_KEY;
// In demo mode the app lives on 127.0.0.1, the host in its callback URL: a browser that opened
// localhost would keep its cookie there and come back to 127.0.0.1 without it.
const origin = demo ? `http://127.0.0.1:${port}` : required('APP_ORIGIN');

let config: FastifyExampleConfig;
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
    sessionKey: randomBytes(32),
    ultracart: { simpleKey: ultracart.appKey, baseURL: ultracart.url },
    uauth: { organizationKey: upid.organizationKey, workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY, baseURL: upid.url },
    oidc: { clientId: oidc.clientId, issuer: oidc.issuer },
  };
} else {
  config = {
    origin,
    sessionKey: Buffer.from(required('SESSION_KEY'), 'hex'),
    ultracart: { simpleKey: required('ULTRACART_SIMPLE_KEY') },
    uauth: { organizationKey: required('UPID_ORGANIZATION_KEY'), workflowKey: required('UPID_WORKFLOW_KEY'), baseURL: env.UPID_BASE_URL },
    oidc: { clientId: required('ULTRAPASSID_CLIENT_ID'), issuer: env.ULTRAPASSID_ISSUER },
  };
}

const app = await buildFastifyExample(config);
await app.listen({ port, host: '127.0.0.1' });
console.log(`Fastify example on ${origin}${demo ? ' (demo mode, on the emulators)' : ''}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => Promise.all(closers.map((close) => close())));
  });
}

function required(name: string): string {
  const value = env[name];
  if (!value) throw new Error(`examples/fastify: set ${name} (or leave ULTRACART_SIMPLE_KEY unset for demo mode)`);
  return value;
}
