import { expect } from 'chai';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { csrfToken, pathOf, signIn, startExample, textById, whoIsSignedIn, type Example } from './support.js';

function problemOf(html: string): string | undefined {
  return /data-problem="([^"]+)"/.exec(html)?.[1];
}

/** Presses "Verify identity" on the profile page; resolves to the UltrapassId page the app sent the browser to. */
async function startVerification(browser: TestAgent): Promise<string> {
  const token = await csrfToken(browser);
  const res = await browser.post('/verify').type('form').send({ _csrf: token }).expect(303);
  return res.headers.location as string;
}

describe('example app: verifying identity with UltrapassId', () => {
  let ex: Example;
  let browser: TestAgent;
  beforeEach(async () => {
    ex = await startExample();
    browser = ex.browser();
    await signIn(ex, browser);
  });
  afterEach(() => ex.close());

  describe('when the user completes the workflow', () => {
    it('sends the browser to the UltrapassId workflow page with a 303', async () => {
      const location = await startVerification(browser);
      expect(location).to.match(new RegExp(`^${ex.uauth.origin}/uauth\\?sessionId=[0-9a-f]{32}$`));
      expect(ex.uauth.count('createSession')).to.equal(1);
    });

    it('accepts the return and shows the workflow and policy UltrapassId reports', async () => {
      const back = await ex.uauth.complete(await startVerification(browser));
      const res = await browser.get(pathOf(back)).expect(303);
      expect(res.headers.location).to.equal('/verify/result');
      const page = await browser.get('/verify/result').expect(200);
      expect(textById(page.text, 'workflow-key')).to.equal('322dbc7a-0a8a-452a-ba6d-c3e893f29ecc');
      expect(textById(page.text, 'policy-id')).to.equal('B2C_1A_UUID_REGISTRATION');
      expect(ex.uauth.count('getSession')).to.equal(1);
    });

    it('marks the profile as verified', async () => {
      await browser.get(pathOf(await ex.uauth.complete(await startVerification(browser)))).expect(303);
      const profile = await browser.get('/profile').expect(200);
      expect(textById(profile.text, 'verification-status')).to.match(/^Checked with UltrapassId's guided check on /);
    });

    it('drives the emulator’s own page the way a browser would', async () => {
      const pageUrl = new URL(await startVerification(browser));
      const page = await request(pageUrl.origin)
        .get(pageUrl.pathname + pageUrl.search)
        .expect(200);
      const sessionId = /name="sessionId" value="([^"]+)"/.exec(page.text)![1]!;
      const done = await request(pageUrl.origin).post('/uauth').type('form').send({ sessionId }).expect(303);
      await browser.get(pathOf(done.headers.location as string)).expect(303);
      expect(textById((await browser.get('/verify/result').expect(200)).text, 'policy-id')).to.equal('B2C_1A_UUID_REGISTRATION');
    });

    it('refuses the same return link a second time, saying it was already used', async () => {
      const back = pathOf(await ex.uauth.complete(await startVerification(browser)));
      await browser.get(back).expect(303);
      const replay = await browser.get(back).expect(403);
      expect(problemOf(replay.text)).to.equal('verification-already-used');
      expect(ex.uauth.count('getSession')).to.equal(1);
    });
  });

  describe('when the return link is replayed many times at once', () => {
    it('accepts exactly one of 50 concurrent replays, asking UltrapassId once', async () => {
      const back = pathOf(await ex.uauth.complete(await startVerification(browser)));
      const answers = await Promise.all(Array.from({ length: 50 }, () => browser.get(back)));
      const accepted = answers.filter((res) => res.status === 303);
      expect(accepted).to.have.length(1);
      expect(accepted[0]!.headers.location).to.equal('/verify/result');
      const refused = answers.filter((res) => res.status === 403).map((res) => problemOf(res.text));
      expect(refused).to.have.length(49);
      expect(new Set(refused)).to.satisfy((kinds: Set<string>) =>
        [...kinds].every((k) => k === 'verification-already-used' || k === 'verification-none-pending'),
      );
      expect(ex.uauth.count('getSession')).to.equal(1);
    });
  });

  describe('when the browser comes back with another session’s id', () => {
    it('answers 403 without asking UltrapassId', async () => {
      await startVerification(browser);
      const res = await browser.get('/verify/return?sessionId=0123456789abcdef0123456789abcdef').expect(403);
      expect(problemOf(res.text)).to.equal('verification-mismatch');
      expect(ex.uauth.count('getSession')).to.equal(0);
    });

    it('uses up the pending verification, so the right id fails afterwards too', async () => {
      const back = pathOf(await ex.uauth.complete(await startVerification(browser)));
      await browser.get('/verify/return?sessionId=0123456789abcdef0123456789abcdef').expect(403);
      await browser.get(back).expect(403);
    });

    it('refuses a return link another user’s browser was given', async () => {
      const other = ex.browser();
      await signIn(ex, other, { login: 'grace' });
      const theirs = pathOf(await ex.uauth.complete(await startVerification(other)));
      await startVerification(browser);
      const res = await browser.get(theirs).expect(403);
      expect(problemOf(res.text)).to.equal('verification-mismatch');
    });
  });

  describe('when no verification was started in this browser', () => {
    it('answers 403 to a return', async () => {
      const res = await browser.get('/verify/return?sessionId=0123456789abcdef0123456789abcdef').expect(403);
      expect(problemOf(res.text)).to.equal('verification-none-pending');
    });

    it('answers 403 to an UltraCart-style return on the verify path (mix-up)', async () => {
      await startVerification(browser);
      const res = await browser.get('/verify/return?code=abc&state=def').expect(403);
      expect(problemOf(res.text)).to.equal('verification-mismatch');
    });
  });

  describe('when an UltrapassId return arrives on the UltraCart callback path (mix-up)', () => {
    it('is not taken for a sign-in: no code exchange, and the same user stays signed in', async () => {
      const back = new URL(await ex.uauth.complete(await startVerification(browser)));
      await browser.get(`/auth/ultracart/callback${back.search}`).expect(302);
      expect(ex.ultracart.count('token')).to.equal(1);
      expect(await whoIsSignedIn(browser)).to.equal('ada');
    });
  });

  describe('when the verify form is posted without its CSRF token', () => {
    it('answers 403 and creates no UltrapassId session', async () => {
      const res = await browser.post('/verify').type('form').send({}).expect(403);
      expect(problemOf(res.text)).to.equal('csrf');
      expect(ex.uauth.count('createSession')).to.equal(0);
    });

    it('answers a GET of the verify route (a cross-site <img>) with 404 and creates nothing', async () => {
      await browser.get('/verify').expect(404);
      expect(ex.uauth.count('createSession')).to.equal(0);
    });
  });

  describe('when nobody is signed in', () => {
    it('refuses the verify form from a browser nobody signed in on, and creates no UltrapassId session', async () => {
      const stranger = ex.browser();
      const token = await csrfToken(stranger, '/').catch(() => 'none');
      await stranger.post('/verify').type('form').send({ _csrf: token }).expect(403);
      expect(ex.uauth.count('createSession')).to.equal(0);
      expect(await whoIsSignedIn(stranger)).to.equal(null);
    });
  });

  describe('when UltrapassId is unavailable', () => {
    it('answers 503 with a friendly page and no redirect', async () => {
      ex.uauth.inject('createSession', { status: 503, headers: { 'retry-after': '20' } });
      const token = await csrfToken(browser);
      const res = await browser.post('/verify').type('form').send({ _csrf: token }).expect(503);
      expect(res.headers.location).to.equal(undefined);
      expect(res.headers['retry-after']).to.equal('20');
      expect(problemOf(res.text)).to.equal('uauth-unavailable');
      expect(res.text).to.include('UltrapassId is unavailable');
    });
  });

  describe('when UltrapassId no longer knows the returned session', () => {
    it('answers 400 with a page asking to start again', async () => {
      const back = pathOf(await ex.uauth.complete(await startVerification(browser)));
      ex.uauth.inject('getSession', { status: 400, body: 'Request not valid', contentType: 'text/plain' });
      const res = await browser.get(back).expect(400);
      expect(problemOf(res.text)).to.equal('uauth-session-invalid');
    });
  });
});
