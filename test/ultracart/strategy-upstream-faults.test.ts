import { expect } from 'chai';
import type TestAgent from 'supertest/lib/agent.js';
import { FailureMessages, UltraCartApiError, type UltraCartProfile, type UltraCartToken, type VerifyFunction } from '../../src/index.js';
import type { Fault, UltraCartEmulatorEndpoint } from '../../src/testing/index.js';
import {
  beginSignIn,
  CALLBACK_PATH,
  callbackPath,
  lastState,
  me,
  startHarness,
  type Harness,
  type HarnessOptions,
} from '../support/harness.js';
import { pause } from '../support/time.js';

describe('UltraCartStrategy: when UltraCart misbehaves', () => {
  let h: Harness;
  afterEach(() => h.close());

  async function start(options: HarnessOptions = {}): Promise<void> {
    h = await startHarness(options);
  }

  /** A browser whose sign-in UltraCart approved; the callback is not yet requested. */
  async function approvedSignIn(): Promise<{ browser: TestAgent; callback: string }> {
    const browser = h.browser();
    return { browser, callback: callbackPath(await h.emulator.approve(await beginSignIn(browser))) };
  }

  /** Runs a sign-in whose `endpoint` call meets `fault`; resolves to the callback's (or /login's) response. */
  async function signInMeeting(endpoint: UltraCartEmulatorEndpoint, fault: Fault) {
    if (endpoint === 'authorize') {
      const browser = h.browser();
      h.emulator.inject('authorize', fault);
      return { browser, res: await browser.get('/login') };
    }
    const { browser, callback } = await approvedSignIn();
    h.emulator.inject(endpoint, fault);
    return { browser, res: await browser.get(callback) };
  }

  /** The fault was one-shot: the next browser signs in as usual. */
  async function expectFreshSignInWorks(): Promise<void> {
    const { browser, callback } = await approvedSignIn();
    await browser.get(callback).expect(302);
    expect((await me(browser)).user?.login).to.equal('ada');
  }

  describe('/sso/authorize is rate limited', () => {
    beforeEach(() => start());

    it('answers /login with 503 and Retry-After, no redirect, after a single authorize call', async () => {
      const { res } = await signInMeeting('authorize', { status: 429, headers: { 'Retry-After': '30' } });
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('30');
      expect(res.headers.location).to.equal(undefined);
      expect(res.body.code).to.equal('ULTRACART_RATE_LIMITED');
      expect(h.emulator.count('authorize')).to.equal(1);
      await expectFreshSignInWorks();
    });

    it('caps a huge Retry-After at 300 seconds', async () => {
      const { res } = await signInMeeting('authorize', { status: 429, headers: { 'Retry-After': '99999' } });
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('300');
    });

    it('answers 503 without Retry-After when UltraCart sent none', async () => {
      const { res } = await signInMeeting('authorize', { status: 429 });
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal(undefined);
    });

    it('stores no usable state, so a callback carrying the sent state fails with 403', async () => {
      const { browser, res } = await signInMeeting('authorize', { status: 429, headers: { 'Retry-After': '30' } });
      expect(res.headers['set-cookie']).to.equal(undefined);
      await browser.get(`${CALLBACK_PATH}?code=c&state=${lastState(h.emulator)}`).expect(403);
      expect(h.emulator.count('token')).to.equal(0);
    });
  });

  describe('/sso/token is rate limited or failing', () => {
    beforeEach(() => start());

    for (const [status, answer] of [
      [429, 503],
      [500, 502],
      [502, 502],
      [503, 503],
    ] as const) {
      it(`answers ${answer} to a token ${status}, with exactly one token call and nobody signed in`, async () => {
        const { browser, res } = await signInMeeting('token', { status });
        expect(res.status).to.equal(answer);
        expect(res.headers.location).to.equal(undefined);
        expect(h.emulator.count('token')).to.equal(1);
        expect(h.emulator.count('user')).to.equal(0);
        expect((await me(browser)).user).to.equal(null);
        await expectFreshSignInWorks();
      });
    }

    it('passes a token 429 Retry-After on to the browser', async () => {
      const { res } = await signInMeeting('token', { status: 429, headers: { 'Retry-After': '12' } });
      expect(res.status).to.equal(503);
      expect(res.headers['retry-after']).to.equal('12');
    });

    it('does not exchange the code again when the browser retries the same callback', async () => {
      const { browser, callback } = await approvedSignIn();
      h.emulator.inject('token', { status: 503 });
      await browser.get(callback).expect(503);
      await browser.get(callback).expect(403);
      expect(h.emulator.count('token')).to.equal(1);
    });
  });

  describe('a 5xx from any call', () => {
    beforeEach(() => start());

    for (const endpoint of ['authorize', 'token', 'user'] as const) {
      for (const status of [500, 502, 503]) {
        const answer = status === 503 ? 503 : 502;
        it(`answers ${answer} (an error, never a failed login) to a ${status} from ${endpoint}`, async () => {
          const { browser, res } = await signInMeeting(endpoint, { status });
          expect(res.status).to.equal(answer);
          expect(res.body.error).to.equal('UltraCartApiError');
          expect(res.headers.location).to.equal(undefined);
          expect(h.emulator.count(endpoint)).to.equal(1);
          expect((await me(browser)).user).to.equal(null);
          await expectFreshSignInWorks();
        });
      }
    }

    it('revokes the fresh key when fetching the user fails with a 5xx', async () => {
      await signInMeeting('user', { status: 500 });
      expect(h.emulator.count('revoke')).to.equal(1);
    });
  });

  describe('UltraCart refuses the code or the app', () => {
    beforeEach(() => start());

    for (const status of [400, 401, 404, 410]) {
      it(`fails with 401 "try again" when /sso/token answers ${status}`, async () => {
        const { browser, res } = await signInMeeting('token', { status });
        expect(res.status).to.equal(401);
        expect(res.headers.location).to.equal(undefined);
        expect((await me(browser)).messages).to.deep.equal([FailureMessages.codeRejected]);
        expect(h.emulator.count('token')).to.equal(1);
        expect(h.emulator.count('user')).to.equal(0);
        await expectFreshSignInWorks();
      });
    }

    it('answers 500 (a configuration fault) when /sso/authorize rejects the app key', async () => {
      const { res } = await signInMeeting('authorize', { status: 401 });
      expect(res.status).to.equal(500);
      expect(res.body.code).to.equal('ULTRACART_CONFIGURATION');
      expect(res.body.message).to.match(/credential was rejected/);
      expect(res.headers.location).to.equal(undefined);
    });

    it('keeps the app key out of the error even when UltraCart echoes it', async () => {
      const key = h.emulator.appKey;
      const { res } = await signInMeeting('authorize', {
        status: 401,
        body: { error: { developer_message: `Invalid key ${key}`, user_message: `key ${key} rejected` } },
        headers: { 'UC-REST-ERROR': `bad key ${key}` },
      });
      expect(res.status).to.equal(500);
      expect(res.text).to.not.include(key);
    });

    for (const status of [400, 403, 410]) {
      it(`answers 500 when /sso/authorize answers ${status}`, async () => {
        const { res } = await signInMeeting('authorize', { status });
        expect(res.status).to.equal(500);
        expect(res.body.code).to.equal('ULTRACART_CONFIGURATION');
      });
    }
  });

  describe('a 200 from /sso/token that is not a success', () => {
    beforeEach(() => start());

    for (const [what, body] of [
      ['without simple_key', { expiration_dts: new Date(Date.now() + 3_600_000).toISOString(), ip_address: '127.0.0.1' }],
      ['with an empty simple_key', { simple_key: '' }],
      ['with a numeric simple_key', { simple_key: 12345 }],
      ['holding {success:false, error}', { success: false, error: { developer_message: 'Invalid code', user_message: 'Try again' } }],
      ['holding an error object alongside a simple_key', { simple_key: 'k-123456', error: { developer_message: 'Invalid code' } }],
    ] as const) {
      it(`answers 502 to a 200 ${what}, signing nobody in`, async () => {
        const { browser, res } = await signInMeeting('token', { status: 200, body });
        expect(res.status).to.equal(502);
        expect(res.body.code).to.equal('ULTRACART_BAD_RESPONSE');
        expect(h.emulator.count('user')).to.equal(0);
        expect((await me(browser)).user).to.equal(null);
        await expectFreshSignInWorks();
      });
    }
  });

  describe('malformed JSON', () => {
    beforeEach(() => start());

    for (const endpoint of ['authorize', 'token', 'user'] as const) {
      it(`answers 502 to truncated JSON from ${endpoint}`, async () => {
        const { browser, res } = await signInMeeting(endpoint, { behaviour: 'malformed' });
        expect(res.status).to.equal(502);
        expect(res.body.code).to.equal('ULTRACART_BAD_RESPONSE');
        expect((await me(browser)).user).to.equal(null);
        await expectFreshSignInWorks();
      });
    }

    it('keeps the body out of the error message', async () => {
      const { res } = await signInMeeting('token', { status: 200, body: '{"simple_key":"leaked-key-0123456789",' });
      expect(res.status).to.equal(502);
      expect(res.text).to.not.include('leaked-key-0123456789');
      expect(res.text).to.not.include('simple_key');
    });
  });

  describe('the wrong content type', () => {
    beforeEach(() => start());

    for (const endpoint of ['authorize', 'token', 'user'] as const) {
      it(`answers 502 to a text/html 200 from ${endpoint}, without quoting it`, async () => {
        const { browser, res } = await signInMeeting(endpoint, { behaviour: 'html' });
        expect(res.status).to.equal(502);
        expect(res.text).to.not.include('Wi-Fi');
        expect((await me(browser)).user).to.equal(null);
        await expectFreshSignInWorks();
      });
    }

    for (const [what, contentType] of [
      ['as text/plain', 'text/plain'],
      ['with no content type', null],
    ] as const) {
      it(`reads a JSON token body sent ${what}, as UltraCart's TypeScript SDK does`, async () => {
        const body = { simple_key: 'plain-text-key-0001', expiration_dts: new Date(Date.now() + 3_600_000).toISOString() };
        await signInMeeting('token', { status: 200, body, contentType });
        const userCalls = h.emulator.calls.filter((c) => c.endpoint === 'user');
        expect(userCalls).to.have.length(1);
        expect(userCalls[0]!.headers['x-ultracart-simple-key']).to.equal('plain-text-key-0001');
      });
    }

    it('answers 502 to a text/plain token body that is not JSON, without calling /sso/session/user', async () => {
      const { res } = await signInMeeting('token', { status: 200, body: 'simple_key=abc', contentType: 'text/plain' });
      expect(res.status).to.equal(502);
      expect(h.emulator.count('user')).to.equal(0);
    });

    it('signs in when /sso/session/user answers JSON with no content type', async () => {
      const { browser, res } = await signInMeeting('user', { status: 200, body: { user_id: 1001, login: 'ada' }, contentType: null });
      expect(res.status).to.equal(302);
      expect((await me(browser)).user?.login).to.equal('ada');
    });

    it('answers 502 to a JSON body labelled application/xml, unread', async () => {
      const { res } = await signInMeeting('user', { status: 200, body: { user_id: 1001, login: 'ada' }, contentType: 'application/xml' });
      expect(res.status).to.equal(502);
    });
  });

  describe('a huge or endless body', () => {
    beforeEach(() => start());

    for (const endpoint of ['authorize', 'token', 'user'] as const) {
      it(`answers 502 to an endless body from ${endpoint}`, async () => {
        const { browser, res } = await signInMeeting(endpoint, { behaviour: 'endless' });
        expect(res.status).to.equal(502);
        expect(res.body.message).to.match(/cap/);
        expect((await me(browser)).user).to.equal(null);
        await expectFreshSignInWorks();
      });
    }

    it('answers 502 to a declared Content-Length over the cap', async () => {
      const body = `"${'x'.repeat(70 * 1024)}"`;
      const { res } = await signInMeeting('token', { status: 200, body, headers: { 'Content-Length': String(body.length) } });
      expect(res.status).to.equal(502);
      expect(res.body.message).to.match(/cap/);
    });
  });

  describe('a slow UltraCart', () => {
    beforeEach(() => start({ strategy: { timeoutMs: 300 } }));

    it('answers /login with 504 and no redirect when /sso/authorize never answers', async () => {
      const { res } = await signInMeeting('authorize', { behaviour: 'hang' });
      expect(res.status).to.equal(504);
      expect(res.body.code).to.equal('ULTRACART_TIMEOUT');
      expect(res.headers.location).to.equal(undefined);
      await expectFreshSignInWorks();
    });

    it('answers the callback with 504 when /sso/token answers after timeoutMs', async () => {
      const { browser, res } = await signInMeeting('token', { delayMs: 900 });
      expect(res.status).to.equal(504);
      expect((await me(browser)).user).to.equal(null);
    });

    it('creates no session when the late token reply arrives after the request failed', async () => {
      const { browser, res } = await signInMeeting('token', { delayMs: 600 });
      expect(res.status).to.equal(504);
      await pause(500); // past the moment the emulator answered, with a simple key, to nobody
      expect((await me(browser)).user).to.equal(null);
      expect(h.emulator.count('user')).to.equal(0);
      // The key UltraCart issued to nobody is revoked once it arrives.
      await h.strategy.client.revocations.idle();
      expect(h.emulator.count('revoke')).to.equal(1);
      expect(h.emulator.liveKeys()).to.equal(0);
      await expectFreshSignInWorks();
    });

    it('answers 504 when /sso/session/user never answers', async () => {
      const { browser, res } = await signInMeeting('user', { behaviour: 'hang' });
      expect(res.status).to.equal(504);
      expect((await me(browser)).user).to.equal(null);
    });
  });

  describe('the connection is reset', () => {
    beforeEach(() => start());

    for (const endpoint of ['authorize', 'token', 'user'] as const) {
      it(`answers 502 "unavailable" when ${endpoint} resets the connection, without retrying`, async () => {
        const { browser, res } = await signInMeeting(endpoint, { behaviour: 'reset' });
        expect(res.status).to.equal(502);
        expect(res.body.code).to.equal('ULTRACART_UNAVAILABLE');
        expect(h.emulator.count(endpoint)).to.equal(1);
        expect((await me(browser)).user).to.equal(null);
        await expectFreshSignInWorks();
      });
    }
  });

  describe('a redirect from an API call', () => {
    beforeEach(() => start());

    it('answers 502 to a 307 from /sso/token and does not follow it, even to the same endpoint', async () => {
      const { browser, res } = await signInMeeting('token', { status: 307, headers: { location: `${h.emulator.url}/sso/token` } });
      expect(res.status).to.equal(502);
      expect(h.emulator.count('token')).to.equal(1);
      expect((await me(browser)).user).to.equal(null);
      await expectFreshSignInWorks();
    });

    it('answers 502 to a 302 from /sso/authorize and does not follow it', async () => {
      const { res } = await signInMeeting('authorize', { status: 302, headers: { location: `${h.emulator.url}/sso/authorize` } });
      expect(res.status).to.equal(502);
      expect(res.headers.location).to.equal(undefined);
      expect(h.emulator.count('authorize')).to.equal(1);
    });

    it('answers 502 to a cross-origin 307 from /sso/session/user', async () => {
      const { res } = await signInMeeting('user', { behaviour: 'redirect' });
      expect(res.status).to.equal(502);
      expect(h.emulator.count('user')).to.equal(1);
    });
  });

  describe('a login_url that must not be followed', () => {
    beforeEach(() => start());

    const expiry = (): string => new Date(Date.now() + 600_000).toISOString();
    const variants: Array<[string, (emulatorOrigin: string) => unknown]> = [
      ['plain http on another host', () => 'http://evil.example/login'],
      ['plain http on the UltraCart host', () => 'http://secure.ultracart.com/login'],
      ['https on a host outside the allow-list', () => 'https://evil.example/login'],
      ['https on a look-alike host', () => 'https://secure.ultracart.com.evil.example/login'],
      ['javascript:', () => 'javascript:alert(document.cookie)'],
      ['data:', () => 'data:text/html,<script>alert(1)</script>'],
      ['userinfo on the UltraCart host', () => 'https://user:pass@secure.ultracart.com/login'],
      ['userinfo on the emulator origin', (origin) => origin.replace('http://', 'http://evil.example@') + '/login'],
      ['CR/LF', () => 'https://secure.ultracart.com/login\r\nSet-Cookie: sid=planted'],
      ['a NUL', () => 'https://secure.ultracart.com/lo\u0000gin'],
      ['a leading tab', () => '\thttps://secure.ultracart.com/login'],
      ['protocol-relative', () => '//evil.example/login'],
      ['over 2 KB', () => `https://secure.ultracart.com/${'a'.repeat(3000)}`],
      ['a number', () => 42],
      ['null', () => null],
      ['an object', () => ({ href: 'https://secure.ultracart.com/login' })],
      ['an array', () => ['https://secure.ultracart.com/login']],
      ['missing', () => undefined],
    ];
    for (const [what, make] of variants) {
      it(`answers 502 without a redirect to a login_url that is ${what}`, async () => {
        const { res } = await signInMeeting('authorize', {
          status: 200,
          body: { login_url: make(h.emulator.origin), expiration_dts: expiry() },
        });
        expect(res.status).to.equal(502);
        expect(res.body.code).to.equal('ULTRACART_BAD_RESPONSE');
        expect(res.headers.location).to.equal(undefined);
        expect(res.headers['set-cookie']).to.equal(undefined);
        await expectFreshSignInWorks();
      });
    }

    it('discards the state sent with a refused login_url, so a callback with it fails with 403', async () => {
      const { browser } = await signInMeeting('authorize', {
        status: 200,
        body: { login_url: 'https://evil.example/login', expiration_dts: expiry() },
      });
      await browser.get(`${CALLBACK_PATH}?code=c&state=${lastState(h.emulator)}`).expect(403);
      expect(h.emulator.count('token')).to.equal(0);
    });

    it('follows an https login_url on secure.ultracart.com, allowed by default', async () => {
      const { res } = await signInMeeting('authorize', {
        status: 200,
        body: { login_url: 'https://secure.ultracart.com/login?request=r1', expiration_dts: expiry() },
      });
      expect(res.status).to.equal(302);
      expect(res.headers.location).to.equal('https://secure.ultracart.com/login?request=r1');
    });
  });

  describe('a bad user from /sso/session/user', () => {
    it('fails with 401 when the key was revoked between token and user', async () => {
      await start();
      const { browser, res } = await signInMeeting('user', { status: 401 });
      expect(res.status).to.equal(401);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.sessionEnded]);
      await expectFreshSignInWorks();
    });

    for (const [what, body] of [
      ['without user_id', { login: 'ada', email: 'ada@example.com' }],
      ['with a non-numeric string user_id', { user_id: 'ada', login: 'ada' }],
      ['with a negative user_id', { user_id: -1, login: 'ada' }],
      ['with a fractional user_id', { user_id: 1.5, login: 'ada' }],
      ['with an object user_id', { user_id: { id: 1001 }, login: 'ada' }],
      ['that is an array', [{ user_id: 1001 }]],
    ] as const) {
      it(`answers 502 to a user ${what}, and revokes the key`, async () => {
        await start();
        const { browser, res } = await signInMeeting('user', { status: 200, body });
        expect(res.status).to.equal(502);
        expect(res.body.code).to.equal('ULTRACART_BAD_RESPONSE');
        expect((await me(browser)).user).to.equal(null);
        expect(h.emulator.count('revoke')).to.equal(1);
        await expectFreshSignInWorks();
      });
    }

    it('accepts a user_id sent as a numeric string, as the id of the profile', async () => {
      await start();
      const { browser, res } = await signInMeeting('user', { status: 200, body: { user_id: '1001', login: 'ada' } });
      expect(res.status).to.equal(302);
      expect((await me(browser)).user).to.include({ id: '1001', login: 'ada' });
    });

    it('leaves Object.prototype untouched and the profile free of __proto__ and constructor keys', async () => {
      let seen: UltraCartProfile | undefined;
      await start({ verify: (_key, _token, profile, done) => ((seen = profile), done(null, { id: profile.id, login: profile.username })) });
      const hostile =
        '{"user_id":1001,"login":"ada","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"email":"ada@example.com"}';
      const { browser, res } = await signInMeeting('user', { status: 200, body: hostile });
      expect(res.status).to.equal(302);
      expect((await me(browser)).user).to.include({ id: '1001', login: 'ada' });
      expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).to.equal(false);
      expect(Object.getPrototypeOf(seen!._json)).to.equal(Object.prototype);
      expect(Object.keys(seen!._json)).to.have.members(['user_id', 'login', 'email']);
    });
  });

  describe('an expiration_dts that is already past', () => {
    beforeEach(() => start());

    it('fails with 403 and revokes the key once when expiration_dts is in the past', async () => {
      const { browser, res } = await signInMeeting('token', {
        status: 200,
        body: { simple_key: 'injected-key-0001', expiration_dts: new Date(Date.now() - 60_000).toISOString(), ip_address: '127.0.0.1' },
      });
      expect(res.status).to.equal(403);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.keyExpired]);
      expect(h.emulator.count('revoke')).to.equal(1);
      expect(h.emulator.calls.find((c) => c.endpoint === 'revoke')!.headers['x-ultracart-simple-key']).to.equal('injected-key-0001');
      expect(h.emulator.count('user')).to.equal(0);
      await expectFreshSignInWorks();
    });

    it('fails with 403 when a past expiration_dts is written with a local offset, as UltraCart writes it', async () => {
      const past = `${new Date(Date.now() - 60_000 - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`;
      const { res } = await signInMeeting('token', {
        status: 200,
        body: { simple_key: 'injected-key-0002', expiration_dts: past, ip_address: '127.0.0.1' },
      });
      expect(res.status).to.equal(403);
      expect(h.emulator.count('revoke')).to.equal(1);
    });
  });

  describe("the simple key's expiry", () => {
    it('hands the verify function the expiry as a Date in the future, no later than UltraCart said', async () => {
      const tokens: UltraCartToken[] = [];
      const verify: VerifyFunction = (simpleKey, token, profile, done) => {
        tokens.push(token);
        done(null, { id: profile.id, login: profile.username, simpleKey });
      };
      await start({ verify, emulator: { keyLifetimeMs: 60_000 } });
      const before = Date.now();
      const { browser, callback } = await approvedSignIn();
      await browser.get(callback).expect(302);
      const after = Date.now();
      expect(tokens).to.have.length(1);
      expect(tokens[0]!.expiresAt).to.be.instanceOf(Date);
      expect(tokens[0]!.expiresAt!.getTime()).to.be.greaterThan(after);
      expect(tokens[0]!.expiresAt!.getTime()).to.be.at.most(after + 60_000);
      expect(tokens[0]!.expiresAt!.getTime()).to.be.at.least(before + 60_000 - 1000);
    });

    it('reports an expired key as a 401 from UltraCart, for the app to sign the user out, not a 500', async () => {
      await start({ emulator: { keyLifetimeMs: 1000 } });
      const { browser, callback } = await approvedSignIn();
      await browser.get(callback).expect(302);
      const { simpleKey } = (await me(browser)).user!;
      await pause(1100);
      const err = await h.strategy.client.sessionUser(simpleKey).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(UltraCartApiError);
      expect((err as UltraCartApiError).status).to.equal(401);
      expect((err as UltraCartApiError).upstreamStatus).to.equal(401);
    });
  });
});
