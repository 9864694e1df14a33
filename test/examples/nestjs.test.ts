import { expect } from 'chai';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import { createNestExample } from '../../examples/nestjs/bootstrap.js';
import { CALLBACK_PATH, VERIFY_RETURN_PATH } from '../../examples/nestjs/config.js';
import { Browser } from '../support/browser.js';
import { signInThrough, startExampleStage, verifyThrough, type ExampleStage } from '../support/examples.js';

describe('examples/nestjs: the PassportStrategy mixin, an AuthGuard that keeps statuses, and uauth()', () => {
  let stage: ExampleStage;
  let nest: NestExpressApplication;
  beforeEach(async () => {
    stage = await startExampleStage(VERIFY_RETURN_PATH);
    const server = express();
    stage.server.on('request', server);
    nest = await createNestExample(
      {
        origin: stage.origin,
        sessionSecret: 'a-nest-example-session-secret-of-32-chars',
        ultracart: { simpleKey: stage.ultracart.appKey, baseURL: stage.ultracart.url },
        uauth: { organizationKey: stage.upid.organizationKey, workflowKey: stage.workflowKey, baseURL: stage.upid.url },
        oidc: { clientId: stage.oidc.clientId, issuer: stage.oidc.issuer },
      },
      server,
    );
  });
  afterEach(async () => {
    await nest.close();
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

    expect((await browser.post('/logout', {})).status).to.equal(303);
    expect(await (await browser.get('/')).text()).to.include('Not signed in');
    expect(stage.ultracart.count('revoke')).to.equal(1);
  });

  it('verifies a signed-in user with UltrapassIdStrategy (OpenID Connect), keeping the UltraCart user signed in', async () => {
    const browser = new Browser(stage.origin);
    await signInThrough(stage, browser);
    const start = await browser.post('/verify/oidc', {});
    expect(start.status).to.equal(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin).to.equal(stage.oidc.origin);
    expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
    const callback = await stage.oidc.approve(authorize.href, 'person-grace');
    const back = new URL(callback.url);
    expect((await browser.arriveFrom(stage.oidc.origin, back.pathname + back.search)).status).to.equal(303);
    const home = await (await browser.get('/')).text();
    expect(home).to.include('Signed in as Ada Lovelace (ada)');
    expect(home).to.include(`Verified with UltrapassId (OpenID Connect) as ${stage.oidc.subjectOf('person-grace')}`);
  });

  it("keeps UltrapassId's own status and reason when the person cancels, and starts nothing for a visitor who is not signed in", async () => {
    const visitor = await new Browser(stage.origin).post('/verify/oidc', {});
    expect(visitor.status).to.equal(401);
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

  it('passes returnTo through getAuthenticateOptions, and never to another site', async () => {
    const browser = new Browser(stage.origin);
    expect((await signInThrough(stage, browser, '/login?returnTo=%2F%3Ftab%3Dorders')).headers.get('location')).to.equal('/?tab=orders');
    const other = new Browser(stage.origin);
    expect((await signInThrough(stage, other, '/login?returnTo=%2F%2Fevil.example')).headers.get('location')).to.equal('/');
  });

  it("keeps the strategy's 401 and reason through the guard and filter, and says 'already used' on a reload", async () => {
    const browser = new Browser(stage.origin);
    const begin = await browser.get('/login');
    const denied = new URL(await stage.ultracart.deny(begin.headers.get('location')!));
    const first = await browser.arriveFrom(stage.ultracart.origin, denied.pathname + denied.search);
    expect(first.status).to.equal(401);
    expect(await first.text()).to.include('data-reason="denied"');
    const reload = await browser.get(denied.pathname + denied.search);
    expect(reload.status).to.equal(403);
    expect(await reload.text()).to.include('data-reason="alreadyUsed"');
  });

  it('keeps a 403 for a wrong state, which uses up the real one', async () => {
    const browser = new Browser(stage.origin);
    const begin = await browser.get('/login');
    const callback = new URL(await stage.ultracart.approve(begin.headers.get('location')!));
    const wrong = await browser.get(`${CALLBACK_PATH}?code=x&state=${'C'.repeat(43)}`);
    expect(wrong.status).to.equal(403);
    expect(await wrong.text()).to.include('data-reason="stateMismatch"');
    expect((await browser.arriveFrom(stage.ultracart.origin, callback.pathname + callback.search)).status).to.equal(403);
    expect(stage.ultracart.count('token')).to.equal(0);
  });

  it('answers a rate-limited UltraCart with 503 and its Retry-After, not a 500 or a 401', async () => {
    stage.ultracart.inject('authorize', { status: 429, headers: { 'retry-after': '9' } });
    const res = await new Browser(stage.origin).get('/login');
    expect(res.status).to.equal(503);
    expect(res.headers.get('retry-after')).to.equal('9');
    expect(await res.text()).to.include('Try again');
  });

  it('answers an UltrapassId outage at the verify step with its own status', async () => {
    const browser = new Browser(stage.origin);
    await signInThrough(stage, browser);
    stage.upid.inject('createSession', { status: 503 });
    const res = await browser.post('/verify', {});
    expect(res.status).to.be.oneOf([502, 503]);
    expect(await res.text()).to.include('Try again');
  });

  it('sets no-store and no-referrer on the redirect to UltraCart', async () => {
    const res = await new Browser(stage.origin).get('/login');
    expect(res.status).to.equal(302);
    expect(res.headers.get('cache-control')).to.equal('no-store');
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
  });
});
