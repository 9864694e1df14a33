import { expect } from 'chai';
import { UltrapassIdFailureMessages } from '../../src/index.js';
import { appPath, beginVerification, startOidcHarness, type OidcHarness } from '../support/ultrapassid-harness.js';

describe('UltrapassIdStrategy: what a callback that finds nothing pending is told', () => {
  let h: OidcHarness;
  let warnings: string[];
  const warn = console.warn;
  beforeEach(() => {
    warnings = [];
    console.warn = (text: string) => void warnings.push(text);
  });
  afterEach(async () => {
    console.warn = warn;
    await h.close();
  });

  describe('a reload of a finished verification under passport.authorize()', () => {
    it('says alreadyUsed, with no second token call, and leaves the user signed in', async () => {
      h = await startOidcHarness();
      const browser = h.browser();
      await browser.post('/pretend-sign-in').expect(200);
      const callback = appPath(await h.provider.approve(await beginVerification(browser, '/verify')));
      const path = callback.replace('/auth/ultrapassid/callback', '/verify/callback');
      await browser.get(path).expect(302);
      await browser.get(path).expect(403);
      const me = (await browser.get('/me').expect(200)).body as { user: unknown; messages: string[] };
      expect(me.messages).to.deep.equal([UltrapassIdFailureMessages.alreadyUsed]);
      expect(me.user).to.deep.equal({ id: 'ultracart-user-1001' });
      expect(h.provider.count('token')).to.equal(1);
    });

    it('speaks to the person, with no cookie settings or developer words in the message', () => {
      for (const message of Object.values(UltrapassIdFailureMessages)) {
        expect(message).to.not.match(/SameSite|form_post|Secure cookie|Unable to verify authorization request state/);
      }
    });
  });

  describe('a Secure session cookie on a plain-http request', () => {
    it('refuses at the authorize leg, before any call to the provider, with one warning', async () => {
      h = await startOidcHarness({ sessionCookie: { secure: true } });
      const browser = h.browser();
      const res = await browser.get('/login');
      await browser.get('/login');
      expect(res.status).to.equal(500);
      expect(res.headers.location).to.equal(undefined);
      expect(h.provider.count('authorize')).to.equal(0);
      expect(warnings.filter((w) => /Secure.*plain http/.test(w))).to.have.length(1);
    });
  });

  describe('a SameSite=Strict session cookie', () => {
    it('warns at the authorize leg that the return from UltrapassId will not carry it', async () => {
      h = await startOidcHarness({ sessionCookie: { sameSite: 'strict' } });
      await h.browser().get('/login').expect(302);
      expect(warnings.join('\n')).to.match(/SameSite=Strict.*return from UltrapassId/);
    });

    it('fails a callback that arrives without the cookie as sameSiteStrict', async () => {
      h = await startOidcHarness({ sessionCookie: { sameSite: 'strict' } });
      const starter = h.browser();
      const callback = appPath(await h.provider.approve(await beginVerification(starter)));
      const arriving = h.browser();
      await arriving.get(callback).expect(403);
      expect(h.provider.count('token')).to.equal(0);
    });
  });
});
