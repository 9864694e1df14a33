import { expect } from 'chai';
import createDebug from 'debug';
import { randomBytes } from 'node:crypto';
import { UltraCartOAuthConnections } from '../../src/index.js';
import { beginConnect, OAUTH_CALLBACK_PATH, pathOf, startOAuthHarness, type OAuthHarness } from '../support/ultracart-oauth-harness.js';

/**
 * Threat-model case 46 for the OAuth flow: with the package's debug output on, every step and
 * failure of a connection's life (connect, refusals, refresh, an API call, disconnect) is run, and
 * nothing secret (the client secret, a code, a state, an access or refresh token) may appear in
 * what is logged, nor in an answer sent to the browser.
 */
describe('UltraCart OAuth: secrets stay out of the logs', () => {
  let h: OAuthHarness;
  const lines: string[] = [];
  const previous = { log: createDebug.log, namespaces: createDebug.disable(), warn: console.warn };

  before(() => {
    createDebug.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
    createDebug.enable('passport-ultracart:*');
    console.warn = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  });
  after(async () => {
    createDebug.log = previous.log;
    createDebug.disable();
    if (previous.namespaces) createDebug.enable(previous.namespaces);
    console.warn = previous.warn;
    await h?.close();
  });

  it('logs no client secret, code, state or token through a whole connection and its failures', async () => {
    h = await startOAuthHarness({ strategy: { merchantLookup: '/item/items?_limit=1' } });
    const secrets = new Set<string>([h.emulator.oauth.clientSecret]);
    const answers: string[] = [];
    const noteCallback = (url: string): void => {
      for (const name of ['code', 'state']) {
        const value = new URL(url).searchParams.get(name);
        if (value) secrets.add(value);
      }
    };

    // A connection made.
    const browser = h.browser();
    const callback = await h.emulator.oauth.approve(await beginConnect(browser));
    noteCallback(callback);
    const connected = await browser.get(pathOf(callback)).expect(200);
    const account = connected.body.account as { accessToken: string };
    secrets.add(account.accessToken);

    // Refusals: replay, forged state, denial, a code UltraCart refuses while echoing it.
    answers.push(JSON.stringify((await browser.get(pathOf(callback))).body));
    const forged = randomBytes(32).toString('base64url');
    secrets.add(forged);
    await beginConnect(browser);
    answers.push(JSON.stringify((await browser.get(`${OAUTH_CALLBACK_PATH}?code=x&state=${forged}`)).body));
    const denied = await h.emulator.oauth.deny(await beginConnect(browser));
    noteCallback(denied);
    answers.push(JSON.stringify((await browser.get(pathOf(denied))).body));
    const refused = await h.emulator.oauth.approve(await beginConnect(browser));
    noteCallback(refused);
    const code = new URL(refused).searchParams.get('code')!;
    h.emulator.oauth.inject('token', { status: 400, body: { error: 'invalid_grant', error_description: `code ${code} is used` } });
    answers.push(JSON.stringify((await browser.get(pathOf(refused))).body));
    const misconfigured = await h.emulator.oauth.approve(await beginConnect(browser));
    noteCallback(misconfigured);
    h.emulator.oauth.inject('token', {
      status: 401,
      body: { error: { developer_message: `secret ${h.emulator.oauth.clientSecret} refused` } },
    });
    answers.push(JSON.stringify((await browser.get(pathOf(misconfigured))).body));

    // The lifecycle: a refresh, an API call refused then retried, a refused refresh, a disconnect.
    const connections = new UltraCartOAuthConnections({ client: h.strategy.client });
    const first = await h.strategy.client.exchangeCode(
      new URL(await h.emulator.oauth.approve(await beginConnect(browser))).searchParams.get('code')!,
      h.callbackURL,
    );
    secrets.add(first.accessToken).add(first.refreshToken!);
    await connections.save('shop', { ...first, expiresAt: new Date(0) });
    const token = await connections.accessToken('shop');
    secrets.add(token).add((await connections.get('shop'))!.refreshToken!);
    h.emulator.oauth.expireAccessTokens();
    await connections.withAccessToken('shop', (t) => (secrets.add(t), h.strategy.client.get('/item/items', t)));
    secrets.add((await connections.get('shop'))!.refreshToken!);
    h.emulator.oauth.inject('token', { status: 400, body: { error: 'invalid_grant', error_description: 'refresh token revoked' } });
    const failed = await connections.refresh('shop').then(
      () => expect.fail('the refused refresh resolved'),
      (err: unknown) => err as Error,
    );
    answers.push(failed.message, JSON.stringify(failed));
    expect(await connections.disconnect('shop')).to.equal('revoked');

    expect(lines.length).to.be.greaterThan(10);
    const printed = [...lines, ...answers].join('\n');
    for (const secret of secrets) expect(printed, 'a secret was printed').not.to.include(secret);
    expect(printed).to.include('[redacted]');
  });
});
