import { expect } from 'chai';
import type session from 'express-session';
import request from 'supertest';
import { sessionDeadline } from '../../example-app/session-lifetime.js';
import { setCookieFor } from '../support/cookies.js';
import { beginSignIn, pathOf, sessionCookieFrom, signIn, startExample, textById, whoIsSignedIn, type Example } from './support.js';

const MAX_AGE_MS = 1_200;

describe('example app: how long a signed-in session lasts', () => {
  let ex: Example;
  afterEach(() => ex.close());

  describe('when the longest session ends before UltraCart’s key expires', () => {
    beforeEach(async () => {
      ex = await startExample({ settings: { sessionMaxAgeMs: MAX_AGE_MS } });
    });

    it('shows that end on the profile, and ends the session then however active the user is', async () => {
      const browser = ex.browser();
      const before = Date.now();
      await signIn(ex, browser);
      const profile = await browser.get('/profile').expect(200);
      const endsAt = Date.parse(/id="key-expires"[^>]*>\s*<time datetime="([^"]+)"/.exec(profile.text)![1]!);
      expect(endsAt).to.be.within(before + MAX_AGE_MS, Date.now() + MAX_AGE_MS);
      expect(textById(profile.text, 'key-expires')).to.match(/\(the longest a session lasts here; UltraCart's key would last longer\)$/);
      // A request every 100 ms, each of which express-session would take as a reason to extend the session.
      let signedOutAt: number | undefined;
      while (signedOutAt === undefined && Date.now() < endsAt + 1_000) {
        if ((await whoIsSignedIn(browser)) === null) signedOutAt = Date.now();
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(signedOutAt, 'still signed in a second after the end').to.be.a('number');
      // The cookie's Expires has whole seconds, so the browser may drop it in the second before the end; never after it.
      expect(signedOutAt!).to.be.within(Math.floor(endsAt / 1000) * 1000 - 150, endsAt + 300);
    });
  });

  describe('when a request finds the session still stored after its deadline', () => {
    beforeEach(async () => {
      ex = await startExample();
    });

    /** Signs in; moves the stored session's deadline into the past (the store keeps it); resolves to its cookie. */
    async function endedSession(): Promise<string> {
      const browser = ex.browser();
      const callback = await ex.ultracart.approve(await beginSignIn(browser));
      const cookie = sessionCookieFrom((await browser.get(pathOf(callback)).expect(302)).headers['set-cookie'])!;
      const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
      const store = ex.sessionStore;
      const data = await new Promise<session.SessionData>((resolve) => store.get(sid, (_err, value) => resolve(value!)));
      await new Promise<void>((resolve) => store.set(sid, { ...data, endsAt: Date.now() - 1 }, () => resolve()));
      return cookie;
    }

    it('ends it, clears its cookie without setting another, and sends the browser back to the page signed out', async () => {
      const cookie = await endedSession();
      const res = await request(ex.app).get('/profile').set('Cookie', cookie).expect(302);
      expect(res.headers.location).to.equal('/profile');
      expect(res.headers['set-cookie']).to.have.length(1);
      expect(setCookieFor(res.headers['set-cookie'], 'ultracart-example.sid')).to.match(
        /^ultracart-example\.sid=; .*Expires=Thu, 01 Jan 1970/,
      );
      expect(ex.logged).to.include('session ended at its deadline');
      // The session is gone from the store: the same cookie again is one this instance does not know.
      const again = await request(ex.app).get('/profile').set('Cookie', cookie).expect(302);
      expect(again.headers.location).to.equal('/?returnTo=%2Fprofile&session=not-found');
    });

    it('sends a request line of //elsewhere home, not off the site', async () => {
      const cookie = await endedSession();
      const res = await request(ex.app).get('//evil.example/x').set('Cookie', cookie).expect(302);
      expect(res.headers.location).to.equal('/');
    });
  });

  describe('sessionDeadline', () => {
    const settings = { sessionMaxAgeMs: 1000 } as Parameters<typeof sessionDeadline>[0];

    it('is the key’s expiry when that comes first', () => {
      expect(sessionDeadline(settings, new Date(10_500), 10_000)).to.equal(10_500);
    });

    it('is the longest session when the key lasts longer, or gave no expiry', () => {
      expect(sessionDeadline(settings, '1970-01-01T00:01:00.000Z', 10_000)).to.equal(11_000);
      expect(sessionDeadline(settings, null, 10_000)).to.equal(11_000);
    });
  });
});
