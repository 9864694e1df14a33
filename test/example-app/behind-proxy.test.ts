import { expect } from 'chai';
import { startUltrapassIdOidcEmulator, type UltrapassIdOidcEmulator } from 'passport-ultracart/testing';
import request from 'supertest';
import { cookiePair, setCookieFor } from '../support/cookies.js';
import { freePort } from '../support/nginx.js';
import { csrfToken, OIDC_CALLBACK_URL, pathOf, signIn, startExample, TEST_SECRET, type Example } from './support.js';

const HTTPS = { 'X-Forwarded-Proto': 'https' };

function problemOf(html: string): string | undefined {
  return /data-problem="([^"]+)"/.exec(html)?.[1];
}

/** The cookies a browser holds after `responses`, as one Cookie header (later ones replace earlier ones). */
function jar(...responses: Array<{ headers: Record<string, unknown> }>): string {
  const cookies = new Map<string, string>();
  for (const res of responses) {
    for (const line of (res.headers['set-cookie'] as string[] | undefined) ?? []) {
      const pair = line.split(';', 1)[0]!;
      const name = pair.slice(0, pair.indexOf('='));
      if (/Expires=Thu, 01 Jan 1970/.test(line)) cookies.delete(name);
      else cookies.set(name, pair);
    }
  }
  return [...cookies.values()].join('; ');
}

/** In production behind a proxy on loopback (supertest connects from 127.0.0.1), sending what the documented proxy sends. */
describe('example app: in production behind a proxy', () => {
  let ex: Example;
  afterEach(() => ex.close());

  async function production(settings: Parameters<typeof startExample>[0] = {}): Promise<Example> {
    ex = await startExample({ ...settings, settings: { production: true, trustProxy: 'loopback', emulated: false, ...settings.settings } });
    return ex;
  }

  /** Signs in over the proxy's https; resolves to the Cookie header the browser then holds. */
  async function signedIn(): Promise<string> {
    const started = await request(ex.app).get('/auth/ultracart').set(HTTPS).expect(302);
    const callback = await ex.ultracart.approve(started.headers.location as string);
    const done = await request(ex.app).get(pathOf(callback)).set(HTTPS).set('Cookie', jar(started)).expect(302);
    return jar(started, done);
  }

  describe('with the defaults', () => {
    beforeEach(() => production());

    it('sends HSTS with includeSubDomains', async () => {
      const res = await request(ex.app).get('/').set(HTTPS).expect(200);
      expect(res.headers['strict-transport-security']).to.equal('max-age=15552000; includeSubDomains');
    });

    it('clears the CSRF cookie along with the session at sign-out', async () => {
      const cookie = await signedIn();
      const profile = await request(ex.app).get('/profile').set(HTTPS).set('Cookie', cookie).expect(200);
      const token = /name="_csrf" value="([^"]+)"/.exec(profile.text)![1]!;
      const withCsrf = jar({ headers: { 'set-cookie': cookie.split('; ') } }, profile);
      expect(withCsrf).to.include('__Host-ultracart-example.csrf=');
      const out = await request(ex.app).post('/logout').set(HTTPS).set('Cookie', withCsrf).type('form').send({ _csrf: token }).expect(303);
      const csrf = setCookieFor(out.headers['set-cookie'], '__Host-ultracart-example.csrf');
      expect(csrf).to.match(
        /^__Host-ultracart-example\.csrf=; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Strict$/,
      );
      expect(setCookieFor(out.headers['set-cookie'], '__Host-ultracart-example.sid')).to.match(/Expires=Thu, 01 Jan 1970/);
    });

    it('refuses to start a sign-in over what it takes for plain http, without calling UltraCart', async () => {
      const res = await request(ex.app).get('/auth/ultracart').expect(302);
      expect(res.headers.location).to.equal('/auth/failed?reason=secureCookieOnHttp');
      expect(res.headers['set-cookie']).to.equal(undefined);
      expect(ex.ultracart.count('authorize')).to.equal(0);
      expect(ex.logged.join('\n')).to.include('carries no X-Forwarded-Proto header');
    });

    it('says "not set up correctly" when the proxy sent no X-Forwarded-Proto, and "open the site over https" when it said http', async () => {
      const missing = await request(ex.app).get('/auth/failed?reason=secureCookieOnHttp').expect(403);
      expect(missing.text).to.include('<h1>This site is not set up correctly</h1>');
      const overHttp = await request(ex.app).get('/auth/failed?reason=secureCookieOnHttp').set('X-Forwarded-Proto', 'http').expect(403);
      expect(overHttp.text).to.include('<h1>This site needs https for sign-in</h1>');
      expect(ex.logged.join('\n')).to.include('forwarded a plain-http request (X-Forwarded-Proto: http)');
    });

    it('logs each kind of plain-http request once, not once per request', async () => {
      for (let i = 0; i < 5; i++) await request(ex.app).get('/').expect(200);
      expect(ex.logged.filter((line) => line.includes('carries no X-Forwarded-Proto header'))).to.have.length(1);
    });

    it('names pending sign-in cookies __Host- too, with ULTRACART_STATE_STORE=cookie', async () => {
      await ex.close();
      await production({ settings: { stateStore: 'cookie' } });
      const res = await request(ex.app).get('/auth/ultracart').set(HTTPS).expect(302);
      expect(setCookieFor(res.headers['set-cookie'], '__Host-ultracart-example.ultracart-pending')).to.match(
        /; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=\d+$/,
      );
    });
  });

  describe('with HSTS_INCLUDE_SUBDOMAINS=false', () => {
    beforeEach(() => production({ settings: { hstsIncludeSubDomains: false } }));

    it('sends HSTS without includeSubDomains', async () => {
      const res = await request(ex.app).get('/').set(HTTPS).expect(200);
      expect(res.headers['strict-transport-security']).to.equal('max-age=15552000');
    });
  });

  describe('when the browser brings a session cookie this instance does not know', () => {
    beforeEach(() => production());

    it('logs a cookie signed with another SESSION_SECRET, sends the browser to sign in with it cleared, and says why there', async () => {
      const other = await startExample({
        settings: { production: true, trustProxy: 'loopback', sessionSecrets: [`another-${TEST_SECRET}`] },
      });
      try {
        const started = await request(other.app).get('/auth/ultracart').set(HTTPS).expect(302);
        const foreign = cookiePair(started.headers['set-cookie'], '__Host-ultracart-example.sid')!;
        const res = await request(ex.app).get('/profile').set(HTTPS).set('Cookie', foreign).expect(302);
        expect(res.headers.location).to.equal('/?returnTo=%2Fprofile&session=not-found');
        expect(setCookieFor(res.headers['set-cookie'], '__Host-ultracart-example.sid')).to.match(/Expires=Thu, 01 Jan 1970/);
        expect(ex.logged.join('\n')).to.include(
          'session cookie not recognised on GET "/profile": it was signed with another SESSION_SECRET: every instance needs the same SESSION_SECRET',
        );
        const page = await request(ex.app)
          .get(res.headers.location as string)
          .set(HTTPS)
          .expect(200);
        expect(page.text).to.include('id="session-not-found"');
      } finally {
        await other.close();
      }
    });

    it('says on the failure page that the session was not recognised when a callback brings such a cookie, rather than blaming cookies', async () => {
      const started = await request(ex.app).get('/auth/ultracart').set(HTTPS).expect(302);
      const callback = await ex.ultracart.approve(started.headers.location as string);
      // As if another instance, on its own memory store, had started this sign-in.
      await ex.sessionStore.clear!();
      const res = await request(ex.app).get(pathOf(callback)).set(HTTPS).set('Cookie', jar(started)).expect(302);
      expect(res.headers.location).to.equal('/auth/failed?reason=noPendingSignIn');
      // The browser still holds the cookie it went to the callback with.
      const page = await request(ex.app)
        .get(res.headers.location as string)
        .set(HTTPS)
        .set('Cookie', jar(started))
        .expect(403);
      expect(problemOf(page.text)).to.equal('noPendingSignIn');
      expect(page.text).to.include('<h1>This site did not recognise your session</h1>');
      expect(page.text).to.include('this site is not set up correctly (its servers do not share sessions)');
      expect(ex.logged.join('\n')).to.include('session cookie not recognised on GET "/auth/ultracart/callback"');
      expect(setCookieFor(page.headers['set-cookie'], '__Host-ultracart-example.sid')).to.match(/Expires=Thu, 01 Jan 1970/);
      expect(ex.ultracart.count('token')).to.equal(0);
    });

    it('never logs the cookie or the session id', async () => {
      const cookie = await signedIn();
      await ex.sessionStore.clear!();
      await request(ex.app).get('/profile').set(HTTPS).set('Cookie', cookie).expect(302);
      const value = decodeURIComponent(cookie.split('__Host-ultracart-example.sid=')[1]!.split(';')[0]!);
      const id = value.slice(2, value.indexOf('.'));
      const log = ex.logged.join('\n');
      expect(log).to.include("this instance's session store has no such session");
      expect(log).to.not.include(id);
    });
  });

  describe('when the vendor sends the browser somewhere this site is not set up to allow', () => {
    beforeEach(() => production());

    it('shows "UltraCart is not set up correctly here" and logs the package’s own message', async () => {
      ex.ultracart.inject('authorize', { body: { login_url: 'http://login.example.com/login?request=1' } });
      const res = await request(ex.app).get('/auth/ultracart').set(HTTPS).expect(500);
      expect(problemOf(res.text)).to.equal('ultracart-configuration');
      expect(res.text).to.include('UltraCart is not set up correctly here');
      expect(ex.logged.join('\n')).to.include(
        'error: UltraCartApiError ULTRACART_BAD_RESPONSE -> 500: "UltraCart PUT /sso/authorize: login_url refused, scheme http: is not https"',
      );
    });

    it('still calls an outage an outage: "try again later" for a 503', async () => {
      ex.ultracart.inject('authorize', { status: 503 });
      const res = await request(ex.app).get('/auth/ultracart').set(HTTPS).expect(503);
      expect(problemOf(res.text)).to.equal('ultracart-unavailable');
    });
  });
});

describe('example app: when UltrapassId’s issuer is not the one configured', () => {
  let ex: Example;
  let impostor: UltrapassIdOidcEmulator;
  afterEach(async () => {
    await ex.close();
    await impostor.close();
  });

  it('shows "UltrapassId is not set up correctly here" and logs the package’s own message', async () => {
    const port = await freePort();
    // Discovery at the configured address names another issuer, as an emulator behind a proxy without publicOrigin would.
    impostor = await startUltrapassIdOidcEmulator({ port, publicOrigin: 'https://impostor.example' });
    ex = await startExample({
      settings: { oidc: { clientId: impostor.clientId, issuer: `http://127.0.0.1:${port}`, callbackURL: OIDC_CALLBACK_URL } },
    });
    const browser = ex.browser();
    await signIn(ex, browser);
    const token = await csrfToken(browser);
    const res = await browser.post('/verify/oidc').type('form').send({ _csrf: token });
    expect({ status: res.status, problem: problemOf(res.text) }).to.deep.equal({ status: 500, problem: 'ultrapassid-configuration' });
    expect(res.text).to.include('UltrapassId is not set up correctly here');
    expect(ex.logged.join('\n')).to.include(
      'error: UltrapassIdError ULTRAPASSID_BAD_RESPONSE -> 500: "UltrapassId discovery: discovered metadata issuer does not match the expected issuer"',
    );
  });
});
