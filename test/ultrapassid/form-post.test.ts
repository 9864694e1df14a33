import { expect } from 'chai';
import type request from 'supertest';
import { CookieStateStore } from '../../src/index.js';
import { requireCookiePair, setCookieFor } from '../support/cookies.js';
import { beginVerification, OIDC_CALLBACK_PATH, returnToApp, startOidcHarness, type OidcHarness } from '../support/ultrapassid-harness.js';

const SECRET = 'a-state-secret-that-is-at-least-32-characters';

function setCookie(res: request.Response, name: string): string | undefined {
  return setCookieFor(res.headers['set-cookie'], name);
}

/** What the browser holds in the pending-sign-in cookie, decoded as anyone with the browser could. */
function readableCookie(header: string): string {
  const value = header.split(';', 1)[0]!.split('=')[1]!;
  return Buffer.from(value.slice(0, value.lastIndexOf('.')), 'base64url').toString('utf8');
}

/** The `name=value` pair of the pending-sign-in cookie set by the authorize leg. */
function pendingCookie(res: request.Response): string {
  return requireCookiePair(res.headers['set-cookie'], 'ultrapassid_pending');
}

describe('UltrapassIdStrategy: pending sign-ins in a cookie, and form_post', () => {
  let h: OidcHarness;
  afterEach(() => h.close());

  describe('with a CookieStateStore', () => {
    beforeEach(async () => {
      h = await startOidcHarness({ strategy: { stateStore: new CookieStateStore({ secret: SECRET, secure: false }) } });
    });

    it('keeps the PKCE verifier out of what the browser can read, and still finishes the sign-in', async () => {
      const browser = h.browser();
      const res = await browser.get('/login').expect(302);
      const cookie = setCookie(res, 'ultrapassid_pending')!;
      const state = new URL(res.headers.location as string).searchParams.get('state')!;
      const nonce = new URL(res.headers.location as string).searchParams.get('nonce')!;
      const visible = readableCookie(cookie);
      expect(visible).to.contain(state).and.contain(nonce);
      await returnToApp(browser, await h.provider.approve(res.headers.location as string)).expect(302);
      const verifier = new URLSearchParams(h.provider.calls.find((c) => c.endpoint === 'token')!.body).get('code_verifier')!;
      expect(visible).to.not.contain(verifier);
      expect(cookie).to.not.contain(verifier);
      expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-ada'));
    });

    it('finishes two sign-ins started in two tabs, across the session regeneration of the first', async () => {
      const browser = h.browser();
      const first = await beginVerification(browser);
      const second = await beginVerification(browser);
      await returnToApp(browser, await h.provider.approve(second, 'person-grace')).expect(302);
      await returnToApp(browser, await h.provider.approve(first, 'person-ada')).expect(302);
      expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-ada'));
    });
  });

  describe('with responseMode form_post and a SameSite=None cookie store', () => {
    beforeEach(async () => {
      h = await startOidcHarness({
        strategy: { responseMode: 'form_post', stateStore: new CookieStateStore({ secret: SECRET, sameSite: 'none' }) },
      });
    });

    it('asks for form_post and sets the pending cookie SameSite=None; Secure, which a cross-site POST carries', async () => {
      const res = await h.browser().get('/login').expect(302);
      expect(new URL(res.headers.location as string).searchParams.get('response_mode')).to.equal('form_post');
      expect(setCookie(res, 'ultrapassid_pending')).to.match(/; HttpOnly; SameSite=None; Secure/);
    });

    it('signs in from the POSTed form, read by the strategy itself when no body parser ran', async () => {
      const browser = h.browser();
      const start = await browser.get('/login').expect(302);
      const callback = await h.provider.approve(start.headers.location as string, 'person-grace');
      expect(callback.method).to.equal('POST');
      // A browser on https sends the Secure cookie with the cross-site POST; supertest's agent never does over http.
      const res = await returnToApp(browser, callback).set('Cookie', pendingCookie(start)).expect(302);
      expect(res.headers.location).to.equal('/me');
      expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-grace'));
    });

    it('refuses a forged POST without a token call', async () => {
      const res = await h
        .browser()
        .post(OIDC_CALLBACK_PATH)
        .type('form')
        .send(`code=stolen&state=${'A'.repeat(43)}`);
      expect(res.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(0);
    });

    it('refuses an oversized form with 400 without reading it all', async () => {
      const res = await h
        .browser()
        .post(OIDC_CALLBACK_PATH)
        .type('form')
        .send(`state=${'A'.repeat(43)}&code=${'x'.repeat(64 * 1024)}`);
      expect(res.status).to.equal(400);
      expect(h.provider.count('token')).to.equal(0);
    });
  });

  describe('with form_post and the app parsing bodies itself', () => {
    it('signs in from req.body', async () => {
      h = await startOidcHarness({
        bodyParser: true,
        strategy: { responseMode: 'form_post', stateStore: new CookieStateStore({ secret: SECRET, sameSite: 'none' }) },
      });
      const browser = h.browser();
      const start = await browser.get('/login').expect(302);
      const callback = await h.provider.approve(start.headers.location as string);
      await returnToApp(browser, callback).set('Cookie', pendingCookie(start)).expect(302);
      expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-ada'));
    });
  });

  describe('with form_post and the default session store', () => {
    it('finishes when the session cookie arrives, and fails with the SameSite diagnosis when it does not', async () => {
      h = await startOidcHarness({ strategy: { responseMode: 'form_post' } });
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
      // A browser drops a SameSite=Lax session cookie from the provider's cross-site POST: no cookie at all.
      const stranger = h.browser();
      const callback = await h.provider.approve(await beginVerification(h.browser()));
      const res = await returnToApp(stranger, callback);
      expect(res.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(1);
    });
  });
});
