import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildFastifyExample, CALLBACK_PATH, VERIFY_RETURN_PATH } from '../../examples/fastify/app.js';
import { Browser } from '../support/browser.js';
import { signInThrough, startExampleStage, verifyThrough, type ExampleStage } from '../support/examples.js';

describe('examples/fastify: @fastify/passport, @fastify/secure-session and uauth()', () => {
  let stage: ExampleStage;
  let app: FastifyInstance;
  beforeEach(async () => {
    stage = await startExampleStage(VERIFY_RETURN_PATH);
    app = await buildFastifyExample(
      {
        origin: stage.origin,
        sessionKey: Buffer.alloc(32, 3),
        ultracart: { simpleKey: stage.ultracart.appKey, baseURL: stage.ultracart.url },
        uauth: { organizationKey: stage.upid.organizationKey, workflowKey: stage.workflowKey, baseURL: stage.upid.url },
        oidc: { clientId: stage.oidc.clientId, issuer: stage.oidc.issuer },
      },
      stage.server,
    );
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await stage.close();
  });

  it('signs a browser in end to end, verifies its identity, and signs it out with a revoke', async () => {
    const browser = new Browser(stage.origin);
    const callback = await signInThrough(stage, browser);
    expect(callback.status).to.equal(302);
    expect(callback.headers.get('location')).to.equal('/');
    expect(await (await browser.get('/')).text()).to.include('Signed in as Ada Lovelace (ada)');

    const back = await verifyThrough(stage, browser);
    expect(back.status).to.equal(303);
    expect(await (await browser.get('/')).text()).to.include('Identity verified (policy B2C_1A_UUID_REGISTRATION)');
    expect(stage.upid.count('getSession')).to.equal(1);

    const out = await browser.post('/logout', {});
    expect(out.status).to.equal(303);
    expect(await (await browser.get('/')).text()).to.include('Not signed in');
    expect(stage.ultracart.count('revoke')).to.equal(1);
  });

  it('verifies a signed-in user with UltrapassIdStrategy (OpenID Connect) through passport.authorize()', async () => {
    const browser = new Browser(stage.origin);
    await signInThrough(stage, browser);
    const start = await browser.post('/verify/oidc', {});
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).to.equal(stage.oidc.origin);
    const back = new URL((await stage.oidc.approve(authorize.href, 'person-grace')).url);
    expect((await browser.arriveFrom(stage.oidc.origin, back.pathname + back.search)).status).to.equal(303);
    const home = await (await browser.get('/')).text();
    expect(home).to.include('Signed in as Ada Lovelace (ada)');
    expect(home).to.include(`Verified with UltrapassId (OpenID Connect) as ${stage.oidc.subjectOf('person-grace')}`);
  });

  it("keeps UltrapassId's status and reason when the person cancels, and starts nothing for a visitor", async () => {
    expect((await new Browser(stage.origin).post('/verify/oidc', {})).status).to.equal(303);
    expect(stage.oidc.count('authorize')).to.equal(0);
    const browser = new Browser(stage.origin);
    await signInThrough(stage, browser);
    const start = await browser.post('/verify/oidc', {});
    const back = new URL((await stage.oidc.deny(start.headers.get('location')!)).url);
    const denied = await browser.arriveFrom(stage.oidc.origin, back.pathname + back.search);
    expect(denied.status).to.be.within(400, 499);
    expect(await denied.text()).to.include('data-reason="denied"');
    expect(await (await browser.get('/')).text()).to.include('Signed in as Ada Lovelace (ada)');
  });

  it('sets no-store and no-referrer on the redirects that carry a state or code, with one hook as the glue', async () => {
    const browser = new Browser(stage.origin);
    const begin = await browser.get('/login');
    expect(begin.headers.get('cache-control')).to.equal('no-store');
    expect(begin.headers.get('referrer-policy')).to.equal('no-referrer');
    const callback = new URL(await stage.ultracart.approve(begin.headers.get('location')!));
    const done = await browser.arriveFrom(stage.ultracart.origin, callback.pathname + callback.search);
    expect(done.headers.get('cache-control')).to.equal('no-store');
    expect(done.headers.get('referrer-policy')).to.equal('no-referrer');
  });

  it('returns to the path given as returnTo, and never to another site', async () => {
    const browser = new Browser(stage.origin);
    expect((await signInThrough(stage, browser, '/login?returnTo=%2F%3Ftab%3Dorders')).headers.get('location')).to.equal('/?tab=orders');
    const other = new Browser(stage.origin);
    expect((await signInThrough(stage, other, '/login?returnTo=%2F%2Fevil.example')).headers.get('location')).to.equal('/');
  });

  it("shows the strategy's status and reason on a failed callback, and 'already used' on its reload", async () => {
    const browser = new Browser(stage.origin);
    const begin = await browser.get('/login');
    const denied = new URL(await stage.ultracart.deny(begin.headers.get('location')!));
    const first = await browser.arriveFrom(stage.ultracart.origin, denied.pathname + denied.search);
    expect(first.status).to.equal(401);
    expect(await first.text()).to.include('data-reason="denied"');
    const reload = await browser.get(denied.pathname + denied.search);
    expect(reload.status).to.equal(403);
    expect(await reload.text())
      .to.include('data-reason="alreadyUsed"')
      .and.include('already used');
  });

  it('answers a rate-limited UltraCart with 503 and its Retry-After, and a Try again link', async () => {
    stage.ultracart.inject('authorize', { status: 429, headers: { 'retry-after': '7' } });
    const res = await new Browser(stage.origin).get('/login');
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('7');
    expect(await res.text()).to.include('Try again');
  });

  it('sends a visit to localhost to 127.0.0.1, the host of its callback URL', async () => {
    const res = await new Browser(stage.origin.replace('127.0.0.1', 'localhost')).get('/login?returnTo=%2F');
    expect(res.status).to.equal(307);
    expect(res.headers.get('location')).to.equal(`${stage.origin}/login?returnTo=%2F`);
  });

  it('refuses a callback with a wrong state first, so the real one cannot sign in after it', async () => {
    const browser = new Browser(stage.origin);
    const begin = await browser.get('/login');
    const callback = new URL(await stage.ultracart.approve(begin.headers.get('location')!));
    expect((await browser.get(`${CALLBACK_PATH}?code=x&state=${'B'.repeat(43)}`)).status).to.equal(403);
    expect((await browser.arriveFrom(stage.ultracart.origin, callback.pathname + callback.search)).status).to.equal(403);
    expect(stage.ultracart.count('token')).to.equal(0);
  });
});
