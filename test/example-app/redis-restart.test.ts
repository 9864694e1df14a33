import { expect } from 'chai';
import { createClient } from 'redis';
import { ownRedisServer, type OwnRedisServer } from '../support/redis-server.js';
import { startTcpForwarder, type TcpForwarder } from '../support/tcp-forwarder.js';
import { beginSignIn, csrfToken, pathOf, startExample, type Example } from './support.js';

/** How long after Redis is back the first request may still fail: node-redis reconnecting, and one script reload. */
const RECOVERY_BOUND_MS = 2500;
/** How long each loop tries before giving up, so a broken recovery fails the test instead of hanging it. */
const LOOP_LIMIT_MS = 8000;

/**
 * Threat model case 62: Redis forgets its Lua scripts when it restarts (with or without
 * persistence), on `SCRIPT FLUSH`, and on a fail-over to a node that never loaded them. The rate
 * limiters run theirs by `EVALSHA` and load it again when Redis answers `NOSCRIPT`, which they only
 * can if that answer reaches them. Sessions, rate limits and used states all live on a Redis of
 * the test's own, reached through a forwarder (the address a fail-over moves), which the test
 * restarts empty, flushes, or fails over to a promoted replica while sign-ins are looping.
 */
describe('example app: Redis restarts or forgets its scripts', function () {
  this.timeout(40_000);
  let server: OwnRedisServer;
  let replica: OwnRedisServer | undefined;
  let forwarder: TcpForwarder;
  let ex: Example;
  let admin: ReturnType<typeof createClient>;

  before(async function () {
    server = await ownRedisServer(this);
    forwarder = await startTcpForwarder(server.port);
    ex = await startExample({
      settings: {
        redis: { url: `redis://127.0.0.1:${forwarder.port}`, prefix: 'redis-restart-test:' },
        rateLimit: { windowMs: 60_000, limit: 10_000 },
      },
    });
  });
  after(async () => {
    if (admin?.isOpen) await admin.close();
    await ex?.close();
    await forwarder?.close();
    await replica?.stop();
    await server?.stop();
  });

  /** One whole sign-in in a new browser: its start, UltraCart's login, the callback and the profile. */
  async function signInOnce(): Promise<boolean> {
    const browser = ex.browser();
    const started = await browser.get('/auth/ultracart');
    if (started.status !== 302) return false;
    const callback = await ex.ultracart.approve(started.headers.location as string);
    const returned = await browser.get(pathOf(callback));
    if (returned.status !== 302 || returned.headers.location !== '/profile') return false;
    return (await browser.get('/profile')).status === 200;
  }

  /** A signed-in browser's POST of the UltrapassId verify form: 303 to the workflow page when it works. */
  async function verifyOnce(): Promise<boolean> {
    const browser = ex.browser();
    const callback = await ex.ultracart.approve(await beginSignIn(browser));
    await browser.get(pathOf(callback)).expect(302);
    const token = await csrfToken(browser);
    const res = await browser.post('/verify').type('form').send({ _csrf: token });
    return res.status === 303;
  }

  /** Runs `attempt` again and again from now; resolves to the milliseconds until it first succeeded, and the failures' count. */
  async function untilItWorks(attempt: () => Promise<boolean>): Promise<{ ms: number | undefined; failures: number }> {
    const since = performance.now();
    let failures = 0;
    while (performance.now() - since < LOOP_LIMIT_MS) {
      if (await attempt().catch(() => false)) return { ms: performance.now() - since, failures };
      failures += 1;
    }
    return { ms: undefined, failures };
  }

  /** Keeps `attempt` looping in the background until `stop()`; counts its outcomes. */
  function loopInBackground(attempt: () => Promise<boolean>): { stop: () => Promise<{ ok: number; failed: number }> } {
    let running = true;
    const counts = { ok: 0, failed: 0 };
    const loop = (async () => {
      while (running) {
        if (await attempt().catch(() => false)) counts.ok += 1;
        else counts.failed += 1;
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return counts;
      },
    };
  }

  async function adminClient(): Promise<ReturnType<typeof createClient>> {
    if (!admin?.isOpen) {
      admin = createClient({ url: server.url });
      await admin.connect();
    }
    return admin;
  }

  describe('when Redis is killed and started again empty while sign-ins loop', () => {
    it('signs users in again within about two seconds of Redis being back', async () => {
      expect(await signInOnce(), 'a sign-in before the restart').to.equal(true);
      const loop = loopInBackground(signInOnce);
      await server.stop();
      const down = await ex.browser().get('/auth/ultracart');
      expect(down.status, 'a sign-in while Redis is down').to.equal(503);
      expect(down.text).to.include('data-problem="store-unavailable"');
      // Down long enough for the client's reconnection attempts to back off.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await server.restart();
      const recovery = await untilItWorks(signInOnce);
      const during = await loop.stop();
      console.log(
        `      first sign-in ${recovery.ms?.toFixed(0)} ms after the restart (${recovery.failures} failed before it; background loop ${during.ok} ok, ${during.failed} failed)`,
      );
      expect(recovery.ms, `no sign-in succeeded within ${LOOP_LIMIT_MS} ms of the restart`).to.not.equal(undefined);
      expect(recovery.ms).to.be.below(RECOVERY_BOUND_MS);
      // All three Redis-backed pieces work again: new sessions, both limiters, the used-state ledger.
      expect(await verifyOnce(), 'the verify form, on its own limiter').to.equal(true);
      expect(await adminClient().then((c) => c.keys('redis-restart-test:used-state:*'))).to.not.be.empty;
    });
  });

  describe('when Redis forgets its scripts (SCRIPT FLUSH) while running', () => {
    it('signs the next user in, the limiter loading its script again', async () => {
      expect(await signInOnce()).to.equal(true);
      await (await adminClient()).scriptFlush();
      const recovery = await untilItWorks(signInOnce);
      console.log(`      first sign-in ${recovery.ms?.toFixed(0)} ms after SCRIPT FLUSH (${recovery.failures} failed before it)`);
      expect(recovery.failures).to.equal(0);
      expect(recovery.ms).to.be.below(RECOVERY_BOUND_MS);
    });

    it('accepts the next verify form, whose limiter has a script of its own', async () => {
      expect(await verifyOnce()).to.equal(true);
      await (await adminClient()).scriptFlush();
      const recovery = await untilItWorks(verifyOnce);
      expect(recovery.failures).to.equal(0);
    });

    it('still counts toward the limit after the reload, so the flush opens no way around it', async () => {
      const counted = async (): Promise<number> => {
        const redis = await adminClient();
        const keys = await redis.keys('redis-restart-test:rl:sign-in:*');
        const values = keys.length > 0 ? await redis.mGet(keys) : [];
        return values.reduce((sum, value) => sum + Number(value ?? 0), 0);
      };
      await (await adminClient()).scriptFlush();
      const before = await counted();
      expect(await signInOnce()).to.equal(true);
      expect(await counted()).to.equal(before + 1);
    });
  });

  describe('when Redis fails over to a replica, which never loaded the scripts', () => {
    it('keeps a signed-in user signed in and signs new users in within about two seconds', async function () {
      replica = await ownRedisServer(this, ['--replicaof', '127.0.0.1', String(server.port)]);
      const signedIn = ex.browser();
      const callback = await ex.ultracart.approve(await beginSignIn(signedIn));
      await signedIn.get(pathOf(callback)).expect(302);
      const primary = await adminClient();
      // Synchronised once the primary counts the replica online and the replica has the session.
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !/connected_slaves:1[\s\S]*state=online/.test(await primary.info('replication'))) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await primary.wait(1, 2000);
      const promoted = createClient({ url: replica.url });
      await promoted.connect();
      try {
        // Redis 7 does not replicate SCRIPT LOAD: the new primary knows none of the limiters' scripts.
        await promoted.sendCommand(['REPLICAOF', 'NO', 'ONE']);
      } finally {
        await promoted.close();
      }
      const loop = loopInBackground(signInOnce);
      forwarder.switchTo(replica.port);
      const recovery = await untilItWorks(signInOnce);
      await loop.stop();
      console.log(`      first sign-in ${recovery.ms?.toFixed(0)} ms after the fail-over (${recovery.failures} failed before it)`);
      expect(recovery.ms, `no sign-in succeeded within ${LOOP_LIMIT_MS} ms of the fail-over`).to.not.equal(undefined);
      expect(recovery.ms).to.be.below(RECOVERY_BOUND_MS);
      expect((await signedIn.get('/profile')).status, 'the user signed in before the fail-over').to.equal(200);
      expect(await verifyOnce(), 'the verify form, on its own limiter').to.equal(true);
    });
  });
});
