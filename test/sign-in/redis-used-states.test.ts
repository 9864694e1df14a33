import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { RedisUsedStateLedger, UsedStatesUnavailableError, type IoRedisLike, type NodeRedisLike } from '../../src/index.js';
import { beginSignIn, callbackPath, startHarness } from '../support/harness.js';
import { ownRedisServer, sharedRedisUrl, type OwnRedisServer } from '../support/redis-server.js';

const MINUTE = 60_000;

/** A fresh state-shaped value: 32 random bytes, base64url. */
function newState(): string {
  return randomBytes(32).toString('base64url');
}

/** The two client libraries users pass, each connected to `url`, behind one small interface. */
interface Library {
  name: string;
  connect(url: string): Promise<{ client: IoRedisLike | NodeRedisLike; close(): Promise<void> }>;
}

const libraries: Library[] = [
  {
    name: 'node-redis (createClient)',
    async connect(url) {
      const client = createClient({ url, socket: { reconnectStrategy: () => 50 } });
      client.on('error', () => {});
      await client.connect();
      return { client, close: async () => void (client.isOpen && (await client.close())) };
    },
  },
  {
    name: 'ioredis (new Redis)',
    async connect(url) {
      const client = new Redis(url, { retryStrategy: () => 50, lazyConnect: true });
      client.on('error', () => {});
      await client.connect();
      return { client, close: async () => client.disconnect() };
    },
  },
];

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the claim to reject');
}

describe('RedisUsedStateLedger: used states shared through Redis', () => {
  describe('its options', () => {
    const client = { sendCommand: async () => 'OK' };

    it('refuses a missing client or one that is neither node-redis nor ioredis, naming the option', () => {
      expect(() => new RedisUsedStateLedger({} as never)).to.throw(TypeError, /RedisUsedStateLedger: the client option/);
      expect(() => new RedisUsedStateLedger({ client: { get: () => 1 } } as never)).to.throw(TypeError, /the client option/);
      expect(() => new RedisUsedStateLedger(undefined as never)).to.throw(TypeError, /requires an options object/);
    });

    it('refuses a timeoutMs outside 50 to 30000, and a prefix with spaces', () => {
      expect(() => new RedisUsedStateLedger({ client, timeoutMs: 10 })).to.throw(TypeError, /the timeoutMs option/);
      expect(() => new RedisUsedStateLedger({ client, timeoutMs: '1000' as never })).to.throw(TypeError, /the timeoutMs option/);
      expect(() => new RedisUsedStateLedger({ client, prefix: 'a b' })).to.throw(TypeError, /the prefix option/);
    });

    it('refuses a waitForReplicas that is not { replicas, timeoutMs } in range, and a timeout of 0, which would wait forever', () => {
      for (const waitForReplicas of [
        1,
        {},
        { replicas: 1 },
        { replicas: -1, timeoutMs: 100 },
        { replicas: 1, timeoutMs: 0 },
        { replicas: 1.5, timeoutMs: 100 },
      ]) {
        expect(() => new RedisUsedStateLedger({ client, waitForReplicas } as never), JSON.stringify(waitForReplicas)).to.throw(
          TypeError,
          /RedisUsedStateLedger: the waitForReplicas option/,
        );
      }
    });

    it('keys a state by its SHA-256 under the prefix, never by the state itself', () => {
      const ledger = new RedisUsedStateLedger({ client, prefix: 'p:' });
      const state = newState();
      expect(ledger.keyFor(state)).to.equal(`p:${createHash('sha256').update(state).digest('base64url')}`);
      expect(ledger.keyFor(state)).not.to.include(state);
      expect(new RedisUsedStateLedger({ client }).keyFor(state)).to.match(/^passport-ultracart:used-state:[\w-]{43}$/);
    });
  });

  describe('with a client whose replies are not what SET NX answers', () => {
    it('fails closed, rejecting with UsedStatesUnavailableError, on an unexpected reply', async () => {
      const ledger = new RedisUsedStateLedger({ client: { sendCommand: async () => 1 } });
      expect(await rejectionOf(ledger.claim(newState(), Date.now() + MINUTE))).to.be.instanceOf(UsedStatesUnavailableError);
    });

    it('rejects, with the error kept as a non-enumerable cause, when the client throws', async () => {
      const failure = new Error('ECONNRESET');
      const ledger = new RedisUsedStateLedger({
        client: {
          sendCommand: () => {
            throw failure;
          },
        },
      });
      const err = (await rejectionOf(ledger.claim(newState(), Date.now() + MINUTE))) as UsedStatesUnavailableError;
      expect(err).to.be.instanceOf(UsedStatesUnavailableError);
      expect(err.status).to.equal(503);
      expect(err.cause).to.equal(failure);
      expect(Object.keys(err)).not.to.include('cause');
      expect(JSON.stringify(err)).not.to.include('ECONNRESET');
    });
  });

  describe('against the shared Redis (REDIS_URL)', function () {
    const redisUrl = process.env.REDIS_URL;
    const prefix = `ledger-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
    let admin: ReturnType<typeof createClient>;
    const open: Array<{ close(): Promise<void> }> = [];

    before(async function () {
      await sharedRedisUrl(this);
      admin = createClient({ url: redisUrl });
      await admin.connect();
    });

    after(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
      if (!admin) return;
      const keys: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
      if (keys.length > 0) await admin.del(keys);
      await admin.close();
    });

    async function connect(library: Library): Promise<IoRedisLike | NodeRedisLike> {
      const connection = await library.connect(redisUrl!);
      open.push(connection);
      return connection.client;
    }

    for (const library of libraries) {
      describe(`with ${library.name}`, () => {
        it('grants the first claim of a state and refuses every later one, from any ledger on the same prefix', async () => {
          const client = await connect(library);
          const state = newState();
          const expiresAt = Date.now() + MINUTE;
          expect(await new RedisUsedStateLedger({ client, prefix }).claim(state, expiresAt)).to.equal(true);
          expect(await new RedisUsedStateLedger({ client, prefix }).claim(state, expiresAt)).to.equal(false);
          expect(await new RedisUsedStateLedger({ client, prefix }).claim(newState(), expiresAt)).to.equal(true);
        });

        it('stores only the hash of the state, with a TTL of the state’s lifetime plus a minute', async () => {
          const client = await connect(library);
          const ledger = new RedisUsedStateLedger({ client, prefix });
          const state = newState();
          await ledger.claim(state, Date.now() + 5 * MINUTE);
          const pttl = await admin.pTTL(ledger.keyFor(state));
          expect(pttl).to.be.within(6 * MINUTE - 5_000, 6 * MINUTE);
          const keys: string[] = [];
          for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) keys.push(...batch);
          expect(keys).to.include(ledger.keyFor(state));
          expect(keys.some((key) => key.includes(state))).to.equal(false);
        });

        it('keeps ledgers with different prefixes apart', async () => {
          const client = await connect(library);
          const state = newState();
          expect(await new RedisUsedStateLedger({ client, prefix: `${prefix}one:` }).claim(state, Date.now() + MINUTE)).to.equal(true);
          expect(await new RedisUsedStateLedger({ client, prefix: `${prefix}two:` }).claim(state, Date.now() + MINUTE)).to.equal(true);
        });
      });
    }

    it('grants exactly one of 150 simultaneous claims of one state spread over both libraries', async () => {
      const ledgers = await Promise.all(
        [...libraries, ...libraries].map(async (library) => new RedisUsedStateLedger({ client: await connect(library), prefix })),
      );
      const state = newState();
      const expiresAt = Date.now() + MINUTE;
      const results = await Promise.all(Array.from({ length: 150 }, (_, i) => ledgers[i % ledgers.length]!.claim(state, expiresAt)));
      expect(results.filter(Boolean)).to.have.length(1);
    });

    it('rejects at once with a node-redis client that is not connected', async () => {
      const closed = createClient({ url: redisUrl });
      const ledger = new RedisUsedStateLedger({ client: closed, prefix });
      expect(await rejectionOf(ledger.claim(newState(), Date.now() + MINUTE))).to.be.instanceOf(UsedStatesUnavailableError);
    });
  });

  describe('when it waits for replicas after each claim (waitForReplicas)', function () {
    this.timeout(20_000);
    let primary: OwnRedisServer;
    let replica: OwnRedisServer | undefined;
    const open: Array<{ close(): Promise<void> }> = [];

    before(async function () {
      const started = await ownRedisServer(this);
      primary = started;
    });
    after(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await replica?.stop();
      await primary?.stop();
    });

    for (const library of libraries) {
      describe(`with ${library.name}`, () => {
        async function ledger(waitForReplicas: { replicas: number; timeoutMs: number }): Promise<RedisUsedStateLedger> {
          const connection = await library.connect(primary.url);
          open.push(connection);
          return new RedisUsedStateLedger({ client: connection.client, timeoutMs: 500, waitForReplicas });
        }

        it('claims at once when no replica is asked for (WAIT 0)', async () => {
          const subject = await ledger({ replicas: 0, timeoutMs: 5_000 });
          const state = newState();
          const started = performance.now();
          expect(await subject.claim(state, Date.now() + MINUTE)).to.equal(true);
          expect(performance.now() - started).to.be.below(1_000);
          expect(await subject.claim(state, Date.now() + MINUTE)).to.equal(false);
        });

        it('fails closed with a 503 within its timeout when no replica acknowledged, and keeps the state used', async () => {
          const subject = await ledger({ replicas: 1, timeoutMs: 200 });
          const state = newState();
          const started = performance.now();
          const err = await rejectionOf(subject.claim(state, Date.now() + MINUTE));
          const waited = performance.now() - started;
          expect(err).to.be.instanceOf(UsedStatesUnavailableError);
          expect((err as UsedStatesUnavailableError).status).to.equal(503);
          expect((err as Error).message).to.match(/0 of 1 Redis replicas acknowledged the used-state claim within 200 ms/);
          expect(waited).to.be.within(190, 1_200);
          expect(await subject.claim(state, Date.now() + MINUTE)).to.equal(false);
        });
      });
    }

    // After the cases without a replica: mocha runs a describe's own tests before its nested ones.
    describe('with a replica attached', () => {
      it('claims once a replica is attached and acknowledges, with both libraries', async function () {
        const started = await ownRedisServer(this, ['--replicaof', '127.0.0.1', String(primary.port)]);
        replica = started as OwnRedisServer;
        const admin = await libraries[0]!.connect(primary.url);
        open.push(admin);
        // The replica has synchronised once the primary counts it as online.
        const deadline = Date.now() + 10_000;
        while (Date.now() < deadline) {
          const info = String(await (admin.client as NodeRedisLike).sendCommand(['INFO', 'replication']));
          if (/connected_slaves:1/.test(info) && /state=online/.test(info)) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        for (const library of libraries) {
          const connection = await library.connect(primary.url);
          open.push(connection);
          const subject = new RedisUsedStateLedger({ client: connection.client, waitForReplicas: { replicas: 1, timeoutMs: 2_000 } });
          const state = newState();
          expect(await subject.claim(state, Date.now() + MINUTE), library.name).to.equal(true);
          expect(await subject.claim(state, Date.now() + MINUTE), library.name).to.equal(false);
        }
      });
    });
  });

  describe('when its own Redis stalls or dies, then comes back', function () {
    let server: OwnRedisServer;
    const open: Array<{ close(): Promise<void> }> = [];
    const TIMEOUT_MS = 300;

    before(async function () {
      server = await ownRedisServer(this);
    });

    afterEach(() => server?.resume());

    after(async () => {
      await Promise.all(open.splice(0).map((c) => c.close()));
      await server?.stop();
    });

    for (const library of libraries) {
      describe(`with ${library.name}`, () => {
        async function ledger(): Promise<RedisUsedStateLedger> {
          const connection = await library.connect(server.url);
          open.push(connection);
          return new RedisUsedStateLedger({ client: connection.client, timeoutMs: TIMEOUT_MS });
        }

        it('rejects within timeoutMs while Redis is stopped (SIGSTOP), and claims again once it continues', async () => {
          const subject = await ledger();
          expect(await subject.claim(newState(), Date.now() + MINUTE)).to.equal(true);
          server.pause();
          const started = performance.now();
          const err = await rejectionOf(subject.claim(newState(), Date.now() + MINUTE));
          const waited = performance.now() - started;
          expect(err).to.be.instanceOf(UsedStatesUnavailableError);
          expect((err as Error).message).to.match(/within 300 ms/);
          expect(waited).to.be.within(TIMEOUT_MS - 5, TIMEOUT_MS + 1_000);
          server.resume();
          const state = newState();
          expect(await subject.claim(state, Date.now() + MINUTE)).to.equal(true);
          expect(await subject.claim(state, Date.now() + MINUTE)).to.equal(false);
        });

        it('rejects while Redis is down, and claims again by itself once Redis is back', async () => {
          const subject = await ledger();
          await server.stop();
          expect(await rejectionOf(subject.claim(newState(), Date.now() + MINUTE))).to.be.instanceOf(UsedStatesUnavailableError);
          await server.restart();
          const state = newState();
          // The client reconnects on its own schedule: the first claims after the restart may still fail.
          const deadline = Date.now() + 10_000;
          let claimed: boolean | undefined;
          while (claimed === undefined && Date.now() < deadline) {
            claimed = await subject.claim(state, Date.now() + MINUTE).catch(() => undefined);
            if (claimed === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
          }
          expect(claimed).to.equal(true);
          expect(await subject.claim(state, Date.now() + MINUTE)).to.equal(false);
        });
      });
    }

    describe('behind an UltraCartStrategy', () => {
      it('fails the callback closed with a 503 while Redis is stopped, signs nobody in, calls no /sso/token, and recovers', async () => {
        const connection = await libraries[0]!.connect(server.url);
        open.push(connection);
        const usedStates = new RedisUsedStateLedger({ client: connection.client, timeoutMs: TIMEOUT_MS });
        const h = await startHarness({ strategy: { usedStates } });
        try {
          const browser = h.browser();
          const callback = callbackPath(await h.emulator.approve(await beginSignIn(browser)));
          server.pause();
          const started = performance.now();
          const res = await browser.get(callback);
          const waited = performance.now() - started;
          server.resume();
          expect(res.status).to.equal(503);
          expect(res.body.code).to.equal('USED_STATES_UNAVAILABLE');
          expect(waited).to.be.below(TIMEOUT_MS + 1_000);
          expect((await browser.get('/me').expect(200)).body.user).to.equal(null);
          expect(h.emulator.count('token')).to.equal(0);
          // Redis is back: the next sign-in goes through, with no restart of anything.
          await browser.get(callbackPath(await h.emulator.approve(await beginSignIn(browser)))).expect(302);
          expect((await browser.get('/me').expect(200)).body.user.login).to.equal('ada');
          expect(h.emulator.count('token')).to.equal(1);
        } finally {
          await h.close();
        }
      });
    });
  });
});
