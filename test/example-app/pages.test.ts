import { expect } from 'chai';
import request from 'supertest';
import { signIn, startExample, textById, type Example } from './support.js';

describe('example app: pages', () => {
  let ex: Example;
  beforeEach(async () => {
    ex = await startExample();
  });
  afterEach(() => ex.close());

  describe('for a visitor who is not signed in', () => {
    it('shows the sign-in page with a "Sign in with UltraCart" button', async () => {
      const res = await request(ex.app).get('/').expect(200);
      expect(res.headers['content-type']).to.match(/^text\/html; charset=utf-8/);
      expect(res.text).to.match(/<a class="button" id="sign-in" href="\/auth\/ultracart">Sign in with UltraCart<\/a>/);
    });

    it('says on every page that the vendors are emulated', async () => {
      const res = await request(ex.app).get('/').expect(200);
      // In a landmark of its own (axe's `region` rule: no content outside landmarks).
      expect(res.text).to.match(/<aside class="notice" id="notice" aria-label="About this demo">Demo mode/);
    });

    it('sends the profile page to sign-in, remembering where the visitor was going', async () => {
      const res = await request(ex.app).get('/profile').expect(302);
      expect(res.headers.location).to.equal('/?returnTo=%2Fprofile');
    });

    it('sends the verification result page to sign-in', async () => {
      const res = await request(ex.app).get('/verify/result').expect(302);
      expect(res.headers.location).to.equal('/?returnTo=%2Fverify%2Fresult');
    });

    it('shows a generic failure page when no failure is recorded', async () => {
      const res = await request(ex.app).get('/auth/failed').expect(401);
      expect(res.text).to.include('data-problem="unknown"');
      expect(res.text).to.include('id="sign-in-again" href="/"');
    });
  });

  describe('for a signed-in user', () => {
    it('sends the sign-in page on to the profile', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/').expect(302);
      expect(res.headers.location).to.equal('/profile');
    });

    it('shows who is signed in, a sign-out button and a verify button on the profile', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/profile').expect(200);
      expect(textById(res.text, 'signed-in-as')).to.equal('Signed in as Ada Lovelace');
      expect(res.text).to.match(
        /<form method="post" action="\/logout"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+"\s*\/?>\s*<button type="submit" id="sign-out"/,
      );
      expect(res.text).to.match(
        /<form method="post" action="\/verify"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+"\s*\/?>\s*<button type="submit" id="verify"[^>]*>Start the guided check</,
      );
    });

    it('says the identity is not verified yet', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/profile').expect(200);
      expect(textById(res.text, 'verification-status')).to.match(/^No guided check yet\./);
      expect(textById(res.text, 'oidc-verification-status')).to.match(/^Not verified with UltrapassId yet\./);
    });

    it('sends the verification result page to the profile before any verification', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const res = await browser.get('/verify/result').expect(302);
      expect(res.headers.location).to.equal('/profile');
    });
  });
});
