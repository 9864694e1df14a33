import { expect } from 'chai';
import request from 'supertest';
import { FailureMessages } from 'passport-ultracart';
import { DEVELOPER_WORDS, visibleText } from '../support/user-words.js';
import { beginSignIn, pathOf, startExample, whoIsSignedIn, type Example } from './support.js';

/** The `data-problem` of a rendered problem page. */
function problemOf(html: string): string | undefined {
  return /data-problem="([^"]+)"/.exec(html)?.[1];
}

describe('example app: a sign-in that fails', () => {
  let ex: Example;
  beforeEach(async () => {
    ex = await startExample();
  });
  afterEach(() => ex.close());

  describe('when the user cancels at UltraCart', () => {
    it('redirects the callback to the failure page', async () => {
      const browser = ex.browser();
      const res = await browser.get(pathOf(await ex.ultracart.deny(await beginSignIn(browser)))).expect(302);
      expect(res.headers.location).to.equal('/auth/failed?reason=denied');
    });

    it('explains that sign-in was cancelled', async () => {
      const browser = ex.browser();
      const res = await browser.get(pathOf(await ex.ultracart.deny(await beginSignIn(browser))));
      const page = await browser.get(res.headers.location as string).expect(401);
      expect(problemOf(page.text)).to.equal('denied');
      expect(page.text).to.include('Sign-in was cancelled');
      expect(page.text).to.include('id="sign-in-again"');
      expect(await whoIsSignedIn(browser)).to.equal(null);
      expect(ex.ultracart.count('token')).to.equal(0);
    });

    it('keeps showing the same reason when the failure page is reloaded', async () => {
      const browser = ex.browser();
      const res = await browser.get(pathOf(await ex.ultracart.deny(await beginSignIn(browser))));
      await browser.get(res.headers.location as string).expect(401);
      const again = await browser.get(res.headers.location as string).expect(401);
      expect(problemOf(again.text)).to.equal('denied');
    });

    it('says the link was already used, not to allow cookies, when the callback itself is reloaded', async () => {
      const browser = ex.browser();
      const callback = pathOf(await ex.ultracart.deny(await beginSignIn(browser)));
      await browser.get(callback).expect(302);
      const reload = await browser.get(callback).expect(302);
      expect(reload.headers.location).to.equal('/auth/failed?reason=alreadyUsed');
      const page = await browser.get(reload.headers.location as string).expect(403);
      expect(problemOf(page.text)).to.equal('alreadyUsed');
      expect(page.text).to.include('This sign-in link was already used').and.not.include('Allow cookies');
    });

    it('shows the generic page for a reason it does not know, or none', async () => {
      for (const path of [
        '/auth/failed',
        '/auth/failed?reason=toString',
        '/auth/failed?reason=%3Cscript%3E',
        '/auth/failed?reason=denied&reason=expired',
      ]) {
        const page = await ex.browser().get(path).expect(401);
        expect(problemOf(page.text), path).to.equal('unknown');
        expect(page.headers['set-cookie'], path).to.equal(undefined);
      }
    });
  });

  describe('for every reason the strategy fails with', () => {
    it("shows the app's own words, never the strategy's text for the developer, with a 4xx status", async () => {
      for (const reason of Object.keys(FailureMessages)) {
        const page = await ex.browser().get(`/auth/failed?reason=${reason}`);
        expect(page.status, reason).to.be.oneOf([400, 401, 403]);
        expect(problemOf(page.text), reason).to.equal(reason);
        expect(visibleText(page.text), reason).to.not.match(DEVELOPER_WORDS);
      }
    });
  });

  describe('when a signed-in user reloads the callback that signed them in', () => {
    it('sends them on as signed in, not to a failure page', async () => {
      const browser = ex.browser();
      const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
      await browser.get(callback).expect(302);
      const reload = await browser.get(callback).expect(302);
      expect(reload.headers.location).to.not.match(/^\/auth\/failed/);
      expect(await whoIsSignedIn(browser)).to.not.equal(null);
      expect(ex.ultracart.count('token')).to.equal(1);
    });
  });

  describe('when UltraCart refuses the code as expired', () => {
    it('explains that the sign-in link has expired', async () => {
      const browser = ex.browser();
      const callback = await ex.ultracart.approve(await beginSignIn(browser));
      ex.ultracart.inject('token', { status: 400 });
      const res = await browser.get(pathOf(callback)).expect(302);
      const page = await browser.get(res.headers.location as string).expect(401);
      expect(problemOf(page.text)).to.equal('codeRejected');
      expect(page.text).to.include('This sign-in link has expired');
    });
  });

  describe('when the callback arrives in a browser that did not start the sign-in', () => {
    it('explains that the sign-in could not be matched to this browser (cookie lost)', async () => {
      const callback = await ex.ultracart.approve(await beginSignIn(ex.browser()));
      const other = ex.browser();
      const res = await other.get(pathOf(callback)).expect(302);
      expect(res.headers['set-cookie']).to.equal(undefined);
      const page = await other.get(res.headers.location as string).expect(403);
      expect(problemOf(page.text)).to.equal('noPendingSignIn');
      expect(page.text).to.include('could not match this sign-in to your browser');
      expect(ex.ultracart.count('token')).to.equal(0);
    });
  });

  describe('when the callback carries a state this browser did not get', () => {
    it('refuses it as a state mismatch without calling UltraCart', async () => {
      const browser = ex.browser();
      const callback = new URL(await ex.ultracart.approve(await beginSignIn(browser)));
      callback.searchParams.set('state', 'A'.repeat(43));
      const res = await browser.get(pathOf(callback.href)).expect(302);
      const page = await browser.get(res.headers.location as string).expect(403);
      expect(problemOf(page.text)).to.equal('stateMismatch');
      expect(ex.ultracart.count('token')).to.equal(0);
    });
  });

  describe('when a finished sign-in’s callback is replayed from another browser', () => {
    it('does not sign that browser in', async () => {
      const browser = ex.browser();
      const callback = await ex.ultracart.approve(await beginSignIn(browser));
      await browser.get(pathOf(callback)).expect(302);
      const replayer = ex.browser();
      await replayer.get(pathOf(callback)).expect(302);
      expect(await whoIsSignedIn(replayer)).to.equal(null);
      expect(ex.ultracart.count('token')).to.equal(1);
    });
  });

  describe('when UltraCart is unavailable at the start of sign-in', () => {
    it('answers 503 with a friendly page and no redirect', async () => {
      ex.ultracart.inject('authorize', { status: 503 });
      const res = await ex.browser().get('/auth/ultracart').expect(503);
      expect(res.headers.location).to.equal(undefined);
      expect(problemOf(res.text)).to.equal('ultracart-unavailable');
      expect(res.text).to.include('UltraCart is unavailable');
      expect(res.headers['content-type']).to.match(/^text\/html/);
    });

    it('keeps UltraCart’s Retry-After when it is rate limiting', async () => {
      ex.ultracart.inject('authorize', { status: 429, headers: { 'retry-after': '30' } });
      const res = await ex.browser().get('/auth/ultracart').expect(503);
      expect(res.headers['retry-after']).to.equal('30');
      expect(problemOf(res.text)).to.equal('ultracart-unavailable');
    });

    it('offers "Try again", which starts the sign-in over and now succeeds', async () => {
      ex.ultracart.inject('authorize', { status: 503 });
      const browser = ex.browser();
      const res = await browser.get('/auth/ultracart').expect(503);
      const link = /<a class="button" id="try-again" href="([^"]+)">Try again<\/a>/.exec(res.text);
      expect(link?.[1]).to.equal('/auth/ultracart');
      const retry = await browser.get(link![1]!).expect(302);
      expect(new URL(retry.headers.location as string).origin).to.equal(ex.ultracart.origin);
    });

    it('never shows a stack trace or the error’s own message', async () => {
      ex.ultracart.inject('authorize', { status: 503 });
      const res = await ex.browser().get('/auth/ultracart').expect(503);
      expect(res.text).to.not.match(/\bat .+\.(ts|js):\d+/);
      expect(res.text).to.not.include('/sso/authorize');
      expect(res.text).to.not.include('UltraCartApiError');
    });
  });

  describe('when UltraCart fails while exchanging the code', () => {
    it('answers 502 with the unavailable page and signs nobody in', async () => {
      const browser = ex.browser();
      const callback = await ex.ultracart.approve(await beginSignIn(browser));
      ex.ultracart.inject('token', { status: 500 });
      const res = await browser.get(pathOf(callback)).expect(502);
      expect(problemOf(res.text)).to.equal('ultracart-unavailable');
      // The callback cannot be retried (its state is used up): "Try again" starts a new sign-in.
      expect(res.text).to.include('id="try-again" href="/auth/ultracart"');
      expect(await whoIsSignedIn(browser)).to.equal(null);
    });
  });

  describe('when UltraCart rejects the application key', () => {
    it('answers 500 with a configuration page rather than blaming the user', async () => {
      ex.ultracart.inject('authorize', { status: 401 });
      const res = await ex.browser().get('/auth/ultracart').expect(500);
      expect(problemOf(res.text)).to.equal('ultracart-configuration');
    });
  });

  describe('when a page does not exist', () => {
    it('answers 404 with a page', async () => {
      const res = await request(ex.app).get('/no-such-page').expect(404);
      expect(problemOf(res.text)).to.equal('not-found');
    });
  });
});
