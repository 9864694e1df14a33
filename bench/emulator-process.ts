/**
 * The upstream of the benchmark, in its own process: the UltraCart emulator (auto-approving login),
 * with its OAuth 2.0 flow (auto-approving), the OAuth 2.0 dialect for passport-oauth2, and the UltrapassId OpenID Connect emulator. Controlled by bench/run.ts over IPC: latency
 * switch, connection counters, reset of the emulator's call record (which would otherwise grow
 * with every request of the run).
 */
import { DEFAULT_EMULATOR_USERS, startUltraCartEmulator, startUltrapassIdOidcEmulator } from 'passport-ultracart/testing';
import { answerControl, exitWithParent, sendToParent } from './ipc.js';
import { startOAuth2Dialect } from './upstream/oauth2-dialect.js';

const emulator = await startUltraCartEmulator({ autoApprove: true, oauth: { autoApprove: true } });
const dialect = await startOAuth2Dialect(DEFAULT_EMULATOR_USERS);
// Bounded recorded calls: the bench resets them every round anyway.
const oidc = await startUltrapassIdOidcEmulator({ autoApprove: true, maxRecordedCalls: 1000 });
exitWithParent(async () => {
  await Promise.all([emulator.close(), dialect.close(), oidc.close()]);
});

answerControl((command) => {
  if (command.type === 'latency') {
    emulator.setLatency(command.ms);
    dialect.setLatency(command.ms);
    oidc.setLatency(command.ms);
  } else if (command.type === 'reset') {
    emulator.reset();
    dialect.reset();
    oidc.reset();
  }
  return { connections: { ultracart: emulator.connections, oauth2: dialect.connections, oidc: oidc.connections } };
});

sendToParent({
  type: 'ready',
  url: emulator.url,
  upstream: {
    ultracartURL: emulator.url,
    ultracartOrigin: emulator.origin,
    appKey: emulator.appKey,
    oauth2Origin: dialect.origin,
    oauth2ClientId: dialect.clientId,
    oauth2ClientSecret: dialect.clientSecret,
    oidcIssuer: oidc.issuer,
    oidcClientId: oidc.clientId,
    ultracartOAuthClientId: emulator.oauth.clientId,
    ultracartOAuthClientSecret: emulator.oauth.clientSecret,
  },
});
