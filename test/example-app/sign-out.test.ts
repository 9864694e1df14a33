import { expect } from 'chai';
import request from 'supertest';
import { csrfToken, sessionCookieFrom, signIn, startExample, whoIsSignedIn, type Example } from './support.js';

describe('example app: signing out', () => {
  let ex: Example;
  afterEach(() => ex.close());

  describe('when UltraCart answers the revoke', () => {
    beforeEach(async () => {
      ex = await startExample();
    });

    it('revokes the user’s UltraCart session with the user’s simple key', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const token = await csrfToken(browser);
      await browser.post('/logout').type('form').send({ _csrf: token }).expect(303);
      expect(ex.ultracart.count('revoke')).to.equal(1);
      const userKey = ex.ultracart.calls.find((c) => c.endpoint === 'user')!.headers['x-ultracart-simple-key'];
      expect(ex.ultracart.calls.find((c) => c.endpoint === 'revoke')!.headers['x-ultracart-simple-key']).to.equal(userKey);
    });

    it('sends the browser home, signed out, with the session cookie cleared', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const token = await csrfToken(browser);
      const res = await browser.post('/logout').type('form').send({ _csrf: token }).expect(303);
      expect(res.headers.location).to.equal('/?signedOut=1');
      expect(sessionCookieFrom(res.headers['set-cookie'])).to.equal('ultracart-example.sid=');
      expect(await whoIsSignedIn(browser)).to.equal(null);
      // The page it lands on confirms it.
      expect((await browser.get('/?signedOut=1').expect(200)).text).to.match(
        /<p class="confirmation" id="signed-out" role="status">You are signed out\.<\/p>/,
      );
    });

    it('leaves the old session cookie anonymous afterwards', async () => {
      const browser = ex.browser();
      const loginUrl = (await browser.get('/auth/ultracart')).headers.location as string;
      const callback = new URL(await ex.ultracart.approve(loginUrl));
      const signedIn = await browser.get(callback.pathname + callback.search).expect(302);
      const oldCookie = sessionCookieFrom(signedIn.headers['set-cookie'])!;
      expect((await request(ex.app).get('/profile').set('Cookie', oldCookie)).status).to.equal(200);
      const token = await csrfToken(browser);
      await browser.post('/logout').type('form').send({ _csrf: token }).expect(303);
      const replay = await request(ex.app).get('/profile').set('Cookie', oldCookie);
      expect(replay.status).to.equal(302);
    });

    it('refuses a sign-out without the form’s CSRF token, and calls nobody', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.post('/logout').type('form').send({}).expect(403);
      expect(/data-problem="([^"]+)"/.exec(res.text)?.[1]).to.equal('csrf');
      expect(ex.ultracart.count('revoke')).to.equal(0);
      expect(await whoIsSignedIn(browser)).to.equal('ada');
    });

    it('refuses a sign-out carrying another session’s CSRF token', async () => {
      const victim = ex.browser();
      await signIn(ex, victim);
      const attacker = ex.browser();
      await signIn(ex, attacker, { login: 'grace' });
      const token = await csrfToken(attacker);
      await victim.post('/logout').type('form').send({ _csrf: token }).expect(403);
      expect(await whoIsSignedIn(victim)).to.equal('ada');
    });
  });

  describe('when UltraCart fails the revoke', () => {
    beforeEach(async () => {
      ex = await startExample();
    });

    it('still signs the user out locally', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      ex.ultracart.inject('revoke', { status: 500 });
      const token = await csrfToken(browser);
      await browser.post('/logout').type('form').send({ _csrf: token }).expect(303);
      expect(ex.ultracart.count('revoke')).to.equal(1);
      expect(await whoIsSignedIn(browser)).to.equal(null);
    });
  });

  describe('when UltraCart does not answer the revoke', () => {
    beforeEach(async () => {
      ex = await startExample({ settings: { revokeTimeoutMs: 50 } });
    });

    it('stops waiting and signs the user out locally', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      ex.ultracart.inject('revoke', { behaviour: 'hang' });
      const token = await csrfToken(browser);
      await browser.post('/logout').type('form').send({ _csrf: token }).expect(303);
      expect(await whoIsSignedIn(browser)).to.equal(null);
      expect(ex.logged.join('\n')).to.include('revoke is slow');
    });
  });
});
