import { expect } from 'chai';
import { UltraCartClient, type RevocationEvent } from '../../src/index.js';
import { DEFAULT_CONNECTIONS_PER_ORIGIN, REVOKE_CONNECTIONS_PER_ORIGIN } from '../../src/http/transport.js';
import { callbackPath, me, startHarness, type Harness } from '../support/harness.js';
import { pause } from '../support/time.js';

/*
 * A black hole: UltraCart accepts the connection and never answers, as behind a broken load
 * balancer. The emulator's `hang` fault holds each request it catches for ten minutes; `reset()`
 * drops the faults still pending, so from then on UltraCart answers new requests while the ones it
 * caught are never answered. Timeouts are short; LINGER_MS keeps its 30 s, which is the point:
 * the recovery must not wait for it.
 */
const TIMEOUT_MS = 500;
const POOL = DEFAULT_CONNECTIONS_PER_ORIGIN;

/** Starts `count` sign-ins at once and resolves to the status each /login answered. */
async function signInBurst(h: Harness, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, async () => (await h.browser().get('/login')).status));
}

/** Starts `count` authorize calls at once through the strategy's own client (and so its lane). */
async function callBurst(h: Harness, count: number): Promise<Array<string | undefined>> {
  return Promise.all(
    Array.from({ length: count }, () =>
      h.strategy.client.authorize(h.callbackURL, 'S'.repeat(43)).then(
        () => undefined,
        (err: { code?: string }) => err.code,
      ),
    ),
  );
}

/** A whole sign-in as a browser makes it; resolves to who the app then says is signed in. */
async function signIn(h: Harness): Promise<string | undefined> {
  const browser = h.browser();
  const start = await browser.get('/login').expect(302);
  const back = await h.emulator.approve(start.headers.location as string);
  await browser.get(callbackPath(back)).expect(302);
  return (await me(browser)).user?.login;
}

describe('recovering after a black-hole stall', () => {
  let h: Harness;
  afterEach(() => h.close());

  describe('of the sign-in lane', () => {
    beforeEach(async () => {
      h = await startHarness({ strategy: { timeoutMs: TIMEOUT_MS } });
      h.emulator.inject('authorize', { behaviour: 'hang' }, 10_000);
    });

    it('signs in at once when UltraCart answers again, though 100 stalled calls are never answered', async () => {
      const statuses = await signInBurst(h, 100);
      expect(statuses.every((status) => status === 504)).to.equal(true);
      const openedDuringStall = h.emulator.connections;

      h.emulator.reset();
      expect(await signIn(h)).to.equal('ada');
      expect(openedDuringStall).to.be.at.most(2 * POOL);
    });

    it('keeps at most twice the pool open at once through wave after wave of stalled sign-ins', async () => {
      for (let wave = 0; wave < 4; wave++) {
        const codes = await callBurst(h, 100);
        expect(codes.every((code) => code === 'ULTRACART_TIMEOUT')).to.equal(true);
        // Closes reach the emulator a moment after the client ends a connection.
        await pause(50);
        expect(h.emulator.openConnections).to.be.at.most(2 * POOL);
      }
      h.emulator.reset();
      expect(await signIn(h)).to.equal('ada');
      expect(h.emulator.openConnections).to.be.at.most(2 * POOL);
    });
  });

  describe('of the revoke lane', () => {
    beforeEach(async () => {
      h = await startHarness();
    });

    it('gets background revoke retries through once UltraCart answers inside their retry window', async () => {
      const client = new UltraCartClient({
        simpleKey: h.emulator.appKey,
        baseURL: h.emulator.url,
        timeoutMs: 200,
        revokeRetry: { attempts: 6, withinMs: 5000, firstDelayMs: 100 },
      });
      const keys: string[] = [];
      for (let i = 0; i < REVOKE_CONNECTIONS_PER_ORIGIN + 2; i++) {
        const { loginUrl } = await client.authorize(h.callbackURL, `state-${i}-${'s'.repeat(40)}`);
        const code = new URL(await h.emulator.approve(loginUrl)).searchParams.get('code')!;
        keys.push((await client.token(code)).simpleKey);
      }
      const events: RevocationEvent[] = [];
      client.revocations.on('revocation', (event) => events.push(event));
      h.emulator.inject('revoke', { behaviour: 'hang' }, 10_000);
      const before = h.emulator.openConnections;

      const first = await Promise.all(keys.map((key) => client.revokeWithRetry(key)));
      expect(first.every((outcome) => outcome === 'retrying')).to.equal(true);
      await pause(1000);
      expect(h.emulator.openConnections - before).to.be.at.most(2 * REVOKE_CONNECTIONS_PER_ORIGIN);
      h.emulator.reset();
      await client.revocations.idle();

      expect(events.filter((event) => event.outcome === 'revoked')).to.have.length(keys.length);
      expect(keys.filter((key) => h.emulator.isLive(key))).to.deep.equal([]);
    });
  });
});
