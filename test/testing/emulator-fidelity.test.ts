import { expect } from 'chai';
import { UltraCartClient } from '../../src/index.js';
import { readExpiry } from '../../src/ultracart/date-time.js';
import { DEFAULT_UAUTH_WORKFLOW_KEY, startUAuthEmulator, startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

const REDIRECT_URI = 'https://shop.example.com/auth/ultracart/callback';
const STATE = 'S'.repeat(43);

/** One raw request to the emulator, as a test outside this package would make it. */
async function raw(emulator: UltraCartEmulator, path: string, init: RequestInit = {}) {
  return fetch(`${emulator.url}${path}`, {
    ...init,
    headers: { 'x-ultracart-api-version': '2017-03-01', 'x-ultracart-simple-key': emulator.appKey, ...init.headers },
  });
}

describe('the UltraCart emulator, compared with UltraCart', () => {
  let emulator: UltraCartEmulator;
  afterEach(() => emulator.close());

  describe('an injected fault with only a status', () => {
    beforeEach(async () => {
      emulator = await startUltraCartEmulator();
    });

    for (const status of [400, 401, 410, 429, 500, 503]) {
      it(`answers ${status} with UC-REST-ERROR and the ErrorResponse body, as the emulator's own errors do`, async () => {
        emulator.inject('token', { status });
        const injected = await raw(emulator, '/sso/token', { method: 'PUT', body: '{}' });
        expect(injected.status).to.equal(status);
        expect(injected.headers.get('content-type')).to.equal('application/json; charset=UTF-8');
        const header = injected.headers.get('uc-rest-error');
        expect(header).to.be.a('string').and.not.equal('');
        const body = (await injected.json()) as { success: boolean; error: Record<string, string> };
        expect(body.success).to.equal(false);
        expect(body.error).to.have.keys('developer_message', 'user_message', 'error_code');
        expect(body.error.developer_message).to.equal(header);
      });
    }

    it('shapes its own 400 the same way, for comparison', async () => {
      const own = await raw(emulator, '/sso/token', { method: 'PUT', body: '{}' });
      expect(own.status).to.equal(400);
      expect(own.headers.get('uc-rest-error')).to.be.a('string');
      expect(((await own.json()) as { error: object }).error).to.have.keys('developer_message', 'user_message', 'error_code');
    });

    it('lets a fault with its own body leave the header out', async () => {
      emulator.inject('token', { status: 500, body: 'plain failure', contentType: 'text/plain' });
      const injected = await raw(emulator, '/sso/token', { method: 'PUT', body: '{}' });
      expect(injected.headers.get('uc-rest-error')).to.equal(null);
      expect(await injected.text()).to.equal('plain failure');
    });
  });

  describe('expiration_dts', () => {
    it('is written by default as UltraCart was seen to write it: a local offset, no milliseconds', async () => {
      emulator = await startUltraCartEmulator();
      const client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url });
      const { loginUrl } = await client.authorize(REDIRECT_URI, STATE);
      const code = new URL(await emulator.approve(loginUrl)).searchParams.get('code')!;
      const res = await raw(emulator, '/sso/token', { method: 'PUT', body: JSON.stringify({ code, grant_type: 'simple_key' }) });
      const { expiration_dts } = (await res.json()) as { expiration_dts: string };
      expect(expiration_dts).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-04:00$/);
      const reading = readExpiry(expiration_dts);
      expect(reading.kind === 'known' && reading.at.getTime()).to.be.within(Date.now() + 3_600_000 - 5000, Date.now() + 3_600_000);
    });

    it('is written in UTC with milliseconds when expiryFormat is utc', async () => {
      emulator = await startUltraCartEmulator({ expiryFormat: 'utc' });
      const res = await raw(emulator, '/sso/authorize', {
        method: 'PUT',
        body: JSON.stringify({ redirect_uri: REDIRECT_URI, state: STATE }),
      });
      expect(((await res.json()) as { expiration_dts: string }).expiration_dts).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });
  });

  describe('live keys', () => {
    it('counts keys issued and neither revoked nor expired', async () => {
      emulator = await startUltraCartEmulator();
      const client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url });
      const { loginUrl } = await client.authorize(REDIRECT_URI, STATE);
      const code = new URL(await emulator.approve(loginUrl)).searchParams.get('code')!;
      const { simpleKey } = await client.token(code);
      expect([emulator.liveKeys(), emulator.isLive(simpleKey)]).to.deep.equal([1, true]);
      await client.revokeSession(simpleKey);
      expect([emulator.liveKeys(), emulator.isLive(simpleKey)]).to.deep.equal([0, false]);
    });
  });
});

describe('the UltrapassId emulator, compared with its document', () => {
  it('answers an injected status with the bare text/plain message, as its own errors are sent', async () => {
    const emulator = await startUAuthEmulator();
    try {
      emulator.inject('createSession', { status: 409 });
      const res = await fetch(`${emulator.url}/uauth/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-upid-organization-key': emulator.organizationKey },
        body: JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
      });
      expect(res.status).to.equal(409);
      expect(res.headers.get('content-type')).to.equal('text/plain; charset=utf-8');
      expect(await res.text()).to.equal('Workflow not valid for this Organization');
    } finally {
      await emulator.close();
    }
  });
});
