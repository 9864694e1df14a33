import { expect } from 'chai';
import { UltrapassIdFailureMessages } from '../../src/index.js';
import type { IdTokenFault } from '../../src/testing/index.js';
import {
  appPath,
  beginVerification,
  OIDC_CALLBACK_PATH,
  returnToApp,
  startOidcHarness,
  type OidcHarness,
} from '../support/ultrapassid-harness.js';

/** A 43-character base64url value that is not a state we issued: the shape of a good guess. */
const GUESS = 'Zm9yZ2VkLXN0YXRlLXRoYXQtbG9va3MtcmVhbC0xMjM';

describe('UltrapassIdStrategy: what the callback is given', () => {
  let h: OidcHarness;
  beforeEach(async () => {
    h = await startOidcHarness();
  });
  afterEach(() => h.close());

  async function signedInAs(browser: ReturnType<OidcHarness['browser']>): Promise<unknown> {
    return (await browser.get('/me')).body.user;
  }

  describe('when the state is not the one this browser was given', () => {
    it('fails a forged state with 403 and makes no token call', async () => {
      const browser = h.browser();
      await beginVerification(browser);
      const res = await browser.get(`${OIDC_CALLBACK_PATH}?code=abc&state=${GUESS}`);
      expect(res.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(0);
      expect(await signedInAs(browser)).to.equal(null);
    });

    it('uses up the real pending state when a wrong one is tried, so the real callback fails too', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser));
      await browser.get(`${OIDC_CALLBACK_PATH}?code=abc&state=${GUESS}`).expect(403);
      await returnToApp(browser, callback).expect(403);
      expect(h.provider.count('token')).to.equal(0);
    });

    it('fails a replayed callback with 403 and makes no second token call', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser));
      await returnToApp(browser, callback).expect(302);
      const replay = await returnToApp(h.browser(), callback);
      expect(replay.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(1);
    });

    it('fails a state started in another browser (login CSRF) with 403 and no token call', async () => {
      const victim = h.browser();
      await beginVerification(victim);
      const attacker = h.browser();
      const attackersCallback = await h.provider.approve(await beginVerification(attacker));
      const res = await returnToApp(victim, attackersCallback);
      expect(res.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(0);
      expect(await signedInAs(victim)).to.equal(null);
    });

    it('fails an expired pending sign-in with 403 and no token call', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser));
      const realNow = Date.now;
      Date.now = () => realNow() + 11 * 60_000;
      try {
        const res = await returnToApp(browser, callback);
        expect(res.status).to.equal(403);
      } finally {
        Date.now = realNow;
      }
      expect(h.provider.count('token')).to.equal(0);
    });

    it('fails repeated state parameters with 400 and no token call', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser));
      const res = await browser.get(`${appPath(callback)}&state=${GUESS}`);
      expect(res.status).to.equal(400);
      expect(h.provider.count('token')).to.equal(0);
    });

    it('checks the state before reading error: an error without a pending sign-in is a 403, not a denial', async () => {
      const res = await h.browser().get(`${OIDC_CALLBACK_PATH}?error=access_denied&state=${GUESS}`);
      expect(res.status).to.equal(403);
    });
  });

  describe('when the person cancels or the provider refuses', () => {
    it('fails access_denied with 401 and a message for the person', async () => {
      const browser = h.browser();
      const callback = await h.provider.deny(await beginVerification(browser));
      expect(appPath(callback)).to.match(/error=access_denied/);
      await returnToApp(browser, callback).expect(401);
      expect(h.provider.count('token')).to.equal(0);
    });

    it('puts the denial message in the session for failureMessage', async () => {
      const browser = h.browser();
      const callback = await h.provider.deny(await beginVerification(browser));
      await returnToApp(browser, callback);
      expect((await browser.get('/me')).body.messages).to.deep.equal([UltrapassIdFailureMessages.denied]);
    });

    it('fails any other error with 401 without repeating the provider text', async () => {
      const browser = h.browser();
      const state = new URL(await beginVerification(browser)).searchParams.get('state')!;
      const res = await browser.get(`${OIDC_CALLBACK_PATH}?error=server_error&error_description=%3Cscript%3E&state=${state}`);
      expect(res.status).to.equal(401);
      expect(res.text).to.not.contain('script');
    });

    it('fails a callback without a code with 400', async () => {
      const browser = h.browser();
      const state = new URL(await beginVerification(browser)).searchParams.get('state')!;
      await browser.get(`${OIDC_CALLBACK_PATH}?state=${state}`).expect(400);
      expect(h.provider.count('token')).to.equal(0);
    });

    it('fails an iss naming another provider with 403 and no token call (mix-up)', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser));
      const res = await browser.get(`${appPath(callback)}&iss=${encodeURIComponent('https://impostor.example')}`);
      expect(res.status).to.equal(403);
      expect(h.provider.count('token')).to.equal(0);
    });
  });

  describe('when the code was issued for another sign-in (PKCE)', () => {
    it('fails with 401 and signs no one in: the provider refuses our verifier for the injected code', async () => {
      const victim = h.browser();
      const victimsLocation = await beginVerification(victim);
      const attackersCallback = await h.provider.approve(await beginVerification(h.browser()));
      const injected = new URL(attackersCallback.url);
      injected.searchParams.set('state', new URL(victimsLocation).searchParams.get('state')!);
      const res = await victim.get(injected.pathname + injected.search);
      expect(res.status).to.equal(401);
      expect(h.provider.count('token')).to.equal(1);
      expect(await signedInAs(victim)).to.equal(null);
    });
  });

  describe('when the ID token is not what the provider should have signed', () => {
    const spoilt: Array<[IdTokenFault, string]> = [
      ['wrong-key', 'is signed with a key outside the key set'],
      ['tampered', 'was altered after signing'],
      ['alg-none', 'is unsigned (alg none)'],
      ['wrong-iss', 'names another issuer'],
      ['wrong-aud', 'is addressed to another client'],
      ['wrong-nonce', 'carries another nonce'],
      ['expired', 'has expired'],
    ];
    for (const [fault, what] of spoilt) {
      it(`fails with 403 and signs no one in when the ID token ${what}`, async () => {
        const browser = h.browser();
        const callback = await h.provider.approve(await beginVerification(browser));
        h.provider.inject('token', { idToken: fault });
        const res = await returnToApp(browser, callback);
        expect(res.status).to.equal(403);
        expect(await signedInAs(browser)).to.equal(null);
        expect((await browser.get('/me')).body.messages).to.deep.equal([UltrapassIdFailureMessages.idTokenRejected]);
      });
    }
  });
});
