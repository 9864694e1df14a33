import { expect } from 'chai';
import { Pool } from 'undici';
import {
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
  DEFAULT_UAUTH_WORKFLOW_KEY,
} from '../../src/testing/index.js';
import { addPending, DEFAULT_MAX_PENDING } from '../../src/testing/pending-entries.js';
import { API_VERSION } from '../../src/ultracart/client.js';

const MAX = 100;
const ABANDONED = 3 * MAX;
const CALLBACK = 'http://127.0.0.1:3999/callback';

/** Sends `count` requests made by `request(i)` over a few keep-alive connections; resolves to each answer's status and body. */
async function send(
  origin: string,
  count: number,
  request: (i: number) => { method: 'GET' | 'PUT' | 'POST'; path: string; headers?: Record<string, string>; body?: string },
): Promise<Array<{ status: number; body: string }>> {
  const pool = new Pool(origin, { connections: 8 });
  try {
    const answers: Array<{ status: number; body: string }> = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < count) {
          const i = next++;
          const res = await pool.request(request(i));
          answers[i] = { status: res.statusCode, body: await res.body.text() };
        }
      }),
    );
    return answers;
  } finally {
    await pool.close();
  }
}

/** Development mode (`npm start`) runs the emulators for as long as the app: abandoned sign-ins must not grow them. */
describe('the emulators’ pending state, under sign-ins that are never finished', () => {
  describe('the bounded map they share', () => {
    it('holds the default bound of entries after 100,000 abandoned ones, the oldest gone first', () => {
      const map = new Map<string, { expiresAt: number }>();
      const now = 1_000_000;
      for (let i = 0; i < 100_000; i++) addPending(map, `k${i}`, { expiresAt: now + 600_000 }, DEFAULT_MAX_PENDING, now);
      expect(map.size).to.equal(DEFAULT_MAX_PENDING);
      expect(map.has('k0')).to.equal(false);
      expect(map.has(`k${100_000 - DEFAULT_MAX_PENDING - 1}`)).to.equal(false);
      expect(map.has(`k${100_000 - DEFAULT_MAX_PENDING}`)).to.equal(true);
      expect(map.has('k99999')).to.equal(true);
    });

    it('drops expired entries first, even with room to spare', () => {
      const map = new Map<string, { expiresAt: number }>();
      for (let i = 0; i < 50; i++) addPending(map, `old${i}`, { expiresAt: 1_000 }, 100, 500);
      addPending(map, 'new', { expiresAt: 3_000 }, 100, 2_000);
      expect([...map.keys()]).to.deep.equal(['new']);
    });
  });

  describe('the UltraCart emulator', () => {
    it(`keeps at most maxPending logins of ${ABANDONED} abandoned sign-ins, refusing the oldest and finishing the newest`, async () => {
      const emulator = await startUltraCartEmulator({ maxPending: MAX, maxRecordedCalls: 10 });
      try {
        const answers = await send(emulator.origin, ABANDONED, (i) => ({
          method: 'PUT',
          path: '/rest/v2/sso/authorize',
          headers: {
            'content-type': 'application/json',
            'x-ultracart-simple-key': emulator.appKey,
            'x-ultracart-api-version': API_VERSION,
          },
          body: JSON.stringify({ redirect_uri: CALLBACK, state: `s${i}` }),
        }));
        expect(emulator.pending().logins).to.equal(MAX);
        expect(emulator.calls).to.have.length.at.most(10);
        const loginUrls = answers.map((a) => (JSON.parse(a.body) as { login_url: string }).login_url);
        const [oldest] = await send(emulator.origin, 1, () => ({
          method: 'GET',
          path: new URL(loginUrls[0]!).pathname + new URL(loginUrls[0]!).search,
        }));
        expect(oldest!.status).to.equal(410);
        expect(await emulator.approve(loginUrls[ABANDONED - 1]!)).to.match(/[?&]code=/);
      } finally {
        await emulator.close();
      }
    });

    it('keeps at most maxPending codes that are never redeemed', async () => {
      const emulator = await startUltraCartEmulator({ maxPending: MAX });
      try {
        for (let round = 0; round < 3; round++) {
          const answers = await send(emulator.origin, MAX, (i) => ({
            method: 'PUT',
            path: '/rest/v2/sso/authorize',
            headers: {
              'content-type': 'application/json',
              'x-ultracart-simple-key': emulator.appKey,
              'x-ultracart-api-version': API_VERSION,
            },
            body: JSON.stringify({ redirect_uri: CALLBACK, state: `s${i}` }),
          }));
          for (const answer of answers) await emulator.approve((JSON.parse(answer.body) as { login_url: string }).login_url);
        }
        expect(emulator.pending().codes).to.equal(MAX);
      } finally {
        await emulator.close();
      }
    });

    it('refuses a maxPending that is not a positive integer', async () => {
      for (const maxPending of [0, 1.5, '10']) {
        let refused: unknown;
        await startUltraCartEmulator({ maxPending: maxPending as number }).then(
          (emulator) => emulator.close(),
          (err: unknown) => (refused = err),
        );
        expect(refused, String(maxPending)).to.be.instanceOf(TypeError);
        expect((refused as Error).message).to.match(/startUltraCartEmulator: the maxPending option/);
      }
    });
  });

  describe('the UltrapassId OpenID Connect emulator', () => {
    const authorizePath = (i: number): string =>
      `/oauth2/v2.0/authorize?${new URLSearchParams({
        client_id: 'emulator-client-id',
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'openid',
        state: `s${i}`,
        code_challenge: 'A'.repeat(43),
        code_challenge_method: 'S256',
      })}`;

    it(`keeps at most maxPending authorization requests of ${ABANDONED} abandoned ones, refusing the oldest`, async () => {
      const emulator = await startUltrapassIdOidcEmulator({ maxPending: MAX, maxRecordedCalls: 10 });
      try {
        const answers = await send(emulator.origin, ABANDONED, (i) => ({ method: 'GET', path: authorizePath(i) }));
        expect(answers.every((a) => a.status === 200)).to.equal(true);
        expect(emulator.pending().logins).to.equal(MAX);
        const requestIds = answers.map((a) => /name="request" value="([^"]+)"/.exec(a.body)?.[1] ?? '');
        const decide = (requestId: string) => ({
          method: 'POST' as const,
          path: '/login',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ request: requestId, person: 'person-ada', decision: 'approve' }).toString(),
        });
        const [oldest] = await send(emulator.origin, 1, () => decide(requestIds[0]!));
        const [newest] = await send(emulator.origin, 1, () => decide(requestIds[ABANDONED - 1]!));
        expect(oldest!.status).to.equal(410);
        expect(newest!.status).to.be.within(200, 303);
      } finally {
        await emulator.close();
      }
    });

    it('keeps at most maxPending codes that are never redeemed', async () => {
      const emulator = await startUltrapassIdOidcEmulator({ maxPending: MAX });
      try {
        for (let i = 0; i < ABANDONED; i++) await emulator.approve(`${emulator.origin}${authorizePath(i)}`);
        expect(emulator.pending().codes).to.equal(MAX);
      } finally {
        await emulator.close();
      }
    });
  });

  describe('the UltrapassId UAuth emulator', () => {
    it(`keeps at most maxPending workflow sessions of ${ABANDONED} never completed, and a bounded record of calls`, async () => {
      const emulator = await startUAuthEmulator({ maxPending: MAX, maxRecordedCalls: 10 });
      try {
        const answers = await send(emulator.origin, ABANDONED, () => ({
          method: 'POST',
          path: '/api/uauth/session',
          headers: { 'content-type': 'application/json', 'x-upid-organization-key': emulator.organizationKey },
          body: JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
        }));
        expect(answers.every((a) => a.status === 201)).to.equal(true);
        expect(emulator.pending().sessions).to.equal(MAX);
        expect(emulator.calls).to.have.length.at.most(10);
        const urls = answers.map((a) => (JSON.parse(a.body) as { getSessionUrl: string }).getSessionUrl);
        let refused: unknown;
        await emulator.complete(urls[0]!).catch((err: unknown) => (refused = err));
        expect(refused).to.be.instanceOf(Error);
        expect(await emulator.complete(urls[ABANDONED - 1]!)).to.match(/sessionId=/);
      } finally {
        await emulator.close();
      }
    });
  });
});
