import { expect } from 'chai';
import type { Options } from 'express-rate-limit';
import { createClient } from 'redis';
import { redisRateLimitStore } from '../../example-app/rate-limit-store.js';
import { RedisUnavailableError, type Redis } from '../../example-app/redis.js';
import { ownRedisServer, type OwnRedisServer } from '../support/redis-server.js';

/**
 * Threat model case 62, at the store: rate-limit-redis keeps the answer of its `SCRIPT LOAD` for
 * every later `EVALSHA`, and reloads only on `NOSCRIPT`. A Redis of the test's own, reached through
 * a client that can be told to fail chosen commands.
 */
describe('example app: the Redis rate-limit store', function () {
  this.timeout(20_000);
  let server: OwnRedisServer;
  let redis: Redis;
  let failing: RegExp | undefined;

  before(async function () {
    server = await ownRedisServer(this);
    const real = (await createClient({ url: server.url }).connect()) as unknown as Redis;
    // Fails the commands whose words match `failing`, as a connection lost at that moment would.
    redis = new Proxy(real, {
      get(target, property, receiver) {
        if (property !== 'sendCommand') return Reflect.get(target, property, receiver);
        return (args: string[]) =>
          failing?.test(args.join(' ')) ? Promise.reject(new Error('Socket closed unexpectedly')) : target.sendCommand(args);
      },
    });
  });
  after(async () => {
    failing = undefined;
    if (redis?.isOpen) await redis.close();
    await server?.stop();
  });
  afterEach(() => {
    failing = undefined;
  });

  /** What `step` rejected with. */
  async function refusal(step: () => unknown): Promise<unknown> {
    try {
      await step();
    } catch (err) {
      return err;
    }
    throw new Error('it did not fail');
  }

  async function storeOf(prefix: string): Promise<ReturnType<typeof redisRateLimitStore>> {
    const store = redisRateLimitStore(redis, prefix);
    await store.init?.({ windowMs: 60_000 } as Options);
    return store;
  }

  it('counts again after SCRIPT FLUSH, loading its script once more', async () => {
    const store = await storeOf('flush:');
    expect((await store.increment('a')).totalHits).to.equal(1);
    await redis.scriptFlush();
    expect((await store.increment('a')).totalHits).to.equal(2);
  });

  it('counts again once Redis answers, after the script could not be loaded at that moment', async () => {
    const store = await storeOf('lost-load:');
    await redis.scriptFlush();
    failing = /^SCRIPT LOAD/;
    const refused = await refusal(() => store.increment('a'));
    expect(refused).to.be.instanceOf(RedisUnavailableError);
    failing = undefined;
    expect((await store.increment('a')).totalHits).to.equal(1);
    expect((await store.increment('a')).totalHits).to.equal(2);
  });

  it('starts counting once Redis answers, when it could not load its scripts at start-up', async () => {
    failing = /^SCRIPT LOAD/;
    const store = await storeOf('lost-init:');
    failing = undefined;
    expect((await store.increment('a')).totalHits).to.equal(1);
  });

  it('answers a failure of Redis as the app’s 503 error, with what Redis said as its cause', async () => {
    const store = await storeOf('refused:');
    failing = /^EVALSHA/;
    const refused = await refusal(() => store.increment('a'));
    expect(refused).to.be.instanceOf(RedisUnavailableError);
    expect((refused as RedisUnavailableError).status).to.equal(503);
    expect(((refused as Error).cause as Error).message).to.equal('Socket closed unexpectedly');
  });
});
