import { expect } from 'chai';
import { beginConnect, pathOf, startOAuthHarness, type OAuthHarness } from '../support/ultracart-oauth-harness.js';

type Info = { expiresAt: string | null };

/** Connects once, with the token endpoint answering as the test arranged; returns the callback's response. */
async function connect(h: OAuthHarness) {
  const browser = h.browser();
  return browser.get(pathOf(await h.emulator.oauth.approve(await beginConnect(browser))));
}

describe('UltraCartOAuthStrategy: how the token endpoint answers', () => {
  let h: OAuthHarness;
  afterEach(async () => h?.close());

  describe('expires_in', () => {
    for (const [shape, expiresIn] of [
      ['a string, as the SDKs declare it', 'string'],
      ['a number', 'number'],
    ] as const) {
      it(`reads it when it is ${shape}`, async () => {
        h = await startOAuthHarness({ emulator: { oauth: { expiresIn, accessTokenLifetimeSeconds: 7200 } } });
        const before = Date.now();
        const res = await connect(h);
        expect(res.status).to.equal(200);
        expect(Date.parse((res.body.info as Info).expiresAt!)).to.be.within(before + 7_200_000 - 5000, Date.now() + 7_200_000);
      });
    }

    it('says null, not a guess, when UltraCart leaves it out or sends junk', async () => {
      h = await startOAuthHarness({ emulator: { oauth: { expiresIn: 'absent' } } });
      expect(((await connect(h)).body.info as Info).expiresAt).to.equal(null);
      h.emulator.oauth.inject('token', { status: 200, body: { access_token: 'tok', refresh_token: 'ref', expires_in: 'soon' } });
      expect(((await connect(h)).body.info as Info).expiresAt).to.equal(null);
    });
  });

  describe('refusals, in both of UltraCart’s error shapes', () => {
    const shapes = [
      ['OAuth invalid_grant with 400', { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid code' } }],
      ['OAuth invalid_grant with a 200 and no token', { status: 200, body: { error: 'invalid_grant', error_description: 'Invalid code' } }],
      ["UltraCart's ErrorResponse with UC-REST-ERROR", { status: 400 }],
    ] as const;
    for (const [name, fault] of shapes) {
      it(`fails the connection with codeRejected (401) on ${name}`, async () => {
        h = await startOAuthHarness();
        h.emulator.oauth.inject('token', fault);
        const res = await connect(h);
        expect(res.status).to.equal(401);
        expect(res.body.reason).to.equal('codeRejected');
      });
    }

    it('fails the same way when the emulator itself refuses a used code in UltraCart’s shape', async () => {
      h = await startOAuthHarness({ emulator: { oauth: { grantErrorShape: 'ultracart' } } });
      const browser = h.browser();
      const callback = await h.emulator.oauth.approve(await beginConnect(browser));
      const code = new URL(callback).searchParams.get('code')!;
      // The code is spent by someone else first (a leaked callback URL).
      await h.strategy.client.exchangeCode(code, h.callbackURL);
      expect((await browser.get(pathOf(callback)).expect(401)).body.reason).to.equal('codeRejected');
    });

    it('ends in a 502, never a connection, on a 200 with neither a token nor an error (CVE-2021-41580)', async () => {
      h = await startOAuthHarness();
      h.emulator.oauth.inject('token', { status: 200, body: { token_type: 'bearer' } });
      const res = await connect(h);
      expect(res.status).to.equal(502);
      expect(res.body.code).to.equal('ULTRACART_OAUTH_BAD_RESPONSE');
    });

    it('ends in a 500 configuration error when the client is refused (invalid_client)', async () => {
      h = await startOAuthHarness({ strategy: { clientSecret: 'wrong-secret' } });
      const res = await connect(h);
      expect(res.status).to.equal(500);
      expect(res.body.code).to.equal('ULTRACART_OAUTH_CONFIGURATION');
      expect(res.body.message).to.include('invalid_client').and.not.include('wrong-secret');
    });
  });

  describe('faults', () => {
    it('answers 503 with Retry-After when UltraCart rate-limits the exchange, and does not retry', async () => {
      h = await startOAuthHarness();
      h.emulator.oauth.inject('token', { status: 429, headers: { 'retry-after': '30' } });
      const res = await connect(h);
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('30');
      expect(res.body.code).to.equal('ULTRACART_OAUTH_RATE_LIMITED');
      expect(h.emulator.oauth.count('token')).to.equal(1);
    });

    it('answers 504 when the token endpoint hangs past timeoutMs', async () => {
      h = await startOAuthHarness({ strategy: { timeoutMs: 200 } });
      h.emulator.oauth.inject('token', { behaviour: 'hang' });
      const res = await connect(h);
      expect(res.status).to.equal(504);
      expect(res.body.code).to.equal('ULTRACART_OAUTH_TIMEOUT');
    });

    it('revokes the tokens UltraCart grants after the exchange timed out, since nobody will hold them', async () => {
      h = await startOAuthHarness({ strategy: { timeoutMs: 150 } });
      h.emulator.oauth.inject('token', { delayMs: 300 });
      expect((await connect(h)).status).to.equal(504);
      for (let i = 0; i < 100 && h.emulator.oauth.count('revoke') === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(h.emulator.oauth.count('revoke')).to.equal(1);
      expect(h.emulator.oauth.liveGrants()).to.equal(0);
    });

    it('answers 502 on malformed JSON, an HTML page or a redirect, which is not followed', async () => {
      h = await startOAuthHarness();
      for (const behaviour of ['malformed', 'html', 'redirect'] as const) {
        h.emulator.oauth.inject('token', { behaviour });
        const res = await connect(h);
        expect(res.status, behaviour).to.equal(502);
        expect(res.body.code).to.equal('ULTRACART_OAUTH_BAD_RESPONSE');
      }
      expect(h.emulator.oauth.count('token')).to.equal(3);
    });

    it('answers 502 (not a failed connection) on a 500 in UltraCart’s shape', async () => {
      h = await startOAuthHarness();
      h.emulator.oauth.inject('token', { status: 500 });
      const res = await connect(h);
      expect(res.status).to.equal(502);
      expect(res.body.code).to.equal('ULTRACART_OAUTH_UNAVAILABLE');
      expect(res.body.message).to.include('Internal server error');
    });
  });
});
