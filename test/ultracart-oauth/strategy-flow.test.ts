import { expect } from 'chai';
import { beginConnect, OAUTH_CALLBACK_PATH, pathOf, startOAuthHarness, type OAuthHarness } from '../support/ultracart-oauth-harness.js';

type Account = { merchantId: string | null; scopes: string[]; accessToken: string };
type Info = { expiresAt: string | null; scopes: string[]; returnTo?: string };

describe('UltraCartOAuthStrategy: connecting a store', () => {
  let h: OAuthHarness;
  afterEach(async () => h?.close());

  describe('the authorize leg', () => {
    it('sends the browser to UltraCart with response_type, client_id, redirect_uri and a fresh state, and nothing else', async () => {
      h = await startOAuthHarness();
      const res = await h.browser().get('/connect').expect(302);
      const location = new URL(res.headers.location as string);
      expect(location.origin + location.pathname).to.equal(h.emulator.oauth.authorizeURL);
      expect([...location.searchParams.keys()].sort()).to.deep.equal(['client_id', 'redirect_uri', 'response_type', 'state']);
      expect(location.searchParams.get('response_type')).to.equal('code');
      expect(location.searchParams.get('client_id')).to.equal(h.emulator.oauth.clientId);
      expect(location.searchParams.get('redirect_uri')).to.equal(h.callbackURL);
      expect(location.searchParams.get('state')).to.match(/^[\w-]{43}$/);
      expect(location.href).not.to.include(h.emulator.oauth.clientSecret);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
      expect(h.emulator.oauth.calls).to.have.length(0);
    });

    it('gives each connect attempt its own state', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const states = new Set<string>();
      for (let i = 0; i < 3; i++) states.add(new URL(await beginConnect(browser)).searchParams.get('state')!);
      expect(states.size).to.equal(3);
    });
  });

  describe('the callback, with a confidential client', () => {
    it('trades the code in a form-encoded body with the secret, and attaches the store to the signed-in user', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      await browser.get('/sign-in').expect(200);
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      const res = await browser.get(pathOf(callback)).expect(200);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.body.user).to.deep.equal({ id: 'user-1' });
      const account = res.body.account as Account;
      expect(h.emulator.oauth.isLive(account.accessToken)).to.equal(true);
      expect(account.scopes).to.deep.equal(['item_read', 'order_read', 'webhook_read']);

      const [call] = h.emulator.oauth.calls.filter((c) => c.endpoint === 'token');
      expect(call!.method).to.equal('POST');
      expect(call!.headers['content-type']).to.equal('application/x-www-form-urlencoded');
      expect(call!.headers['x-ultracart-api-version']).to.equal('2017-03-01');
      expect(call!.headers['user-agent']).to.match(/^passport-ultracart\//);
      expect(call!.headers.authorization).to.equal(undefined);
      const form = new URLSearchParams(call!.body);
      expect(Object.fromEntries(form)).to.deep.equal({
        client_id: h.emulator.oauth.clientId,
        grant_type: 'authorization_code',
        code: new URL(callback).searchParams.get('code'),
        redirect_uri: h.callbackURL,
        client_secret: h.emulator.oauth.clientSecret,
      });
    });

    it('says when the access token expires and what was granted, in the info beside the account', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const before = Date.now();
      const res = await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      const info = res.body.info as Info;
      const expiresAt = Date.parse(info.expiresAt!);
      expect(expiresAt).to.be.within(before + 3600_000 - 5000, Date.now() + 3600_000);
      expect(info.scopes).to.include('item_read');
    });

    it('brings the browser back to the validated returnTo given at the connect route', async () => {
      h = await startOAuthHarness();
      const browser = h.browser();
      const res = await browser
        .get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser, '/connect?returnTo=/settings/store'))))
        .expect(200);
      expect((res.body.info as Info).returnTo).to.equal('/settings/store');
    });
  });

  describe('returnToParam', () => {
    it('takes a same-origin path from the named query parameter, and drops an off-site one', async () => {
      h = await startOAuthHarness({ strategy: { returnToParam: 'next' } });
      const browser = h.browser();
      const back = async (path: string) =>
        ((await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser, path)))).expect(200)).body.info as Info)
          .returnTo;
      expect(await back('/connect?next=/orders')).to.equal('/orders');
      expect(await back('/connect?next=//evil.example/x')).to.equal(undefined);
      expect(await back('/connect?next=https://evil.example/')).to.equal(undefined);
    });
  });

  describe('with a public client (no secret configured)', () => {
    it('sends no client_secret field at all, not even an empty one, and connects', async () => {
      h = await startOAuthHarness({ publicClient: true });
      const browser = h.browser();
      const res = await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      expect(h.emulator.oauth.isLive((res.body.account as Account).accessToken)).to.equal(true);
      const [call] = h.emulator.oauth.calls.filter((c) => c.endpoint === 'token');
      expect(new URLSearchParams(call!.body).has('client_secret')).to.equal(false);
      expect(call!.body).not.to.include('client_secret');
    });
  });

  describe('with passport.authenticate() instead of authorize()', () => {
    it('signs the browser in as what verify returned', async () => {
      h = await startOAuthHarness({ authenticate: true, strategy: { merchantLookup: '/item/items?_limit=1' } });
      const browser = h.browser();
      await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      const me = await browser.get('/account').expect(200);
      expect(me.body.user.merchantId).to.equal('DEMO1');
    });
  });

  describe('what is known of the merchant', () => {
    it('knows no merchant id unless a lookup is configured, and never invents one', async () => {
      let profile: unknown;
      h = await startOAuthHarness({ verify: (tokens, p, done) => ((profile = p), done(null, { ok: true })) });
      const browser = h.browser();
      await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      expect(profile).to.deep.equal({
        provider: 'ultracart-oauth',
        id: null,
        merchantId: null,
        merchantIdSource: 'not-asked',
        scopes: ['item_read', 'order_read', 'webhook_read'],
      });
      expect(h.emulator.oauth.count('api')).to.equal(0);
    });

    it('reads merchant_id from the configured lookup call, made with the new access token', async () => {
      let profile: { merchantId: string | null; id: string | null; merchantIdSource: string } | undefined;
      h = await startOAuthHarness({
        strategy: { merchantLookup: '/item/items?_limit=1' },
        verify: (tokens, p, done) => ((profile = p), done(null, { ok: true })),
      });
      const browser = h.browser();
      await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      expect(profile).to.include({ merchantId: 'DEMO1', id: 'DEMO1', merchantIdSource: 'lookup' });
      const [call] = h.emulator.oauth.calls.filter((c) => c.endpoint === 'api');
      expect(call!.path).to.equal('/rest/v2/item/items?_limit=1');
      expect(call!.headers.authorization).to.match(/^Bearer [\w-]+$/);
    });

    it('still connects, with the merchant unknown, when the lookup is refused', async () => {
      let profile: { merchantId: string | null; merchantIdSource: string } | undefined;
      h = await startOAuthHarness({
        strategy: { merchantLookup: '/item/items' },
        verify: (t, p, done) => ((profile = p), done(null, { ok: true })),
      });
      h.emulator.oauth.inject('api', { status: 403 });
      const browser = h.browser();
      await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      expect(profile).to.include({ merchantId: null, merchantIdSource: 'failed' });
    });

    it('treats records of several merchants as unknown, not as the first one', async () => {
      let profile: { merchantId: string | null; merchantIdSource: string } | undefined;
      h = await startOAuthHarness({
        strategy: { merchantLookup: '/item/items' },
        verify: (t, p, done) => ((profile = p), done(null, { ok: true })),
      });
      h.emulator.oauth.inject('api', { status: 200, body: { items: [{ merchant_id: 'AAAAA' }, { merchant_id: 'BBBBB' }], success: true } });
      const browser = h.browser();
      await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(200);
      expect(profile).to.include({ merchantId: null, merchantIdSource: 'not-found' });
    });
  });

  describe('when verify refuses or fails', () => {
    it('revokes the new tokens when verify refuses, and fails with its message', async () => {
      h = await startOAuthHarness({ verify: async () => false });
      const browser = h.browser();
      const res = await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(403);
      expect(res.body.reason).to.equal('notAllowed');
      expect(h.emulator.oauth.count('revoke')).to.equal(1);
      expect(h.emulator.oauth.liveGrants()).to.equal(0);
    });

    it('revokes the new tokens when verify throws, and ends in the error', async () => {
      h = await startOAuthHarness({
        verify: async () => {
          throw Object.assign(new Error('database down'), { status: 503 });
        },
      });
      const browser = h.browser();
      await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(503);
      expect(h.emulator.oauth.count('revoke')).to.equal(1);
      expect(h.emulator.oauth.liveGrants()).to.equal(0);
    });

    it('revokes them when verify never answers within verifyTimeoutMs', async () => {
      h = await startOAuthHarness({ strategy: { verifyTimeoutMs: 50 }, verify: () => {} });
      const browser = h.browser();
      const res = await browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser)))).expect(500);
      expect(res.body.code).to.equal('VERIFY_TIMEOUT');
      expect(h.emulator.oauth.liveGrants()).to.equal(0);
    });
  });

  it('is registered as ultracart-oauth, and options are checked by the shared schema', async () => {
    h = await startOAuthHarness();
    expect(h.strategy.name).to.equal('ultracart-oauth');
    const { UltraCartOAuthStrategy } = await import('../../src/index.js');
    const verify = () => {};
    expect(() => new UltraCartOAuthStrategy({ clientId: 'a', callbackURL: undefined }, verify)).to.throw(
      TypeError,
      /UltraCartOAuthStrategy requires a callbackURL option/,
    );
    expect(() => new UltraCartOAuthStrategy({ clientId: 'a', callbackURL: 'http://example.com/cb' }, verify)).to.throw(
      TypeError,
      /callbackURL option must be https/,
    );
    expect(
      () => new UltraCartOAuthStrategy({ clientId: 'a', callbackURL: 'https://a.example/cb', clientSecrets: 'x' } as never, verify),
    ).to.throw(TypeError, /did you mean clientSecret/);
    expect(
      () => new UltraCartOAuthStrategy({ clientId: 'a', callbackURL: 'https://a.example/cb', clientSecret: 'has space' }, verify),
    ).to.throw(TypeError, /clientSecret option must be .* \(got a string\)/);
    expect(() => new UltraCartOAuthStrategy({ clientId: undefined, callbackURL: 'https://a.example/cb' }, verify)).to.throw(
      TypeError,
      /requires a clientId option/,
    );
    expect(OAUTH_CALLBACK_PATH).to.equal('/store/callback');
  });
});
