import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { UltraCartApiError, UltraCartClient, type UltraCartConnectionOptions } from '../../src/index.js';
import { DEFAULT_BASE_URL } from '../../src/ultracart/client.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

const REDIRECT_URI = 'https://shop.example.com/auth/ultracart/callback';
const STATE = 'S'.repeat(43);

/** The rejection of `promise`, or a failure if it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<UltraCartApiError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof UltraCartApiError)) throw new Error(`expected an UltraCartApiError, got ${String(outcome)}`);
  return outcome;
}

/** Everything an error could show a log or a person. */
function everythingShown(err: UltraCartApiError): string {
  return [err.message, String(err.stack), JSON.stringify(err), err.developerMessage, err.userMessage, err.restError].join('\n');
}

describe('UltraCartClient used directly', () => {
  let emulator: UltraCartEmulator;
  let client: UltraCartClient;

  beforeEach(async () => {
    emulator = await startUltraCartEmulator();
    client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url });
  });
  afterEach(() => emulator.close());

  /** authorize, then approve at the login page: the code UltraCart hands the browser. */
  async function approvedCode(ipAddress?: string): Promise<string> {
    const { loginUrl } = await client.authorize(REDIRECT_URI, STATE);
    const callback = new URL(await emulator.approve(loginUrl, 'ada', ipAddress));
    return callback.searchParams.get('code')!;
  }

  describe('the four calls', () => {
    it('authorize returns the login_url and its expiry', async () => {
      const before = Date.now();
      const result = await client.authorize(REDIRECT_URI, STATE);
      expect(result.loginUrl).to.match(new RegExp(`^${emulator.origin}/login\\?request=`));
      expect(result.expiresAt).to.be.instanceOf(Date);
      expect(result.expiresAt!.getTime()).to.be.greaterThan(before);
    });

    it('authorize sends redirect_uri and state with the app key, the API version and JSON headers', async () => {
      await client.authorize(REDIRECT_URI, STATE);
      const call = emulator.calls.find((c) => c.endpoint === 'authorize')!;
      expect(call.method).to.equal('PUT');
      expect(JSON.parse(call.body)).to.deep.equal({ redirect_uri: REDIRECT_URI, state: STATE });
      expect(call.headers['x-ultracart-simple-key']).to.equal(emulator.appKey);
      expect(call.headers['x-ultracart-api-version']).to.equal('2017-03-01');
      expect(call.headers.accept).to.equal('application/json');
      expect(call.headers['content-type']).to.equal('application/json; charset=UTF-8');
      expect(call.headers.authorization).to.equal(undefined);
    });

    it('token trades an approved code for a simple key, its expiry and the IP UltraCart saw', async () => {
      const code = await approvedCode('203.0.113.9');
      const token = await client.token(code);
      expect(token.simpleKey).to.be.a('string').with.length.greaterThan(10);
      expect(token.expiresAt).to.be.instanceOf(Date);
      expect(token.expiresAt!.getTime()).to.be.greaterThan(Date.now());
      expect(token.ipAddress).to.equal('203.0.113.9');
      expect(JSON.parse(emulator.calls.find((c) => c.endpoint === 'token')!.body)).to.deep.equal({ code, grant_type: 'simple_key' });
    });

    it('token rejects a code used a second time, with UltraCart status 400, after one call each', async () => {
      const code = await approvedCode();
      await client.token(code);
      const err = await rejectionOf(client.token(code));
      expect(err.upstreamStatus).to.equal(400);
      expect(err.endpoint).to.equal('token');
      expect(emulator.count('token')).to.equal(2);
    });

    it('sessionUser fetches the user with the user simple key, not the app key', async () => {
      const { simpleKey } = await client.token(await approvedCode());
      const user = await client.sessionUser(simpleKey);
      expect(user).to.include({ user_id: 1001, login: 'ada', email: 'ada@example.com', full_name: 'Ada Lovelace' });
      expect(user.permissions![0]).to.have.property('permission_Name', 'View orders');
      const call = emulator.calls.find((c) => c.endpoint === 'user')!;
      expect(call.method).to.equal('GET');
      expect(call.headers['x-ultracart-simple-key']).to.equal(simpleKey);
      expect(call.headers['x-ultracart-api-version']).to.equal('2017-03-01');
    });

    it('revokeSession ends the key at UltraCart, so the user can no longer be fetched with it', async () => {
      const { simpleKey } = await client.token(await approvedCode());
      await client.revokeSession(simpleKey);
      expect(emulator.calls.find((c) => c.endpoint === 'revoke')!.method).to.equal('DELETE');
      const err = await rejectionOf(client.sessionUser(simpleKey));
      expect(err.status).to.equal(401);
      expect(err.upstreamStatus).to.equal(401);
    });

    it('refuses an empty user simple key without calling UltraCart', async () => {
      const outcome = await client.sessionUser('').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(outcome).to.be.instanceOf(TypeError);
      expect(emulator.count('user')).to.equal(0);
    });
  });

  describe('with an accessToken instead of a simpleKey', () => {
    it('sends the token as Authorization: Bearer and no simple key header', async () => {
      const bearer = new UltraCartClient({ accessToken: emulator.appKey, baseURL: emulator.url });
      await bearer.authorize(REDIRECT_URI, STATE);
      const call = emulator.calls.find((c) => c.endpoint === 'authorize')!;
      expect(call.headers.authorization).to.equal(`Bearer ${emulator.appKey}`);
      expect(call.headers['x-ultracart-simple-key']).to.equal(undefined);
    });

    it('exchanges a code with the Bearer token', async () => {
      const bearer = new UltraCartClient({ accessToken: emulator.appKey, baseURL: emulator.url });
      const { loginUrl } = await bearer.authorize(REDIRECT_URI, STATE);
      const code = new URL(await emulator.approve(loginUrl)).searchParams.get('code')!;
      expect((await bearer.token(code)).simpleKey).to.be.a('string');
      expect(emulator.calls.find((c) => c.endpoint === 'token')!.headers.authorization).to.equal(`Bearer ${emulator.appKey}`);
    });
  });

  describe('UltraCartApiError', () => {
    async function rateLimited(retryAfter: string): Promise<UltraCartApiError> {
      emulator.inject('authorize', {
        status: 429,
        body: { error: { developer_message: 'Rate limit exceeded for application', user_message: 'Too many requests, slow down' } },
        headers: { 'Retry-After': retryAfter, 'UC-REST-ERROR': 'Rate limit exceeded' },
      });
      return rejectionOf(client.authorize(REDIRECT_URI, STATE));
    }

    it('carries status, upstreamStatus, code, endpoint and the vendor text of a 429', async () => {
      const err = await rateLimited('30');
      expect(err).to.be.instanceOf(Error);
      expect(err.name).to.equal('UltraCartApiError');
      expect(err).to.include({
        status: 503,
        statusCode: 503,
        upstreamStatus: 429,
        code: 'ULTRACART_RATE_LIMITED',
        endpoint: 'authorize',
        developerMessage: 'Rate limit exceeded for application',
        userMessage: 'Too many requests, slow down',
        restError: 'Rate limit exceeded',
        retryAfter: 30,
      });
    });

    it('caps retryAfter at 300 seconds', async () => {
      expect((await rateLimited('99999')).retryAfter).to.equal(300);
    });

    it('turns a Retry-After date into seconds from now', async () => {
      const err = await rateLimited(new Date(Date.now() + 120_000).toUTCString());
      expect(err.retryAfter).to.be.within(115, 121);
    });

    it('leaves retryAfter undefined when Retry-After is unreadable', async () => {
      expect((await rateLimited('soon')).retryAfter).to.equal(undefined);
    });

    it('keeps the raw response, but as a non-enumerable property', async () => {
      const err = await rateLimited('30');
      expect(err.response!.status).to.equal(429);
      expect(Object.keys(err)).to.not.include('response');
    });

    it('leaves the response body out of JSON.stringify', async () => {
      emulator.inject('token', { status: 500, body: { error: { developer_message: 'boom' }, internal_trace: 'BODY-MARKER-7f3a' } });
      const err = await rejectionOf(client.token('code-0123456789'));
      expect(err.response!.text).to.include('BODY-MARKER-7f3a');
      expect(JSON.stringify(err)).to.not.include('BODY-MARKER-7f3a');
      expect(JSON.parse(JSON.stringify(err))).to.include({ status: 502, upstreamStatus: 500, developerMessage: 'boom' });
    });

    it('maps a 500 to status 502 and a 503 to 503', async () => {
      emulator.inject('user', { status: 500 });
      emulator.inject('revoke', { status: 503 });
      expect((await rejectionOf(client.sessionUser('user-key-0001'))).status).to.equal(502);
      expect((await rejectionOf(client.revokeSession('user-key-0001'))).status).to.equal(503);
    });

    it('reports a call slower than timeoutMs as ULTRACART_TIMEOUT with status 504', async () => {
      const quick = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url, timeoutMs: 200 });
      emulator.inject('token', { behaviour: 'hang' });
      const err = await rejectionOf(quick.token('code-0123456789'));
      expect(err).to.include({ code: 'ULTRACART_TIMEOUT', status: 504, endpoint: 'token' });
    });

    for (const declared of [false, true]) {
      const how = declared ? 'with a declared Content-Length' : 'without a Content-Length';
      it(`reports a body that keeps trickling past timeoutMs ${how} as ULTRACART_TIMEOUT, though each byte arrives in time`, async () => {
        const server = createServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', ...(declared && { 'content-length': '4000' }) });
          res.write('{"simple_key":"');
          const timer = setInterval(() => res.write('k'), 50);
          res.on('close', () => clearInterval(timer));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const { port } = server.address() as AddressInfo;
          const slow = new UltraCartClient({ simpleKey: 'app-key-0001', baseURL: `http://127.0.0.1:${port}/rest/v2`, timeoutMs: 300 });
          const err = await rejectionOf(slow.token('code-0123456789'));
          expect(err).to.include({ code: 'ULTRACART_TIMEOUT', status: 504 });
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      });
    }

    for (const declared of [false, true]) {
      const how = declared ? 'with a declared Content-Length' : 'without a Content-Length';
      it(`reports a connection dropped halfway through a body ${how} as ULTRACART_UNAVAILABLE with status 502`, async () => {
        const server = createServer((_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json', ...(declared && { 'content-length': '400' }) });
          res.write('{"simple_key":"k-0123456789');
          setTimeout(() => res.socket?.destroy(), 20);
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const { port } = server.address() as AddressInfo;
          const dropping = new UltraCartClient({ simpleKey: 'app-key-0001', baseURL: `http://127.0.0.1:${port}/rest/v2` });
          const err = await rejectionOf(dropping.token('code-0123456789'));
          expect(err).to.include({ code: 'ULTRACART_UNAVAILABLE', status: 502, endpoint: 'token' });
          expect(err.message).to.not.include('k-0123456789');
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      });
    }

    it('reports a refused connection as ULTRACART_UNAVAILABLE with status 502', async () => {
      const closed = await startUltraCartEmulator();
      await closed.close();
      const unreachable = new UltraCartClient({ simpleKey: 'app-key-0001', baseURL: closed.url });
      const err = await rejectionOf(unreachable.token('code-0123456789'));
      expect(err).to.include({ code: 'ULTRACART_UNAVAILABLE', status: 502, endpoint: 'token' });
      expect(err.message).to.not.include('code-0123456789');
    });

    it('never shows the app key or the code, even when UltraCart echoes them in an error', async () => {
      const code = 'code-9d8c7b6a5f4e3d2c';
      const key = emulator.appKey;
      emulator.inject('token', {
        status: 400,
        body: { error: { developer_message: `code ${code} is not valid for key ${key}`, user_message: `The code ${code} expired` } },
        headers: { 'UC-REST-ERROR': `Invalid code ${code} for ${key}` },
      });
      const err = await rejectionOf(client.token(code));
      expect(err.developerMessage).to.include('[redacted]');
      expect(everythingShown(err)).to.not.include(code);
      expect(everythingShown(err)).to.not.include(key);
    });

    it('never shows the code when UltraCart echoes it in a 200 that reports an error', async () => {
      const code = 'code-1a2b3c4d5e6f7a8b';
      emulator.inject('token', { status: 200, body: { success: false, error: { developer_message: `code ${code} was already used` } } });
      const err = await rejectionOf(client.token(code));
      expect(err.status).to.equal(502);
      expect(everythingShown(err)).to.not.include(code);
    });

    it('never shows the state when UltraCart echoes it from /sso/authorize', async () => {
      emulator.inject('authorize', { status: 400, body: { error: { developer_message: `state ${STATE} is not allowed` } } });
      const err = await rejectionOf(client.authorize(REDIRECT_URI, STATE));
      expect(everythingShown(err)).to.not.include(STATE);
    });

    it('never shows the user simple key when UltraCart echoes it from /sso/session/user', async () => {
      const userKey = 'user-key-4f5e6d7c8b9a';
      emulator.inject('user', { status: 401, body: { error: { developer_message: `key ${userKey} revoked` } } });
      const err = await rejectionOf(client.sessionUser(userKey));
      expect(err.status).to.equal(401);
      expect(everythingShown(err)).to.not.include(userKey);
    });
  });

  describe('when UltraCart asks to come back later', () => {
    it('carries a 503 Retry-After as retryAfter, as for a 429', async () => {
      emulator.inject('authorize', { status: 503, headers: { 'retry-after': '45' } });
      const err = await rejectionOf(client.authorize(REDIRECT_URI, STATE));
      expect(err.status).to.equal(503);
      expect(err.retryAfter).to.equal(45);
    });

    it('ignores Retry-After on a 500, which is not a request to wait', async () => {
      emulator.inject('authorize', { status: 500, headers: { 'retry-after': '45' } });
      const err = await rejectionOf(client.authorize(REDIRECT_URI, STATE));
      expect(err.status).to.equal(502);
      expect(err.retryAfter).to.equal(undefined);
    });
  });

  describe('when a user body hides prototype keys behind JSON escapes', () => {
    it('drops them, leaving Object.prototype and the user untouched', async () => {
      const code = await approvedCode();
      const { simpleKey } = await client.token(code);
      emulator.inject('user', {
        body: '{"user_id":7,"login":"eve","\\u005f_proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
      });
      const user = await client.sessionUser(simpleKey);
      expect(user).to.deep.equal({ user_id: 7, login: 'eve' });
      expect(Object.getPrototypeOf(user)).to.equal(Object.prototype);
      expect(({} as { polluted?: unknown }).polluted).to.equal(undefined);
    });
  });

  describe('when a code is replayed', () => {
    it('refuses the second exchange with 400, as UltraCart does for a used code', async () => {
      const code = await approvedCode();
      await client.token(code);
      const err = await rejectionOf(client.token(code));
      expect(err.upstreamStatus).to.equal(400);
      expect(emulator.count('token')).to.equal(2);
    });
  });

  describe('when the baseURL is wrong', () => {
    it('hints at /rest/v2 when UltraCart answers 404 to a baseURL without it', async () => {
      const wrong = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.origin });
      const err = await rejectionOf(wrong.authorize(REDIRECT_URI, STATE));
      expect(err.upstreamStatus).to.equal(404);
      expect(err.message).to.include('does not end in /rest/v2');
      expect(err.message).to.include(JSON.stringify(emulator.origin));
      expect(everythingShown(err)).not.to.include(emulator.appKey);
    });

    it('gives no such hint for a 404 from a baseURL that ends in /rest/v2', async () => {
      emulator.inject('authorize', { status: 404 });
      const err = await rejectionOf(client.authorize(REDIRECT_URI, STATE));
      expect(err.upstreamStatus).to.equal(404);
      expect(err.message).not.to.include('/rest/v2');
    });

    it('names the host and port it tried when nothing listens there, and neither the path nor the key', async () => {
      const closed = await startUltraCartEmulator();
      const { url, origin } = closed;
      await closed.close();
      const port = new URL(origin).port;
      const unreachable = new UltraCartClient({ simpleKey: 'app-key-never-shown', baseURL: `${url}/tenant-secret-path` });
      const err = await rejectionOf(unreachable.authorize(REDIRECT_URI, STATE));
      expect(err.code).to.equal('ULTRACART_UNAVAILABLE');
      expect(err.message).to.include(`127.0.0.1:${port}`);
      expect(err.message).to.include('ECONNREFUSED');
      expect(everythingShown(err)).not.to.include('tenant-secret-path');
      expect(everythingShown(err)).not.to.include('app-key-never-shown');
      expect(everythingShown(err)).not.to.include(STATE);
    });
  });

  describe('constructor checks', () => {
    const constructing = (options: unknown) => () => new UltraCartClient(options as UltraCartConnectionOptions);

    it('names simpleKey when no credential is given', () => {
      expect(constructing({})).to.throw(TypeError, /simpleKey/);
    });

    it('names simpleKey when the credential is empty', () => {
      expect(constructing({ simpleKey: '  ' })).to.throw(TypeError, /simpleKey/);
    });

    it('names both options when simpleKey and accessToken are both given', () => {
      expect(constructing({ simpleKey: 'a-key', accessToken: 'a-token' })).to.throw(TypeError, /simpleKey.*accessToken/);
    });

    it('refuses a credential with a line break without repeating it', () => {
      expect(constructing({ simpleKey: 'secret-key\r\nX-Evil: 1' }))
        .to.throw(TypeError)
        .that.satisfies((err: Error) => !err.message.includes('secret-key'));
    });

    for (const baseURL of [
      'not a url',
      'ftp://secure.ultracart.com/rest/v2',
      'https://user:pass@secure.ultracart.com/rest/v2',
      'https://secure.ultracart.com/rest/v2?x=1',
      42,
    ]) {
      it(`names baseURL for ${JSON.stringify(baseURL)}`, () => {
        expect(constructing({ simpleKey: 'a-key', baseURL })).to.throw(TypeError, /baseURL/);
      });
    }

    for (const timeoutMs of [0, -5, 1.5, '1000', Number.NaN]) {
      it(`names timeoutMs for ${String(timeoutMs)}`, () => {
        expect(constructing({ simpleKey: 'a-key', timeoutMs })).to.throw(TypeError, /timeoutMs/);
      });
    }

    it('defaults baseURL to UltraCart and drops a trailing slash from the one given', () => {
      expect(new UltraCartClient({ simpleKey: 'a-key' }).baseURL).to.equal(DEFAULT_BASE_URL);
      expect(new UltraCartClient({ simpleKey: 'a-key', baseURL: `${DEFAULT_BASE_URL}/` }).baseURL).to.equal(DEFAULT_BASE_URL);
    });
  });
});
