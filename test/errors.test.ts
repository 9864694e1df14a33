import { expect } from 'chai';
import { inspect } from 'node:util';
import { judgeUpstreamStatus, MAX_RETRY_AFTER_SECONDS } from '../src/http/upstream-status.js';
import {
  PassportUltraCartError,
  SessionRequiredError,
  UAuthApiError,
  UAuthClient,
  UltraCartApiError,
  UltraCartClient,
} from '../src/index.js';
import { startUAuthEmulator, startUltraCartEmulator, type UAuthEmulator, type UltraCartEmulator } from '../src/testing/index.js';

const BODY_MARKER = 'BODY-MARKER-2c9e';

async function rejectionOf(promise: Promise<unknown>): Promise<PassportUltraCartError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof PassportUltraCartError)) throw new Error(`expected a PassportUltraCartError, got ${String(outcome)}`);
  return outcome;
}

describe('the errors the package raises', () => {
  describe('every class', () => {
    const examples: Array<[string, PassportUltraCartError]> = [
      ['UltraCartApiError', new UltraCartApiError('m', { code: 'ULTRACART_RATE_LIMITED', endpoint: 'token', status: 503, retryAfter: 3 })],
      ['UAuthApiError', new UAuthApiError('m', { code: 'UAUTH_SESSION_INVALID', endpoint: 'getSession', status: 400 })],
      ['SessionRequiredError', new SessionRequiredError()],
    ];
    for (const [name, err] of examples) {
      it(`${name} extends PassportUltraCartError and Error, with its own name`, () => {
        expect(err).to.be.instanceOf(PassportUltraCartError).and.instanceOf(Error);
        expect(err.name).to.equal(name);
      });

      it(`${name} carries status and statusCode with one value, a code, and expose true only below 500`, () => {
        expect(err.statusCode).to.equal(err.status);
        expect(err.code)
          .to.be.a('string')
          .and.match(/^[A-Z_]+$/);
        expect(err.expose).to.equal(err.status < 500);
      });
    }

    it('carries Retry-After in headers, as http-errors does, only when there is a retryAfter', () => {
      expect(examples[0]![1].headers).to.deep.equal({ 'Retry-After': '3' });
      expect(examples[1]![1].headers).to.equal(undefined);
    });
  });

  describe('when UltraCart answers an error with a body', () => {
    let emulator: UltraCartEmulator;
    let client: UltraCartClient;
    before(async () => {
      emulator = await startUltraCartEmulator();
      client = new UltraCartClient({ baseURL: emulator.url, simpleKey: emulator.appKey });
    });
    after(() => emulator.close());

    it('keeps the body and the key out of JSON.stringify and util.inspect, but in err.response', async () => {
      emulator.inject('token', { status: 500, body: { error: { developer_message: 'boom' }, trace: BODY_MARKER } });
      const err = await rejectionOf(client.token('a-code'));
      expect((err as UltraCartApiError).response?.text).to.include(BODY_MARKER);
      for (const shown of [JSON.stringify(err), inspect(err), inspect(err, { showHidden: false, depth: 10 })]) {
        expect(shown).to.not.include(BODY_MARKER);
        expect(shown).to.not.include(emulator.appKey);
      }
      expect(inspect(err)).to.include('ULTRACART_UNAVAILABLE');
    });
  });

  describe('when no answer arrives', () => {
    let emulator: UltraCartEmulator;
    before(async () => {
      emulator = await startUltraCartEmulator();
    });
    after(() => emulator.close());

    it('keeps the transport failure as a non-enumerable cause', async () => {
      emulator.inject('token', { behaviour: 'hang' });
      const client = new UltraCartClient({ baseURL: emulator.url, simpleKey: emulator.appKey, timeoutMs: 200 });
      const err = await rejectionOf(client.token('a-code'));
      expect(err).to.include({ code: 'ULTRACART_TIMEOUT', status: 504, expose: false });
      expect(err.cause).to.be.instanceOf(Error).with.property('name', 'TransportError');
      expect(Object.keys(err)).to.not.include('cause');
      expect(inspect(err)).to.include('[cause]: TransportError');
    });
  });

  describe('a cause from another library', () => {
    it('is shown by util.inspect by name and code only, since it may hold a response body', () => {
      const foreign = Object.assign(new Error(`token endpoint said ${BODY_MARKER}`), {
        code: 'OAUTH_RESPONSE_BODY_ERROR',
        body: BODY_MARKER,
      });
      const err = new PassportUltraCartError('the token exchange failed', { code: 'EXAMPLE', status: 502, cause: foreign });
      expect(err.cause).to.equal(foreign);
      expect(inspect(err)).to.include('Error (OAUTH_RESPONSE_BODY_ERROR)');
      expect(inspect(err)).to.not.include(BODY_MARKER);
      expect(JSON.stringify(err)).to.not.include(BODY_MARKER);
    });
  });

  describe('UltrapassId errors', () => {
    let emulator: UAuthEmulator;
    before(async () => {
      emulator = await startUAuthEmulator();
    });
    after(() => emulator.close());

    it('answer a 429 with 503, expose false and Retry-After in headers', async () => {
      emulator.inject('createSession', { status: 429, headers: { 'retry-after': '7' } });
      const client = new UAuthClient({ baseURL: emulator.url, organizationKey: emulator.organizationKey });
      const err = await rejectionOf(client.createSession('322dbc7a-0a8a-452a-ba6d-c3e893f29ecc'));
      expect(err).to.include({ code: 'UAUTH_RATE_LIMITED', status: 503, statusCode: 503, expose: false, retryAfter: 7 });
      expect(err.headers).to.deep.equal({ 'Retry-After': '7' });
    });
  });
});

describe('what an upstream status means (the one place that decides)', () => {
  const rules = { 400: { meaning: 'input-rejected', why: 'bad code' }, 401: { meaning: 'configuration' } } as const;
  const cases: Array<[number, string, number]> = [
    [204, 'undocumented-success', 502],
    [302, 'redirect', 502],
    [400, 'input-rejected', 400],
    [401, 'configuration', 500],
    [418, 'unexpected', 502],
    [429, 'rate-limited', 503],
    [500, 'server-error', 502],
    [503, 'unavailable', 503],
  ];
  for (const [status, meaning, answer] of cases) {
    it(`reads ${status} as ${meaning}, answered with ${answer}`, () => {
      expect(judgeUpstreamStatus(status, undefined, rules)).to.include({ meaning, status: answer });
    });
  }

  it('honours Retry-After on 429 and 503 only, capped', () => {
    expect(judgeUpstreamStatus(429, '12').retryAfter).to.equal(12);
    expect(judgeUpstreamStatus(503, '999999').retryAfter).to.equal(MAX_RETRY_AFTER_SECONDS);
    expect(judgeUpstreamStatus(500, '12').retryAfter).to.equal(undefined);
  });

  it('gives a 5xx its generic meaning even where an endpoint lists the status', () => {
    expect(judgeUpstreamStatus(500, undefined, { 500: { meaning: 'configuration' } }).meaning).to.equal('server-error');
  });
});
