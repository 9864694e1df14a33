import { expect } from 'chai';
import { UltrapassIdFailureMessages } from 'passport-ultracart';
import { DEVELOPER_WORDS, visibleText } from '../support/user-words.js';
import { csrfToken, OIDC_CALLBACK_URL, pathOf, signIn, startExample, textById, type Example } from './support.js';

describe('Example app: "Verify identity with UltrapassId" over OpenID Connect', () => {
  let ex: Example;
  beforeEach(async () => {
    ex = await startExample();
  });
  afterEach(() => ex.close());

  /** Presses "Verify identity with UltrapassId"; resolves to the provider URL the app sent the browser to. */
  async function pressVerify(browser: ReturnType<Example['browser']>): Promise<string> {
    const token = await csrfToken(browser);
    const res = await browser.post('/verify/oidc').type('form').send({ _csrf: token }).expect(302);
    return res.headers.location as string;
  }

  describe('for a signed-in UltraCart user', () => {
    it('sends the browser to the OIDC authorize endpoint with PKCE, state and nonce', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const location = new URL(await pressVerify(browser));
      expect(location.origin + location.pathname).to.equal(`${ex.oidc.issuer}/oauth2/v2.0/authorize`);
      expect(location.searchParams.get('redirect_uri')).to.equal(OIDC_CALLBACK_URL);
      expect(location.searchParams.get('code_challenge_method')).to.equal('S256');
    });

    it('shows the verified subject and when, and keeps the UltraCart user signed in', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const callback = await ex.oidc.approve(await pressVerify(browser), 'person-grace');
      const back = await browser.get(pathOf(callback.url)).expect(303);
      expect(back.headers.location).to.equal('/profile');
      const profile = await browser.get('/profile').expect(200);
      expect(textById(profile.text, 'profile-login')).to.equal('ada');
      expect(textById(profile.text, 'oidc-subject')).to.equal(ex.oidc.subjectOf('person-grace'));
      expect(textById(profile.text, 'oidc-verification-status')).to.match(/^Verified with UltrapassId on /);
      expect(profile.text).to.not.contain(new URL(callback.url).searchParams.get('code')!);
    });

    it('explains a cancelled verification on its own page and leaves the user signed in', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const callback = await ex.oidc.deny(await pressVerify(browser));
      const back = await browser.get(pathOf(callback.url)).expect(302);
      expect(back.headers.location).to.equal('/verify/oidc/failed?reason=denied');
      const page = await browser.get('/verify/oidc/failed?reason=denied').expect(401);
      expect(page.text).to.contain('<h1>Verification was cancelled</h1>');
      const reloaded = await browser.get('/verify/oidc/failed?reason=denied').expect(401);
      expect(reloaded.text).to.contain('<h1>Verification was cancelled</h1>');
      const forged = await browser.get('/verify/oidc/failed?reason=__proto__').expect(401);
      expect(forged.text).to.contain('The identity verification did not complete.');
      expect(textById((await browser.get('/profile')).text, 'profile-login')).to.equal('ada');
    });

    it('answers a reload of the callback that verified the user with "already verified", in the user\'s words', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const callback = pathOf((await ex.oidc.approve(await pressVerify(browser), 'person-grace')).url);
      await browser.get(callback).expect(303);
      const reload = await browser.get(callback).expect(302);
      const page = await browser.get(reload.headers.location as string).expect(200);
      expect(page.text).to.contain('<h1>Your identity is already verified</h1>');
      expect(visibleText(page.text)).to.not.match(DEVELOPER_WORDS);
      expect(textById((await browser.get('/profile')).text, 'oidc-subject')).to.equal(ex.oidc.subjectOf('person-grace'));
    });

    it("gives every reason the strategy fails with a page of the app's own words, title and status", async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      const titles = new Map<string, string>();
      for (const reason of Object.keys(UltrapassIdFailureMessages)) {
        const page = await browser.get(`/verify/oidc/failed?reason=${reason}`);
        expect(page.status, reason).to.be.oneOf([400, 401, 403]);
        expect(visibleText(page.text), reason).to.not.match(DEVELOPER_WORDS);
        titles.set(reason, /<title>([^<]*)<\/title>/.exec(page.text)![1]!);
      }
      // Reasons that mean the same to the user share a title; the others each have their own.
      expect(new Set(titles.values()).size).to.be.at.least(10);
      expect(titles.get('denied')).to.not.equal(titles.get('expired'));
    });

    it('answers the UltrapassId-unavailable page with 503 when the provider is down', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      ex.oidc.inject('discovery', { status: 503, headers: { 'retry-after': '3' } });
      const token = await csrfToken(browser);
      const res = await browser.post('/verify/oidc').type('form').send({ _csrf: token }).expect(503);
      expect(res.text).to.contain('UltrapassId is unavailable');
      expect(res.headers.location).to.equal(undefined);
    });
  });

  describe('for a request that is not from the profile form', () => {
    it('refuses a POST without the CSRF token with 403 and makes no provider call', async () => {
      const browser = ex.browser();
      await signIn(ex, browser);
      await browser.post('/verify/oidc').type('form').send({}).expect(403);
      expect(ex.oidc.calls.length).to.equal(0);
    });

    it('refuses the callback for someone not signed in, without a token call', async () => {
      const res = await ex.browser().get('/verify/oidc/callback?code=abc&state=x');
      expect(res.status).to.equal(302);
      expect(ex.oidc.count('token')).to.equal(0);
    });
  });
});
