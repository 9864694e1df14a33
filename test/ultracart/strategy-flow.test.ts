import { expect } from 'chai';
import { beginSignIn, callbackPath, me, startHarness, type Harness, CALLBACK_PATH } from '../support/harness.js';

describe('UltraCartStrategy: a complete sign-in', () => {
  let h: Harness;
  afterEach(() => h.close());

  describe('when the user approves at UltraCart', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it('redirects the browser to the login_url UltraCart returned', async () => {
      const browser = h.browser();
      const location = await beginSignIn(browser);
      expect(location).to.match(new RegExp(`^${h.emulator.origin}/login\\?request=`));
      expect(h.emulator.count('authorize')).to.equal(1);
    });

    it('sends the configured callbackURL and a 256-bit base64url state to /sso/authorize', async () => {
      await beginSignIn(h.browser());
      const call = h.emulator.calls.find((c) => c.endpoint === 'authorize')!;
      const body = JSON.parse(call.body);
      expect(body.redirect_uri).to.equal(h.callbackURL);
      expect(body.state).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(call.headers['x-ultracart-api-version']).to.equal('2017-03-01');
      expect(call.headers['x-ultracart-simple-key']).to.equal(h.emulator.appKey);
      expect(call.headers.accept).to.equal('application/json');
      expect(call.headers['content-type']).to.equal('application/json; charset=UTF-8');
    });

    it('marks the authorize redirect no-store and no-referrer', async () => {
      const res = await h.browser().get('/login').expect(302);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
    });

    it('signs the user in, with a new session id, after token and user calls', async () => {
      const browser = h.browser();
      const before = (await me(browser)).sessionID;
      const callback = await h.emulator.approve(await beginSignIn(browser));
      const res = await browser.get(callbackPath(callback)).expect(302);
      expect(res.headers.location).to.equal('/me');
      expect(res.headers['cache-control']).to.equal('no-store');
      const seen = await me(browser);
      expect(seen.user).to.include({ id: '1001', login: 'ada' });
      expect(seen.user!.simpleKey).to.be.a('string').with.length.greaterThan(10);
      expect(seen.sessionID).to.not.equal(before);
      expect(h.emulator.count('token')).to.equal(1);
      expect(h.emulator.count('user')).to.equal(1);
    });

    it('exchanges the code with the app credential and fetches the user with the returned simple key', async () => {
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser))));
      const token = h.emulator.calls.find((c) => c.endpoint === 'token')!;
      expect(JSON.parse(token.body)).to.have.keys('code', 'grant_type');
      expect(JSON.parse(token.body).grant_type).to.equal('simple_key');
      expect(token.headers['x-ultracart-simple-key']).to.equal(h.emulator.appKey);
      const user = h.emulator.calls.find((c) => c.endpoint === 'user')!;
      const seen = await me(browser);
      expect(user.headers['x-ultracart-simple-key']).to.equal(seen.user!.simpleKey);
      expect(user.headers['x-ultracart-api-version']).to.equal('2017-03-01');
    });

    it('signs in the user chosen on the login page', async () => {
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser), 'grace')));
      expect((await me(browser)).user).to.include({ id: '1002', login: 'grace' });
    });

    it('lets the first of two tabs finish even though a second tab started a sign-in after it', async () => {
      const browser = h.browser();
      const first = await beginSignIn(browser);
      await beginSignIn(browser);
      const res = await browser.get(callbackPath(await h.emulator.approve(first, 'grace'))).expect(302);
      expect(res.headers.location).to.equal('/me');
      expect((await me(browser)).user!.login).to.equal('grace');
    });

    it('sends the other tab home, still signed in, when its callback arrives after the session was renewed', async () => {
      const browser = h.browser();
      const first = await beginSignIn(browser);
      const second = await beginSignIn(browser);
      const secondCallback = await h.emulator.approve(second, 'grace');
      await browser.get(callbackPath(await h.emulator.approve(first, 'ada'))).expect(302);
      const res = await browser.get(callbackPath(secondCallback)).expect(302);
      expect(res.headers.location).to.equal('/');
      expect((await me(browser)).user!.login).to.equal('ada');
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('when the sign-in route is given a returnTo', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it('brings the user back to a same-origin path after sign-in', async () => {
      const browser = h.browser();
      const login = await beginSignIn(browser, '/login?returnTo=%2Forders%3Fpage%3D2%23top');
      const res = await browser.get(callbackPath(await h.emulator.approve(login))).expect(302);
      expect(res.headers.location).to.equal('/orders?page=2#top');
    });

    for (const hostile of [
      '//evil.com',
      '/\\evil.com',
      'https://evil.com',
      'javascript:alert(1)',
      '/\t/evil.com',
      'https://app@evil.com',
      '%2F%2Fevil.com',
    ]) {
      it(`ignores the hostile returnTo ${JSON.stringify(hostile)}`, async () => {
        const browser = h.browser();
        const login = await beginSignIn(browser, `/login?returnTo=${encodeURIComponent(hostile)}`);
        const res = await browser.get(callbackPath(await h.emulator.approve(login))).expect(302);
        expect(res.headers.location).to.equal('/me');
      });
    }
  });

  describe('when the verify function returns a Promise', () => {
    it('signs in the user the Promise resolves to', async () => {
      h = await startHarness({
        verify: (async (_k: string, _t: unknown, profile: { id: string }) => ({ id: `p-${profile.id}` })) as never,
      });
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser))));
      expect((await me(browser)).user).to.deep.equal({ id: 'p-1001' });
    });

    it('fails with 403 and revokes the key when it resolves to false', async () => {
      h = await startHarness({ verify: (async () => false) as never });
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(403);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('revoke')).to.equal(1);
    });

    it('answers with the error when it rejects', async () => {
      h = await startHarness({ verify: (async () => Promise.reject(Object.assign(new Error('db down'), { status: 503 }))) as never });
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(503);
      expect((await me(browser)).user).to.equal(null);
    });
  });

  describe('when passReqToCallback is set', () => {
    it('hands the request to the verify function first', async () => {
      h = await startHarness({
        strategy: { passReqToCallback: true } as never,
        verify: ((
          req: { path: string },
          _k: string,
          token: { expiresAt: Date },
          profile: { id: string },
          done: (e: unknown, u: unknown) => void,
        ) => done(null, { id: profile.id, path: req.path, expiresAt: token.expiresAt.toISOString() })) as never,
      });
      const browser = h.browser();
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser))));
      const user = (await me(browser)).user;
      expect(user!.path).to.equal(CALLBACK_PATH);
      expect(Date.parse(user!.expiresAt as string)).to.be.greaterThan(Date.now());
    });
  });

  for (const variant of [{ express4: true }, { passport06: true }, { express4: true, passport06: true }]) {
    describe(`with ${variant.express4 ? 'Express 4' : 'Express 5'} and passport ${variant.passport06 ? '0.6' : '0.7'}`, () => {
      it('signs the user in with a new session id', async () => {
        h = await startHarness(variant);
        const browser = h.browser();
        const before = (await me(browser)).sessionID;
        await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(302);
        const seen = await me(browser);
        expect(seen.user!.login).to.equal('ada');
        expect(seen.sessionID).to.not.equal(before);
      });
    });
  }
});
