import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent.js';
import { loadStoreSettings } from '../../example-app/store-config.js';
import { csrfToken, pathOf, signIn, startExample, tableRows, textById, type Example } from './support.js';

/** Follows "Connect your UltraCart store" through the emulator's approval; resolves to where the callback sent the browser. */
async function connectStore(ex: Example, browser: TestAgent, decision: 'approve' | 'deny' = 'approve'): Promise<string> {
  const authorize = (await browser.get('/store/connect').expect(302)).headers.location as string;
  const callback = decision === 'approve' ? await ex.ultracart.oauth.approve(authorize) : await ex.ultracart.oauth.deny(authorize);
  return (await browser.get(pathOf(callback)).expect(302)).headers.location as string;
}

async function press(browser: TestAgent, action: string): Promise<string> {
  const token = await csrfToken(browser, '/store');
  return (await browser.post(action).type('form').send({ _csrf: token }).expect(303)).headers.location as string;
}

describe('example app: connecting an UltraCart store (OAuth 2.0)', () => {
  let ex: Example;
  let browser: TestAgent;
  beforeEach(async () => {
    ex = await startExample({ store: true });
    browser = ex.browser();
    await signIn(ex, browser);
  });
  afterEach(() => ex.close());

  it('offers to connect a store to a signed-in user, and sends others to sign in first', async () => {
    const page = await browser.get('/store').expect(200);
    expect(page.text).to.include('id="store-connect"');
    expect((await ex.browser().get('/store').expect(302)).headers.location).to.equal('/?returnTo=%2Fstore');
    expect((await ex.browser().get('/store/connect').expect(302)).headers.location).to.equal('/?returnTo=%2Fstore%2Fconnect');
    expect(ex.ultracart.oauth.calls).to.have.length(0);
  });

  it('connects, and shows the merchant, the permissions and when the token expires, but never a token', async () => {
    expect(await connectStore(ex, browser)).to.equal('/store?result=connected');
    const page = await browser.get('/store?result=connected').expect(200);
    expect(textById(page.text, 'store-message')).to.equal('Your UltraCart store is connected.');
    expect(textById(page.text, 'store-merchant')).to.match(/^DEMO1 /);
    expect(textById(page.text, 'store-scopes')).to.equal('item_read, order_read, webhook_read');
    const expires = /id="store-expires">\s*<time datetime="([^"]+)"/.exec(page.text)![1]!;
    expect(Date.parse(expires) - Date.now()).to.be.within(3_500_000, 3_600_000);
    const tokenCall = ex.ultracart.oauth.calls.find((c) => c.endpoint === 'token')!;
    const issued = JSON.stringify(ex.ultracart.oauth.calls.map((c) => c.headers.authorization ?? ''));
    expect(page.text).not.to.include(new URLSearchParams(tokenCall.body).get('code')!);
    for (const bearer of JSON.parse(issued) as string[]) if (bearer) expect(page.text).not.to.include(bearer.slice(7));
  });

  it('makes an API call with the store’s token and shows UltraCart’s answer', async () => {
    await connectStore(ex, browser);
    expect(await press(browser, '/store/api-call')).to.equal('/store?result=called');
    const page = await browser.get('/store?result=called').expect(200);
    expect(
      tableRows(page.text, 'store-items')
        .slice(1)
        .map((row) => row[0]),
    ).to.deep.equal(['BOOK-001', 'MUG-002', 'CARD-003']);
    const call = ex.ultracart.oauth.calls.filter((c) => c.endpoint === 'api').at(-1)!;
    expect(call.headers.authorization).to.match(/^Bearer /);
  });

  it('refreshes the token on request, and the API call then works with the new one', async () => {
    await connectStore(ex, browser);
    const before = ex.ultracart.oauth.count('token');
    expect(await press(browser, '/store/refresh')).to.equal('/store?result=refreshed');
    expect(ex.ultracart.oauth.count('token')).to.equal(before + 1);
    expect(await press(browser, '/store/api-call')).to.equal('/store?result=called');
  });

  it('refreshes by itself when UltraCart refuses an expired token during an API call', async () => {
    await connectStore(ex, browser);
    ex.ultracart.oauth.expireAccessTokens();
    expect(await press(browser, '/store/api-call')).to.equal('/store?result=called');
    const refreshes = ex.ultracart.oauth.calls.filter((c) => c.endpoint === 'token' && c.body.includes('grant_type=refresh_token'));
    expect(refreshes).to.have.length(1);
    // The merchant lookup at connect, the refused call, and the retry with the refreshed token.
    expect(ex.ultracart.oauth.count('api')).to.equal(3);
  });

  it('disconnects, revoking at UltraCart, and offers to connect again', async () => {
    await connectStore(ex, browser);
    expect(ex.ultracart.oauth.liveGrants()).to.equal(1);
    expect(await press(browser, '/store/disconnect')).to.equal('/store?result=disconnected');
    expect(ex.ultracart.oauth.count('revoke')).to.equal(1);
    expect(ex.ultracart.oauth.liveGrants()).to.equal(0);
    const page = await browser.get('/store?result=disconnected').expect(200);
    expect(page.text).to.include('id="store-connect"');
  });

  it('asks the merchant to reconnect when UltraCart no longer honours the connection (revoked there, app disabled)', async () => {
    await connectStore(ex, browser);
    ex.ultracart.oauth.setDisabled(ex.ultracart.oauth.clientId, true);
    expect(await press(browser, '/store/refresh')).to.equal('/store?result=reconnect');
    const page = await browser.get('/store?result=reconnect').expect(200);
    expect(textById(page.text, 'store-message')).to.match(/Connect your store again/);
    expect(page.text).to.include('id="store-connect"');
  });

  it('says so, and connects nothing, when the merchant declines at UltraCart', async () => {
    expect(await connectStore(ex, browser, 'deny')).to.equal('/store?reason=denied');
    const page = await browser.get('/store?reason=denied').expect(200);
    expect(textById(page.text, 'store-message')).to.match(/declined/);
    expect(ex.ultracart.oauth.count('token')).to.equal(0);
  });

  it('answers 503 with Retry-After, not a crash, when UltraCart rate-limits a refresh', async () => {
    await connectStore(ex, browser);
    ex.ultracart.oauth.inject('token', { status: 429, headers: { 'retry-after': '20' } });
    const token = await csrfToken(browser, '/store');
    const res = await browser.post('/store/refresh').type('form').send({ _csrf: token }).expect(503);
    expect(res.headers['retry-after']).to.equal('20');
    expect(textById(res.text, 'store-message')).to.match(/did not answer properly/);
  });

  it('refuses a sign-in’s state at the store callback (a mix-up), makes no token call, and the sign-in still completes', async () => {
    const loginUrl = (await browser.get('/auth/ultracart').expect(302)).headers.location as string;
    const ssoState = (JSON.parse(ex.ultracart.calls.filter((c) => c.endpoint === 'authorize').at(-1)!.body) as { state: string }).state;
    // An attacker's own approved code, delivered with the victim's sign-in state.
    const attacker = ex.browser();
    await signIn(ex, attacker);
    const attackerApproval = await ex.ultracart.oauth.approve(
      (await attacker.get('/store/connect').expect(302)).headers.location as string,
    );
    const code = new URL(attackerApproval).searchParams.get('code')!;
    const res = await browser.get(`/store/callback?code=${code}&state=${ssoState}`).expect(302);
    expect(res.headers.location).to.match(/^\/store\?reason=/);
    expect(ex.ultracart.oauth.count('token')).to.equal(0);
    const back = await ex.ultracart.approve(loginUrl);
    expect((await browser.get(pathOf(back)).expect(302)).headers.location).to.equal('/profile');
  });

  it('keeps the SSO sign-in and the store connection apart: a store callback leaves a sign-in in progress intact', async () => {
    const other = ex.browser();
    const loginUrl = (await other.get('/auth/ultracart').expect(302)).headers.location as string;
    // A stray store callback in that browser (no store connection started there).
    await other.get('/store/callback?code=x&state=' + 'a'.repeat(43)).expect(302);
    const back = await ex.ultracart.approve(loginUrl);
    expect((await other.get(pathOf(back)).expect(302)).headers.location).to.equal('/profile');
  });
});

describe('example app: the store settings from the environment', () => {
  it('uses the emulator when no ULTRACART_OAUTH_* variable is set', () => {
    expect(loadStoreSettings({})).to.equal(undefined);
  });

  it('reads a real UltraCart app, with or without a secret', () => {
    expect(
      loadStoreSettings({ ULTRACART_OAUTH_CLIENT_ID: 'abc', ULTRACART_OAUTH_CALLBACK_URL: 'https://shop.example.com/store/callback' }),
    ).to.deep.equal({ clientId: 'abc', callbackURL: 'https://shop.example.com/store/callback', merchantLookup: '/item/items?_limit=1' });
    expect(
      loadStoreSettings({
        ULTRACART_OAUTH_CLIENT_ID: 'abc',
        ULTRACART_OAUTH_CLIENT_SECRET: 's3cret',
        ULTRACART_OAUTH_CALLBACK_URL: 'https://shop.example.com/store/callback',
        ULTRACART_OAUTH_MERCHANT_LOOKUP: 'off',
      }),
    ).to.include({ clientSecret: 's3cret', merchantLookup: false });
  });

  it('names the variable to fix, and never echoes a value', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ ULTRACART_OAUTH_CLIENT_SECRET: 'hidden-secret' }, /^ULTRACART_OAUTH_CLIENT_ID is missing/],
      [{ ULTRACART_OAUTH_CLIENT_ID: 'abc' }, /^ULTRACART_OAUTH_CALLBACK_URL is required/],
      [
        { ULTRACART_OAUTH_CLIENT_ID: 'abc', ULTRACART_OAUTH_CALLBACK_URL: 'http://shop.example.com/store/callback' },
        /must be an https URL/,
      ],
      [
        { ULTRACART_OAUTH_CLIENT_ID: 'abc', ULTRACART_OAUTH_CALLBACK_URL: 'https://shop.example.com/elsewhere' },
        /must end in \/store\/callback/,
      ],
    ];
    for (const [env, message] of cases) {
      let thrown: Error | undefined;
      try {
        loadStoreSettings(env, false);
      } catch (err) {
        thrown = err as Error;
      }
      expect(thrown?.message, JSON.stringify(env)).to.match(message);
      expect(thrown!.message).not.to.include('hidden-secret');
    }
  });
});
