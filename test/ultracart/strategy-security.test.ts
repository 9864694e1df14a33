import { expect } from 'chai';
import session from 'express-session';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { FailureMessages, UltraCartApiError } from '../../src/index.js';
import { cookiePair } from '../support/cookies.js';
import { beginSignIn, callbackPath, me, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

/** The user simple key UltraCart issued during the sign-in, read from the upstream call that used it. */
function issuedKey(h: Harness): string {
  const call = h.emulator.calls.find((c) => c.endpoint === 'user' || c.endpoint === 'revoke');
  if (!call) throw new Error('no call carried a user simple key');
  return call.headers['x-ultracart-simple-key'] as string;
}

/** A MemoryStore that can be told to fail the way a real store does when its backend is down. */
class FlakyStore extends session.MemoryStore {
  failDestroy = false;
  failSaveOfSignedIn = false;

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    if (this.failDestroy) {
      callback?.(new Error('session store unavailable'));
      return;
    }
    super.destroy(sid, callback);
  }

  override set(sid: string, data: session.SessionData, callback?: (err?: unknown) => void): void {
    if (this.failSaveOfSignedIn && (data as { passport?: unknown }).passport) {
      callback?.(new Error('session store unavailable'));
      return;
    }
    super.set(sid, data, callback);
  }

  /** Every stored session, serialised, to search for what must not be kept. */
  dump(): Promise<string> {
    return new Promise((resolve, reject) => this.all((err, all) => (err ? reject(err) : resolve(JSON.stringify(all ?? {})))));
  }
}

describe('UltraCartStrategy: attacks on the sign-in and the session', () => {
  let h: Harness;
  afterEach(() => h.close());

  async function start(options: HarnessOptions = {}): Promise<void> {
    h = await startHarness(options);
  }

  describe('lockToIp, against a code injected from another network', () => {
    const BROWSER_IP = '203.0.113.5';
    const ATTACKER_IP = '198.51.100.7';

    beforeEach(() => start({ strategy: { lockToIp: true }, trustProxy: 1 }));

    async function callbackApprovedFrom(approvedIp: string): Promise<{ browser: TestAgent; callback: string }> {
      const browser = h.browser();
      const login = await browser.get('/login').set('X-Forwarded-For', BROWSER_IP).expect(302);
      return { browser, callback: callbackPath(await h.emulator.approve(login.headers.location as string, 'ada', approvedIp)) };
    }

    it('fails with 403 when UltraCart saw the login approved from another IP', async () => {
      const { browser, callback } = await callbackApprovedFrom(ATTACKER_IP);
      const res = await browser.get(callback).set('X-Forwarded-For', BROWSER_IP).expect(403);
      expect(res.headers.location).to.equal(undefined);
      const after = await me(browser);
      expect(after.user).to.equal(null);
      expect(after.messages).to.deep.equal([FailureMessages.ipMismatch]);
    });

    it('revokes the key exactly once on an IP mismatch, and never fetches the user with it', async () => {
      const { browser, callback } = await callbackApprovedFrom(ATTACKER_IP);
      await browser.get(callback).set('X-Forwarded-For', BROWSER_IP).expect(403);
      expect(h.emulator.count('token')).to.equal(1);
      expect(h.emulator.count('revoke')).to.equal(1);
      expect(h.emulator.count('user')).to.equal(0);
    });

    it('leaves the revoked key unusable at UltraCart', async () => {
      const { browser, callback } = await callbackApprovedFrom(ATTACKER_IP);
      await browser.get(callback).set('X-Forwarded-For', BROWSER_IP).expect(403);
      const err = await h.strategy.client.sessionUser(issuedKey(h)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(UltraCartApiError);
      expect((err as UltraCartApiError).upstreamStatus).to.equal(401);
    });

    it('still fails with 403 when the best-effort revoke itself fails', async () => {
      const { browser, callback } = await callbackApprovedFrom(ATTACKER_IP);
      h.emulator.inject('revoke', { status: 500 });
      await browser.get(callback).set('X-Forwarded-For', BROWSER_IP).expect(403);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('revoke')).to.equal(1);
    });

    it('signs the user in when the IPs match', async () => {
      const { browser, callback } = await callbackApprovedFrom(BROWSER_IP);
      await browser.get(callback).set('X-Forwarded-For', BROWSER_IP).expect(302);
      expect((await me(browser)).user?.login).to.equal('ada');
      expect(h.emulator.count('revoke')).to.equal(0);
    });

    it('fails with 403 and revokes the key when the token carries no ip_address at all', async () => {
      const browser = h.browser();
      const login = await browser.get('/login').set('X-Forwarded-For', BROWSER_IP).expect(302);
      const callback = callbackPath(await h.emulator.approve(login.headers.location as string));
      h.emulator.inject('token', {
        status: 200,
        body: { simple_key: 'key-without-ip-0001', expiration_dts: new Date(Date.now() + 3_600_000).toISOString() },
      });
      await browser.get(callback).set('X-Forwarded-For', BROWSER_IP).expect(403);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('revoke')).to.equal(1);
    });

    it('ignores a forged X-Forwarded-For entry when trust proxy is set to the exact hop count', async () => {
      const { browser, callback } = await callbackApprovedFrom(ATTACKER_IP);
      // The attacker's own header comes first; the one trusted proxy appends the real client address.
      await browser.get(callback).set('X-Forwarded-For', `${ATTACKER_IP}, ${BROWSER_IP}`).expect(403);
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('revoke')).to.equal(1);
    });
  });

  describe('lockToIp without a proxy', () => {
    it('matches the IPv4 address UltraCart saw against the IPv4-mapped address Node reports', async () => {
      await start({ strategy: { lockToIp: true } });
      const browser = h.browser();
      const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser), 'ada', '127.0.0.1'));
      await browser.get(callback).expect(302);
      expect((await me(browser)).user?.login).to.equal('ada');
      expect(h.emulator.count('revoke')).to.equal(0);
    });
  });

  describe('without lockToIp (the default)', () => {
    it('signs the user in whatever IP UltraCart saw, the risk lockToIp exists to remove', async () => {
      await start({ trustProxy: 1 });
      const browser = h.browser();
      const login = await browser.get('/login').set('X-Forwarded-For', '203.0.113.5').expect(302);
      const callback = callbackPath(await h.emulator.approve(login.headers.location as string, 'ada', '198.51.100.7'));
      await browser.get(callback).set('X-Forwarded-For', '203.0.113.5').expect(302);
      expect((await me(browser)).user?.login).to.equal('ada');
      expect(h.emulator.count('revoke')).to.equal(0);
    });
  });

  describe('session fixation', () => {
    beforeEach(() => start());

    /** The attacker gets a real session cookie from the site, then plants it in the victim's browser. */
    async function plantedSignIn(): Promise<{ planted: string; plantedId: string; afterSignIn: string }> {
      const login = await request(h.app).get('/login').expect(302);
      const planted = cookiePair(login.headers['set-cookie'], 'sid')!;
      const plantedId = (await request(h.app).get('/me').set('Cookie', planted)).body.sessionID as string;
      const callback = callbackPath(await h.emulator.approve(login.headers.location as string));
      const done = await request(h.app).get(callback).set('Cookie', planted).expect(302);
      const afterSignIn = cookiePair(done.headers['set-cookie'], 'sid');
      if (!afterSignIn) throw new Error('the sign-in set no new session cookie');
      return { planted, plantedId, afterSignIn };
    }

    it('gives the victim a new session id at sign-in', async () => {
      const { plantedId, afterSignIn } = await plantedSignIn();
      const victim = (await request(h.app).get('/me').set('Cookie', afterSignIn)).body;
      expect(victim.user.login).to.equal('ada');
      expect(victim.sessionID).to.be.a('string').and.not.equal(plantedId);
    });

    it('leaves the planted session id with no user', async () => {
      const { planted } = await plantedSignIn();
      const attacker = (await request(h.app).get('/me').set('Cookie', planted)).body;
      expect(attacker.user).to.equal(null);
    });

    it('carries the validated returnTo across the session regeneration', async () => {
      const browser = h.browser();
      const login = await beginSignIn(browser, '/login?returnTo=%2Forders%2F42');
      const res = await browser.get(callbackPath(await h.emulator.approve(login))).expect(302);
      expect(res.headers.location).to.equal('/orders/42');
    });
  });

  describe('the session store fails during sign-in', () => {
    let store: FlakyStore;
    beforeEach(async () => {
      store = new FlakyStore();
      await start({ sessionStore: store });
      // express-session retries the failed save at the end of the error response and hands that error on
      // after the response is sent; Express would print its stack outside the 'test' env.
      h.app.set('env', 'test');
    });

    it('answers with an error status, not a sign-in, when regenerating the session fails', async () => {
      const browser = h.browser();
      const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
      store.failDestroy = true;
      const res = await browser.get(callback);
      store.failDestroy = false;
      // passport hands the store's own error to next(); without a status of its own the app answers 500.
      expect(res.status).to.equal(500);
      expect(res.headers.location).to.equal(undefined);
      expect((await me(browser)).user).to.equal(null);
    });

    it('keeps no simple key in any stored session when regenerating fails', async () => {
      const browser = h.browser();
      const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
      store.failDestroy = true;
      await browser.get(callback);
      store.failDestroy = false;
      expect(await store.dump()).to.not.include(issuedKey(h));
    });

    it('answers with an error status, not a sign-in, when saving the signed-in session fails', async () => {
      const browser = h.browser();
      const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
      store.failSaveOfSignedIn = true;
      const res = await browser.get(callback);
      expect(res.status).to.equal(500);
      expect(res.headers.location).to.equal(undefined);
      expect((await me(browser)).user).to.equal(null);
      expect(await store.dump()).to.not.include(issuedKey(h));
    });

    it('signs in normally once the store has recovered', async () => {
      const browser = h.browser();
      const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
      store.failDestroy = true;
      await browser.get(callback);
      store.failDestroy = false;
      await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(302);
      expect((await me(browser)).user?.login).to.equal('ada');
    });
  });

  describe('a cookie the browser does not send back', () => {
    it('sends a diagnosis of SameSite=Strict to the failure page when the callback arrives without a Strict session cookie', async () => {
      await start({ sessionCookie: { sameSite: 'strict' }, callbackOptions: { failureRedirect: '/failed', failureMessage: true } });
      const starter = h.browser();
      const callback = callbackPath(await h.emulator.approve(await beginSignIn(starter)));
      // A cross-site top-level navigation carries no SameSite=Strict cookie: a cookieless agent.
      const arriving = h.browser();
      const res = await arriving.get(callback).expect(302);
      expect(res.headers.location).to.equal('/failed?reason=sameSiteStrict');
      expect(res.headers['set-cookie']).to.equal(undefined);
      // What to change is said in the log; the person is told only what happened and whom to tell.
      expect(FailureMessages.sameSiteStrict).to.not.match(/SameSite|cookie/i);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('refuses at the sign-in route, before calling UltraCart, when a Secure cookie is never set behind a TLS proxy without trust proxy', async () => {
      await start({ sessionCookie: { secure: true } });
      const login = await request(h.app).get('/login').set('X-Forwarded-Proto', 'https').expect(500);
      expect(login.headers.location).to.equal(undefined);
      expect(cookiePair(login.headers['set-cookie'], 'sid')).to.equal(undefined);
      expect(h.emulator.count('authorize')).to.equal(0);
    });

    it('sets the Secure cookie and signs in once trust proxy is set to the hop count', async () => {
      await start({ sessionCookie: { secure: true }, trustProxy: 1 });
      const login = await request(h.app).get('/login').set('X-Forwarded-Proto', 'https').expect(302);
      const cookie = cookiePair(login.headers['set-cookie'], 'sid');
      expect(cookie).to.be.a('string');
      const callback = callbackPath(await h.emulator.approve(login.headers.location as string));
      await request(h.app).get(callback).set('X-Forwarded-Proto', 'https').set('Cookie', cookie!).expect(302);
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('spoofed Host and X-Forwarded-Host on the sign-in route', () => {
    beforeEach(() => start({ trustProxy: 1 }));

    function sentRedirectUri(): { parsed: string; raw: string } {
      const call = h.emulator.calls.find((c) => c.endpoint === 'authorize')!;
      return { parsed: JSON.parse(call.body).redirect_uri as string, raw: call.body };
    }

    it('sends the configured callbackURL byte for byte whatever Host says', async () => {
      await h.browser().get('/login').set('Host', 'evil.example').expect(302);
      const sent = sentRedirectUri();
      expect(sent.parsed).to.equal(h.callbackURL);
      expect(sent.raw).to.include(`"redirect_uri":${JSON.stringify(h.callbackURL)}`);
    });

    it('sends the configured callbackURL byte for byte whatever X-Forwarded-Host and X-Forwarded-Proto say', async () => {
      await h.browser().get('/login').set('X-Forwarded-Host', 'evil.example').set('X-Forwarded-Proto', 'https').expect(302);
      const sent = sentRedirectUri();
      expect(sent.parsed).to.equal(h.callbackURL);
      expect(sent.raw).to.include(`"redirect_uri":${JSON.stringify(h.callbackURL)}`);
    });

    it('sends a callbackURL that URL parsing would rewrite exactly as configured', async () => {
      await h.close();
      const configured = 'http://LOCALHOST:80/auth/ultracart/callback?shop=a%2Fb';
      h = await startHarness({ strategy: { callbackURL: configured } });
      await h.browser().get('/login').expect(302);
      expect(sentRedirectUri().parsed).to.equal(configured);
    });

    it('still redirects to the UltraCart login page, not to the spoofed host', async () => {
      const res = await h.browser().get('/login').set('Host', 'evil.example').set('X-Forwarded-Host', 'evil.example').expect(302);
      expect(new URL(res.headers.location as string).origin).to.equal(h.emulator.origin);
    });
  });
});
