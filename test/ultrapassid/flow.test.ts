import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { beginVerification, OIDC_CALLBACK_PATH, returnToApp, startOidcHarness, type OidcHarness } from '../support/ultrapassid-harness.js';

describe('UltrapassIdStrategy: a complete OpenID Connect sign-in', () => {
  let h: OidcHarness;
  afterEach(() => h.close());

  describe('when the person approves at UltrapassId', () => {
    beforeEach(async () => {
      h = await startOidcHarness();
    });

    it('redirects to the documented authorize endpoint with PKCE S256, state, nonce and the registered client', async () => {
      const location = new URL(await beginVerification(h.browser()));
      expect(location.origin + location.pathname).to.equal(`${h.provider.issuer}/oauth2/v2.0/authorize`);
      const params = location.searchParams;
      expect(params.get('client_id')).to.equal(h.provider.clientId);
      expect(params.get('response_type')).to.equal('code');
      expect(params.get('redirect_uri')).to.equal(h.callbackURL);
      expect(params.get('scope')).to.equal('openid');
      expect(params.get('code_challenge_method')).to.equal('S256');
      expect(params.get('code_challenge')).to.match(/^[\w-]{43}$/);
      expect(params.get('state')).to.match(/^[\w-]{43}$/);
      expect(params.get('nonce')).to.match(/^[\w-]{43}$/);
      expect(params.get('response_mode')).to.equal('query');
      expect(params.has('code_verifier')).to.equal(false);
    });

    it('discovers the provider once, on the first sign-in, not at construction', async () => {
      expect(h.provider.count('discovery')).to.equal(0);
      await beginVerification(h.browser());
      await beginVerification(h.browser());
      expect(h.provider.count('discovery')).to.equal(1);
    });

    it('marks the authorize redirect no-store and no-referrer', async () => {
      const res = await h.browser().get('/login').expect(302);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
    });

    it('signs the person in with the ID token subject after one token call', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser), 'person-grace');
      const res = await returnToApp(browser, callback).expect(302);
      expect(res.headers.location).to.equal('/me');
      expect(res.headers['cache-control']).to.equal('no-store');
      const me = (await browser.get('/me')).body;
      expect(me.user.id).to.equal(h.provider.subjectOf('person-grace'));
      expect(Date.parse(me.user.verifiedAt)).to.be.closeTo(Date.now(), 60_000);
      expect(h.provider.count('token')).to.equal(1);
      expect(h.provider.count('jwks')).to.equal(1);
    });

    it('sends a public-client, form-encoded token request with the code verifier, the redirect_uri and the scope', async () => {
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
      const call = h.provider.calls.find((c) => c.endpoint === 'token')!;
      expect(call.headers['content-type']).to.match(/^application\/x-www-form-urlencoded/);
      expect(call.headers.authorization).to.equal(undefined);
      const form = new URLSearchParams(call.body);
      expect(form.get('grant_type')).to.equal('authorization_code');
      expect(form.get('client_id')).to.equal(h.provider.clientId);
      expect(form.get('redirect_uri')).to.equal(h.callbackURL);
      expect(form.get('scope')).to.equal('openid');
      expect(form.get('code_verifier')).to.match(/^[\w-]{43,128}$/);
    });

    it('returns to the returnTo path carried in the pending record', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser, '/login?returnTo=%2Forders%3Fpage%3D2'));
      const res = await returnToApp(browser, callback).expect(302);
      expect(res.headers.location).to.equal('/orders?page=2');
    });

    it('ignores a returnTo that leaves the site', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser, '/login?returnTo=%2F%2Fevil.example'));
      expect((await returnToApp(browser, callback).expect(302)).headers.location).to.equal('/me');
    });
  });

  describe('when the verify function decides', () => {
    it('hands verify (profile, tokens, done) with the verified claims and no access token for scope openid', async () => {
      let seen: { profile: unknown; tokens: Record<string, unknown> } | undefined;
      h = await startOidcHarness({
        verify: (profile, tokens, done) => {
          seen = { profile, tokens: tokens as unknown as Record<string, unknown> };
          done(null, { id: profile.id });
        },
      });
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
      expect(seen!.profile).to.include({ provider: 'ultrapassid', id: h.provider.subjectOf('person-ada'), issuer: h.provider.issuer });
      expect(seen!.tokens.idToken).to.be.a('string');
      expect(decodeJwt(seen!.tokens.idToken as string).sub).to.equal(h.provider.subjectOf('person-ada'));
      expect(seen!.tokens).to.not.have.property('accessToken');
      expect((seen!.tokens.claims as () => { aud: string })().aud).to.equal(h.provider.clientId);
      expect(seen!.tokens.id_token).to.equal(seen!.tokens.idToken);
      expect(Object.keys(seen!.tokens)).to.deep.equal(['idToken', 'scope']);
    });

    it('passes the access token when the client id is requested as a scope, as UltrapassId documents', async () => {
      let accessToken: unknown;
      h = await startOidcHarness({
        strategy: { scope: 'openid emulator-client-id' },
        verify: async (_profile, tokens) => {
          accessToken = tokens.accessToken;
          return { id: 'x' };
        },
      });
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
      expect(accessToken).to.be.a('string').with.length.greaterThan(20);
    });

    it('accepts a verify that returns a promise, and one with passReqToCallback', async () => {
      let sawRequest = false;
      h = await startOidcHarness({
        strategy: { passReqToCallback: true } as never,
        verify: ((req: { method?: string }, profile: { id: string }) => {
          sawRequest = req.method === 'GET';
          return Promise.resolve({ id: profile.id });
        }) as never,
      });
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
      expect(sawRequest).to.equal(true);
      expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-ada'));
    });

    it('signs in through a callback verify whose arity hides done: wrapped, rest and default parameters', async () => {
      type Done = (err: unknown, user?: unknown) => void;
      // done is called later, as after a database lookup: an arity guess would already have answered.
      const later = (done: Done, id: string) => setImmediate(() => done(null, { id }));
      const callbackVerify = (profile: { id: string }, _tokens: unknown, done: Done) => later(done, profile.id);
      const verifies = [
        (...args: unknown[]) => (callbackVerify as (...a: unknown[]) => void)(...args),
        (profile: { id: string }, ...rest: unknown[]) => later(rest[1] as Done, profile.id),
        (profile: { id: string }, _tokens: unknown = {}, done?: Done) => later(done!, profile.id),
      ];
      for (const verify of verifies) {
        h = await startOidcHarness({ verify: verify as never });
        const browser = h.browser();
        await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
        expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-ada'));
        await h.close();
      }
      h = await startOidcHarness();
    });

    it('fails with 403 and the verify message when verify refuses', async () => {
      h = await startOidcHarness({ verify: (_p, _t, done) => done(null, false, { message: 'Not on the list.' }) });
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(403);
      const me = (await browser.get('/me')).body;
      expect(me.user).to.equal(null);
      expect(me.messages).to.deep.equal(['Not on the list.']);
    });
  });

  describe('with passport.authorize() for a user already signed in', () => {
    beforeEach(async () => {
      h = await startOidcHarness({ strategy: { callbackURL: 'http://localhost/verify/callback' } });
    });

    it('attaches the verified identity as req.account and keeps the signed-in user', async () => {
      const browser = h.browser();
      await browser.post('/pretend-sign-in').expect(200);
      const callback = await h.provider.approve(await beginVerification(browser, '/verify'), 'person-grace');
      await returnToApp(browser, callback).expect(302);
      const me = (await browser.get('/me')).body;
      expect(me.user).to.deep.equal({ id: 'ultracart-user-1001' });
      expect(me.verified.id).to.equal(h.provider.subjectOf('person-grace'));
    });

    it('finishes two verifications started in two tabs, in either order', async () => {
      const browser = h.browser();
      await browser.post('/pretend-sign-in').expect(200);
      const first = await beginVerification(browser, '/verify');
      const second = await beginVerification(browser, '/verify');
      await returnToApp(browser, await h.provider.approve(second, 'person-grace')).expect(302);
      await returnToApp(browser, await h.provider.approve(first, 'person-ada')).expect(302);
      expect((await browser.get('/me')).body.verified.id).to.equal(h.provider.subjectOf('person-ada'));
      expect(h.provider.count('token')).to.equal(2);
    });

    it('fails a callback without a pending verification rather than redirecting the signed-in user home', async () => {
      const browser = h.browser();
      await browser.post('/pretend-sign-in').expect(200);
      const res = await browser.get('/verify/callback?code=abc&state=' + 'A'.repeat(43));
      expect(res.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(0);
    });
  });

  describe('with explicit endpoints instead of discovery', () => {
    it('signs in without ever reading the discovery document', async () => {
      h = await startOidcHarness({ explicitEndpoints: true });
      const browser = h.browser();
      await returnToApp(browser, await h.provider.approve(await beginVerification(browser))).expect(302);
      expect((await browser.get('/me')).body.user.id).to.equal(h.provider.subjectOf('person-ada'));
      expect(h.provider.count('discovery')).to.equal(0);
      expect(h.provider.count('jwks')).to.equal(1);
    });
  });

  it('fails the bare callback path with 403 and says why', async () => {
    h = await startOidcHarness();
    const res = await h.browser().get(OIDC_CALLBACK_PATH);
    expect(res.status).to.equal(403);
    expect(h.provider.count('token')).to.equal(0);
  });
});
