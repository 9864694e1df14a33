import { expect } from 'chai';
import request from 'supertest';
import { CookieStateStore } from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { requireCookiePair, setCookieFor } from '../support/cookies.js';
import { beginSignIn, callbackPath, me, startHarness, type Harness } from '../support/harness.js';

const SECRET = 'a-state-secret-that-is-at-least-32-characters';
const NEW_SECRET = 'a-newer-state-secret-of-more-than-32-characters';

describe('CookieStateStore', () => {
  let emulator: UltraCartEmulator;
  const harnesses: Harness[] = [];
  beforeEach(async () => {
    emulator = await startUltraCartEmulator();
  });
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.close()));
    await emulator.close();
  });

  async function instance(secret: string | string[] = SECRET): Promise<Harness> {
    const h = await startHarness({ sharedEmulator: emulator, strategy: { stateStore: new CookieStateStore({ secret, secure: false }) } });
    harnesses.push(h);
    return h;
  }

  describe('when the sign-in begins on one instance and the callback lands on another', () => {
    it('signs the user in on the second instance, which shares only the secret', async () => {
      const a = await instance();
      const b = await instance();
      const begin = await request(a.app).get('/login').expect(302);
      const pending = setCookieFor(begin.headers['set-cookie'], 'ultracart_pending');
      expect(pending)
        .to.match(/HttpOnly/)
        .and.match(/SameSite=Lax/)
        .and.match(/Max-Age=\d+/);
      const callback = await emulator.approve(begin.headers.location as string);
      const browserB = b.browser();
      const res = await browserB
        .get(callbackPath(callback))
        .set('Cookie', requireCookiePair(begin.headers['set-cookie'], 'ultracart_pending'))
        .expect(302);
      expect(res.headers.location).to.equal('/me');
      expect(setCookieFor(res.headers['set-cookie'], 'ultracart_pending')).to.match(/Max-Age=0/);
      expect((await browserB.get('/me')).body.user.login).to.equal('ada');
    });

    it('refuses the callback on an instance with a different secret, without calling /sso/token', async () => {
      const a = await instance();
      const b = await instance('another-secret-entirely-and-32-chars-long!!');
      const begin = await request(a.app).get('/login').expect(302);
      const callback = await emulator.approve(begin.headers.location as string);
      await request(b.app)
        .get(callbackPath(callback))
        .set('Cookie', requireCookiePair(begin.headers['set-cookie'], 'ultracart_pending'))
        .expect(403);
      expect(emulator.count('token')).to.equal(0);
    });

    it('accepts a cookie signed with the previous secret after rotation', async () => {
      const a = await instance(SECRET);
      const b = await instance([NEW_SECRET, SECRET]);
      const begin = await request(a.app).get('/login').expect(302);
      const callback = await emulator.approve(begin.headers.location as string);
      await request(b.app)
        .get(callbackPath(callback))
        .set('Cookie', requireCookiePair(begin.headers['set-cookie'], 'ultracart_pending'))
        .expect(302);
      expect(emulator.count('token')).to.equal(1);
    });
  });

  describe('when one browser has two sign-ins pending', () => {
    it('lets the second tab finish after the first tab signed in and the session was renewed', async () => {
      const h = await instance();
      const browser = h.browser();
      const first = await beginSignIn(browser);
      const second = await beginSignIn(browser);
      const secondCallback = await emulator.approve(second, 'grace');
      await browser.get(callbackPath(await emulator.approve(first, 'ada'))).expect(302);
      expect((await me(browser)).user!.login).to.equal('ada');
      const res = await browser.get(callbackPath(secondCallback)).expect(302);
      expect(res.headers.location).to.equal('/me');
      expect((await me(browser)).user!.login).to.equal('grace');
    });
  });

  describe('when the cookie was tampered with', () => {
    it('ignores a payload swapped under the original signature and answers 403 without calling /sso/token', async () => {
      const h = await instance();
      const begin = await request(h.app).get('/login').expect(302);
      const [name, value] = requireCookiePair(begin.headers['set-cookie'], 'ultracart_pending').split('=') as [string, string];
      const signature = value.split('.')[1]!;
      const forgedState = 'A'.repeat(43);
      const forgedPayload = Buffer.from(JSON.stringify([{ s: forgedState, e: Date.now() + 60_000 }])).toString('base64url');
      await request(h.app)
        .get(`/auth/ultracart/callback?code=x&state=${forgedState}`)
        .set('Cookie', `${name}=${forgedPayload}.${signature}`)
        .expect(403);
      expect(emulator.count('token')).to.equal(0);
    });
  });

  describe('when constructed', () => {
    it('refuses a secret shorter than 32 characters, naming the option', () => {
      expect(() => new CookieStateStore({ secret: 'short' })).to.throw(/secret option/);
    });

    it('marks the cookie Secure unless told otherwise', async () => {
      const h = await startHarness({ sharedEmulator: emulator, strategy: { stateStore: new CookieStateStore({ secret: SECRET }) } });
      harnesses.push(h);
      const begin = await request(h.app).get('/login').expect(302);
      expect(setCookieFor(begin.headers['set-cookie'], 'ultracart_pending')).to.match(/; Secure/);
    });
  });
});
