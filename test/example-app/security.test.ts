import { expect } from 'chai';
import request from 'supertest';
import { DEFAULT_EMULATOR_USERS } from 'passport-ultracart/testing';
import { setCookieFor } from '../support/cookies.js';
import { signIn, startExample, type Example } from './support.js';

describe('example app: security', () => {
  let ex: Example;
  afterEach(() => ex.close());

  describe('on every page', () => {
    beforeEach(async () => {
      ex = await startExample();
    });

    for (const path of ['/', '/auth/failed', '/no-such-page']) {
      it(`sends frame-ancestors 'none', no-referrer and nosniff on ${path}`, async () => {
        const res = await request(ex.app).get(path);
        expect(res.headers['content-security-policy']).to.include("frame-ancestors 'none'");
        expect(res.headers['referrer-policy']).to.equal('no-referrer');
        expect(res.headers['x-frame-options']).to.equal('DENY');
        expect(res.headers['x-content-type-options']).to.equal('nosniff');
      });
    }

    it('allows no script and only this origin’s stylesheet in the CSP', async () => {
      const csp = (await request(ex.app).get('/')).headers['content-security-policy'] as string;
      expect(csp).to.include("default-src 'none'");
      expect(csp).to.include("style-src 'self'");
      expect(csp).to.not.include('script-src');
    });

    it('lets forms post only to this origin and to UltrapassId', async () => {
      const csp = (await request(ex.app).get('/')).headers['content-security-policy'] as string;
      expect(csp).to.include(`form-action 'self' ${ex.uauth.origin}`);
    });

    it('loads nothing from another origin on the signed-in pages', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/profile').expect(200);
      expect(res.text).to.not.match(/(src|href)="(https?:)?\/\//);
      expect(res.text).to.not.include('<script');
      expect(res.text).to.not.include('style=');
    });

    it('serves its stylesheet as CSS without creating a session', async () => {
      const res = await request(ex.app).get('/assets/style.css').expect(200);
      expect(res.headers['content-type']).to.match(/^text\/css/);
      expect(res.headers['set-cookie']).to.equal(undefined);
    });

    it('marks pages no-store', async () => {
      const res = await request(ex.app).get('/').expect(200);
      expect(res.headers['cache-control']).to.equal('no-store');
    });

    it('creates no session for a visitor who only looks at the sign-in page', async () => {
      const res = await request(ex.app).get('/').expect(200);
      expect(res.headers['set-cookie']).to.equal(undefined);
    });
  });

  describe('when UltraCart returns a user whose name holds markup', () => {
    beforeEach(async () => {
      ex = await startExample({
        ultracart: {
          users: [{ ...DEFAULT_EMULATOR_USERS[0]!, full_name: '<script>alert(1)</script>', login: 'x" onmouseover="alert(1)' }],
        },
      });
    });

    it('escapes it on the profile page', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/profile').expect(200);
      expect(res.text).to.not.include('<script>alert(1)</script>');
      expect(res.text).to.include('&#60;script&#62;alert(1)&#60;/script&#62;');
      expect(res.text).to.not.include('" onmouseover="');
    });
  });

  describe('when the sign-in limit is two a minute', () => {
    beforeEach(async () => {
      ex = await startExample({ settings: { rateLimit: { windowMs: 60_000, limit: 2 } } });
    });

    it('answers the third sign-in with 429 and a page, without calling UltraCart', async () => {
      await request(ex.app).get('/auth/ultracart').expect(302);
      await request(ex.app).get('/auth/ultracart').expect(302);
      const res = await request(ex.app).get('/auth/ultracart').expect(429);
      expect(/data-problem="([^"]+)"/.exec(res.text)?.[1]).to.equal('rate-limited');
      expect(res.headers['retry-after']).to.match(/^\d+$/);
      expect(ex.ultracart.count('authorize')).to.equal(2);
    });

    it('limits the verify form separately, answering 429 before UltrapassId is called', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const profile = await browser.get('/profile');
      const token = /name="_csrf" value="([^"]+)"/.exec(profile.text)![1]!;
      await browser.post('/verify').type('form').send({ _csrf: token }).expect(303);
      await browser.post('/verify').type('form').send({ _csrf: token }).expect(303);
      await browser.post('/verify').type('form').send({ _csrf: token }).expect(429);
      expect(ex.uauth.count('createSession')).to.equal(2);
    });
  });

  describe('in production behind one proxy', () => {
    beforeEach(async () => {
      ex = await startExample({ settings: { production: true, trustProxy: 1, emulated: false } });
    });

    it('sets a __Host- session cookie that is Secure, HttpOnly and SameSite=Lax over the proxy’s https', async () => {
      const res = await request(ex.app).get('/auth/ultracart').set('X-Forwarded-Proto', 'https').expect(302);
      const cookie = setCookieFor(res.headers['set-cookie'], '__Host-ultracart-example.sid')!;
      expect(cookie).to.match(/; Secure/);
      expect(cookie).to.match(/; HttpOnly/);
      expect(cookie).to.match(/; SameSite=Lax/);
      expect(cookie).to.match(/; Path=\//);
    });

    it('sets no session cookie on a request that did not come through TLS, and starts no sign-in with UltraCart', async () => {
      const res = await request(ex.app).get('/auth/ultracart').expect(302);
      expect(res.headers.location).to.match(/\?reason=secureCookieOnHttp$/);
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(ex.ultracart.count('authorize')).to.equal(0);
    });

    it('sends Strict-Transport-Security', async () => {
      const res = await request(ex.app).get('/').set('X-Forwarded-Proto', 'https').expect(200);
      expect(res.headers['strict-transport-security']).to.match(/max-age=\d+/);
    });
  });
});
