import { expect } from 'chai';
import request from 'supertest';
import {
  beginSignIn,
  pathOf,
  sessionCookieFrom,
  signIn,
  startExample,
  tableRows,
  textById,
  whoIsSignedIn,
  type Example,
} from './support.js';
import { setCookieFor } from '../support/cookies.js';

describe('example app: signing in with UltraCart', () => {
  let ex: Example;
  afterEach(() => ex.close());

  describe('when the user approves at UltraCart', () => {
    beforeEach(async () => {
      ex = await startExample();
    });

    it('sends the sign-in button to UltraCart’s login page', async () => {
      const location = await beginSignIn(ex.browser());
      expect(location).to.match(new RegExp(`^${ex.ultracart.origin}/login\\?request=`));
      expect(ex.ultracart.count('authorize')).to.equal(1);
    });

    it('lands on the profile page after the callback', async () => {
      const location = await signIn(ex, ex.browser());
      expect(location).to.equal('/profile');
    });

    it('shows the user’s name, login, email and key expiry on the profile page', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/profile').expect(200);
      expect(textById(res.text, 'profile-name')).to.equal('Ada Lovelace');
      expect(textById(res.text, 'profile-login')).to.equal('ada');
      expect(textById(res.text, 'profile-email')).to.equal('ada@example.com');
      expect(res.text).to.match(/<time datetime="\d{4}-\d\d-\d\dT[^"]+Z">/);
      expect(textById(res.text, 'key-expires')).to.match(/GMT \(when UltraCart's key for this sign-in expires\)$/);
    });

    it('lists the UltraCart permissions by permission_Name, with whether each is granted', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/profile').expect(200);
      expect(tableRows(res.text, 'permissions')).to.deep.equal([
        ['Group', 'Permission', 'Granted'],
        ['Orders', 'View orders', 'yes'],
        ['Orders', 'Edit orders', 'yes'],
        ['Settings', 'Edit settings', 'no'],
      ]);
    });

    it('signs in the account chosen on UltraCart’s login page', async () => {
      const browser = ex.browser();
      await signIn(ex, browser, { login: 'grace' });
      expect(await whoIsSignedIn(browser)).to.equal('grace');
    });

    it('never puts the user’s simple key in a page', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const simpleKey = ex.ultracart.calls.find((c) => c.endpoint === 'user')!.headers['x-ultracart-simple-key'] as string;
      for (const page of ['/profile', '/']) {
        const res = await browser.get(page).redirects(1);
        expect(res.text).to.not.include(simpleKey);
      }
    });

    it('gives the signed-in session a new id, so a cookie planted before sign-in stays anonymous', async () => {
      const browser = ex.browser();
      const started = await browser.get('/auth/ultracart').expect(302);
      const planted = sessionCookieFrom(started.headers['set-cookie'])!;
      const callback = await ex.ultracart.approve(started.headers.location as string);
      const finished = await browser.get(pathOf(callback)).expect(302);
      expect(sessionCookieFrom(finished.headers['set-cookie'])).to.be.a('string').and.not.equal(planted);
      const attacker = await request(ex.app).get('/profile').set('Cookie', planted);
      expect(attacker.status).to.equal(302);
    });

    it('sets the session cookie HttpOnly and SameSite=Lax, and not Secure outside production', async () => {
      const res = await ex.browser().get('/auth/ultracart').expect(302);
      const cookie = setCookieFor(res.headers['set-cookie'], 'ultracart-example.sid')!;
      expect(cookie).to.match(/; HttpOnly/);
      expect(cookie).to.match(/; SameSite=Lax/);
      expect(cookie).to.not.match(/; Secure/);
    });

    it('keeps a new, not yet signed-in session short-lived', async () => {
      const res = await ex.browser().get('/auth/ultracart').expect(302);
      const cookie = setCookieFor(res.headers['set-cookie'], 'ultracart-example.sid')!;
      const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
      expect(expires - Date.now()).to.be.at.most(ex.settings.pendingSessionMaxAgeMs);
    });

    it('logs requests without query strings, codes, states, keys or cookies', async () => {
      const browser = ex.browser();
      const loginUrl = await beginSignIn(browser);
      const callback = new URL(await ex.ultracart.approve(loginUrl));
      await browser.get(callback.pathname + callback.search).expect(302);
      const log = ex.logged.join('\n');
      expect(log).to.include('GET /auth/ultracart/callback 302');
      for (const secret of [callback.searchParams.get('code')!, callback.searchParams.get('state')!, ex.ultracart.appKey, '?']) {
        expect(log).to.not.include(secret);
      }
      const simpleKey = ex.ultracart.calls.find((c) => c.endpoint === 'user')!.headers['x-ultracart-simple-key'] as string;
      expect(log).to.not.include(simpleKey);
    });
  });

  describe('when UltraCart issues a key that lives only ten minutes', () => {
    beforeEach(async () => {
      ex = await startExample({ ultracart: { keyLifetimeMs: 10 * 60 * 1000 } });
    });

    it('ends the session cookie no later than the key', async () => {
      const browser = ex.browser();
      const loginUrl = await beginSignIn(browser);
      const res = await browser.get(pathOf(await ex.ultracart.approve(loginUrl))).expect(302);
      const cookie = setCookieFor(res.headers['set-cookie'], 'ultracart-example.sid')!;
      const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)![1]!);
      expect(expires - Date.now())
        .to.be.at.most(10 * 60 * 1000)
        .and.greaterThan(0);
    });
  });

  describe('when the sign-in carries a returnTo', () => {
    beforeEach(async () => {
      ex = await startExample();
    });

    it('brings the user back to the same-origin page they asked for', async () => {
      const location = await signIn(ex, ex.browser(), { path: '/auth/ultracart?returnTo=%2Fverify%2Fresult%3Fx%3D1' });
      expect(location).to.equal('/verify/result?x=1');
    });

    it('passes returnTo from a protected page through the sign-in page to the button', async () => {
      const browser = ex.browser();
      const first = await browser.get('/profile').expect(302);
      expect(first.headers.location).to.equal('/?returnTo=%2Fprofile');
      const page = await browser.get(first.headers.location as string).expect(200);
      expect(page.text).to.include('href="/auth/ultracart?returnTo=%2Fprofile"');
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
      it(`ignores the hostile returnTo ${JSON.stringify(hostile)} and lands on the profile`, async () => {
        const location = await signIn(ex, ex.browser(), { path: `/auth/ultracart?returnTo=${encodeURIComponent(hostile)}` });
        expect(location).to.equal('/profile');
      });
    }

    it('ignores a repeated returnTo parameter', async () => {
      const location = await signIn(ex, ex.browser(), { path: '/auth/ultracart?returnTo=%2Fa&returnTo=%2Fb' });
      expect(location).to.equal('/profile');
    });

    it('keeps a hostile returnTo off the sign-in page', async () => {
      const res = await ex.browser().get('/?returnTo=%2F%2Fevil.com').expect(200);
      expect(res.text).to.include('href="/auth/ultracart"');
      expect(res.text).to.not.include('evil.com');
    });
  });
});
