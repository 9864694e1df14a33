import { expect } from 'chai';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { randomBytes } from 'node:crypto';
import {
  MemoryOAuthTokenStore,
  RedisOAuthTokenStore,
  UltraCartNotConnectedError,
  UltraCartOAuthClient,
  UltraCartOAuthConnections,
  UltraCartOAuthError,
  type IoRedisLike,
  type NodeRedisLike,
  type UltraCartOAuthTokens,
} from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

/** The shared Redis of the test machines; CI sets REDIS_URL and must not skip. */
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redirectUri = 'http://127.0.0.1/store/callback';

describe('UltraCartOAuthConnections: the token lifecycle', () => {
  let emulator: UltraCartEmulator;
  let client: UltraCartOAuthClient;

  async function connect(): Promise<UltraCartOAuthTokens> {
    const authorize = new URL(emulator.oauth.authorizeURL);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      state: 's'.repeat(43),
    }).toString();
    const code = new URL(await emulator.oauth.approve(authorize.href)).searchParams.get('code')!;
    return client.exchangeCode(code, redirectUri);
  }
  const refreshCalls = (): number =>
    emulator.oauth.calls.filter((c) => c.endpoint === 'token' && new URLSearchParams(c.body).get('grant_type') === 'refresh_token').length;

  beforeEach(async () => {
    emulator = await startUltraCartEmulator();
    client = new UltraCartOAuthClient({
      clientId: emulator.oauth.clientId,
      clientSecret: emulator.oauth.clientSecret,
      baseURL: emulator.url,
    });
  });
  afterEach(() => emulator.close());

  describe('in one process', () => {
    it('hands out a fresh access token without refreshing it', async () => {
      const connections = new UltraCartOAuthConnections({ client });
      const tokens = await connect();
      await connections.save('shop-1', tokens);
      expect(await connections.accessToken('shop-1')).to.equal(tokens.accessToken);
      expect(refreshCalls()).to.equal(0);
    });

    it('50 concurrent uses of an expired token make exactly one refresh call, and all get the new token', async () => {
      const connections = new UltraCartOAuthConnections({ client });
      const tokens = await connect();
      await connections.save('shop-1', { ...tokens, expiresAt: new Date(Date.now() - 1000) });
      const handed = await Promise.all(Array.from({ length: 50 }, () => connections.accessToken('shop-1')));
      expect(refreshCalls()).to.equal(1);
      expect(new Set(handed).size).to.equal(1);
      expect(handed[0]).to.not.equal(tokens.accessToken);
      expect(emulator.oauth.isLive(handed[0]!)).to.equal(true);
      const stored = await connections.get('shop-1');
      expect(stored!.accessToken).to.equal(handed[0]);
      expect(emulator.oauth.isLiveRefreshToken(stored!.refreshToken!)).to.equal(true);
    });

    it('refreshes a token that expires within refreshAheadMs, before it is used', async () => {
      const connections = new UltraCartOAuthConnections({ client, refreshAheadMs: 120_000 });
      const tokens = await connect();
      await connections.save('shop-1', { ...tokens, expiresAt: new Date(Date.now() + 60_000) });
      expect(await connections.accessToken('shop-1')).to.not.equal(tokens.accessToken);
      expect(refreshCalls()).to.equal(1);
    });

    it('refresh() refreshes now, once for concurrent callers, and keeps the refresh token when none comes back', async () => {
      emulator.oauth.setRotation(false);
      const connections = new UltraCartOAuthConnections({ client });
      const tokens = await connect();
      await connections.save('shop-1', tokens);
      const [a, b] = await Promise.all([connections.refresh('shop-1'), connections.refresh('shop-1')]);
      expect(refreshCalls()).to.equal(1);
      expect(a.accessToken).to.equal(b.accessToken).and.not.equal(tokens.accessToken);
      expect(a.refreshToken).to.equal(tokens.refreshToken);
    });

    it('withAccessToken refreshes once and retries when UltraCart refuses a token whose lifetime was unknown', async () => {
      const connections = new UltraCartOAuthConnections({ client });
      const tokens = await connect();
      await connections.save('shop-1', { ...tokens, expiresAt: null });
      emulator.oauth.expireAccessTokens();
      const items = await connections.withAccessToken('shop-1', (token) => client.get('/item/items', token));
      expect(items.success).to.equal(true);
      expect(refreshCalls()).to.equal(1);
    });

    it('says reconnect-needed when the merchant revoked the app at UltraCart, or UltraCart disabled it', async () => {
      const connections = new UltraCartOAuthConnections({ client });
      const tokens = await connect();
      await connections.save('shop-1', { ...tokens, expiresAt: new Date(0) });
      await client.revoke(tokens.accessToken);
      const err = await connections.accessToken('shop-1').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(UltraCartOAuthError);
      expect((err as UltraCartOAuthError).code).to.equal('ULTRACART_OAUTH_RECONNECT_NEEDED');
      expect((err as UltraCartOAuthError).message).to.match(/connect again/);

      const other = await connect();
      await connections.save('shop-2', { ...other, expiresAt: new Date(0) });
      emulator.oauth.setDisabled(emulator.oauth.clientId, true);
      expect(((await connections.accessToken('shop-2').catch((e: unknown) => e)) as UltraCartOAuthError).code).to.equal(
        'ULTRACART_OAUTH_RECONNECT_NEEDED',
      );
    });

    it('disconnect revokes at UltraCart and forgets the tokens; an unknown connection says not connected', async () => {
      const connections = new UltraCartOAuthConnections({ client });
      const tokens = await connect();
      await connections.save('shop-1', tokens);
      expect(await connections.disconnect('shop-1')).to.equal('revoked');
      expect(emulator.oauth.isLive(tokens.accessToken)).to.equal(false);
      expect(emulator.oauth.liveGrants()).to.equal(0);
      expect(await connections.get('shop-1')).to.equal(undefined);
      expect(await connections.disconnect('shop-1')).to.equal('already-ended');
      expect(await connections.accessToken('shop-1').catch((e: unknown) => e)).to.be.instanceOf(UltraCartNotConnectedError);
    });

    it('disconnect still forgets the tokens when UltraCart cannot be reached, and says so', async () => {
      const connections = new UltraCartOAuthConnections({ client });
      await connections.save('shop-1', await connect());
      emulator.oauth.inject('revoke', { status: 503 });
      expect(await connections.disconnect('shop-1')).to.equal('failed');
      expect(await connections.get('shop-1')).to.equal(undefined);
    });

    it('refuses bad options by name', () => {
      expect(() => new UltraCartOAuthConnections({} as never)).to.throw(TypeError, /UltraCartOAuthConnections requires a client option/);
      expect(() => new UltraCartOAuthConnections({ client, store: {} as never })).to.throw(
        TypeError,
        /the store option must have get\(\), set\(\), delete\(\), lock\(\) and unlock\(\) methods/,
      );
      expect(() => new UltraCartOAuthConnections({ client, refreshAhead: 5 } as never)).to.throw(TypeError, /did you mean refreshAheadMs/);
    });
  });

  describe('two instances sharing the real Redis', function () {
    before(async function () {
      const probe = createClient({ url: REDIS_URL, socket: { connectTimeout: 1000, reconnectStrategy: false } });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.close();
      } catch {
        if (process.env.CI === 'true') throw new Error(`Redis is expected at ${REDIS_URL} on CI but does not answer`);
        console.log(`    skipped: no Redis answers at ${REDIS_URL}`);
        this.skip();
      }
    });

    const libraries: Array<{ name: string; connect(): Promise<{ client: IoRedisLike | NodeRedisLike; close(): Promise<void> }> }> = [
      {
        name: 'node-redis',
        async connect() {
          const redis = createClient({ url: REDIS_URL });
          redis.on('error', () => {});
          await redis.connect();
          return { client: redis, close: async () => void (await redis.close()) };
        },
      },
      {
        name: 'ioredis',
        async connect() {
          const redis = new Redis(REDIS_URL, { lazyConnect: true });
          redis.on('error', () => {});
          await redis.connect();
          return { client: redis, close: async () => redis.disconnect() };
        },
      },
    ];

    for (const library of libraries) {
      it(`refreshing one connection at once on both (${library.name}) makes one refresh call and leaves a working refresh token`, async () => {
        const [redisA, redisB] = [await library.connect(), await library.connect()];
        try {
          const prefix = `test:oauth:${randomBytes(6).toString('hex')}:`;
          // Two instances: separate clients, separate stores and separate in-process single flights, one Redis.
          const a = new UltraCartOAuthConnections({
            client,
            store: new RedisOAuthTokenStore({ client: redisA.client, prefix }),
            pollMs: 10,
          });
          const clientB = new UltraCartOAuthClient({
            clientId: emulator.oauth.clientId,
            clientSecret: emulator.oauth.clientSecret,
            baseURL: emulator.url,
          });
          const b = new UltraCartOAuthConnections({
            client: clientB,
            store: new RedisOAuthTokenStore({ client: redisB.client, prefix }),
            pollMs: 10,
          });
          const tokens = await connect();
          await a.save('shop-1', { ...tokens, expiresAt: new Date(Date.now() - 1000) });
          const handed = await Promise.all([
            ...Array.from({ length: 10 }, () => a.accessToken('shop-1')),
            ...Array.from({ length: 10 }, () => b.accessToken('shop-1')),
          ]);
          expect(refreshCalls()).to.equal(1);
          expect(new Set(handed).size).to.equal(1);
          const stored = await b.get('shop-1');
          expect(stored!.accessToken).to.equal(handed[0]);
          expect(emulator.oauth.isLiveRefreshToken(stored!.refreshToken!)).to.equal(true);
          // And the refresh token kept works: both instances can go on refreshing.
          const again = await b.refresh('shop-1');
          expect(emulator.oauth.isLive(again.accessToken)).to.equal(true);
          expect((await a.get('shop-1'))!.refreshToken).to.equal(again.refreshToken);
          await a.disconnect('shop-1');
          expect(await b.get('shop-1')).to.equal(undefined);
        } finally {
          await redisA.close();
          await redisB.close();
        }
      });
    }

    it('keeps connection ids out of the Redis keys', async () => {
      const redis = await libraries[0]!.connect();
      try {
        const prefix = `test:oauth:${randomBytes(6).toString('hex')}:`;
        const store = new RedisOAuthTokenStore({ client: redis.client, prefix });
        await store.set('merchant-secret-id', { accessToken: 'a', refreshToken: 'r', expiresAt: null, scope: null });
        const keys = (await (redis.client as NodeRedisLike).sendCommand(['KEYS', `${prefix}*`])) as string[];
        expect(keys).to.have.length(1);
        expect(keys[0]).not.to.include('merchant-secret-id');
        await store.delete('merchant-secret-id');
      } finally {
        await redis.close();
      }
    });
  });

  describe('RedisOAuthTokenStore options', () => {
    it('refuses a client that is not node-redis or ioredis, and a bad prefix or timeout, naming the option', () => {
      expect(() => new RedisOAuthTokenStore({ client: { get: () => 1 } } as never)).to.throw(
        TypeError,
        /RedisOAuthTokenStore: the client option must be a Redis client/,
      );
      expect(() => new RedisOAuthTokenStore({} as never)).to.throw(TypeError, /RedisOAuthTokenStore requires a client option/);
      const client = { sendCommand: async () => 'OK' };
      expect(() => new RedisOAuthTokenStore({ client, prefix: 'a b' })).to.throw(TypeError, /the prefix option/);
      expect(() => new RedisOAuthTokenStore({ client, timeoutMs: 10 })).to.throw(
        TypeError,
        /the timeoutMs option must be an integer from 50 to 30000/,
      );
      expect(() => new RedisOAuthTokenStore({ client, timeout: 100 } as never)).to.throw(TypeError, /did you mean timeoutMs/);
    });

    it('fails closed, as OAUTH_TOKEN_STORE_UNAVAILABLE, when Redis answers a lock with something unexpected or not at all', async () => {
      const odd = new RedisOAuthTokenStore({ client: { sendCommand: async () => 1 } });
      expect(await odd.lock('c', 1000).catch((e: { code?: string }) => e.code)).to.equal('OAUTH_TOKEN_STORE_UNAVAILABLE');
      const stalled = new RedisOAuthTokenStore({ client: { sendCommand: () => new Promise(() => {}) }, timeoutMs: 50 });
      expect(await stalled.get('c').catch((e: { code?: string }) => e.code)).to.equal('OAUTH_TOKEN_STORE_UNAVAILABLE');
    });
  });

  describe('the in-memory store', () => {
    it('gives the refresh lock to one holder at a time, until it is released or expires', async () => {
      const store = new MemoryOAuthTokenStore();
      const lock = await store.lock('c', 1000);
      expect(lock).to.be.a('string');
      expect(await store.lock('c', 1000)).to.equal(undefined);
      await store.unlock('c', 'not-the-holder');
      expect(await store.lock('c', 1000)).to.equal(undefined);
      await store.unlock('c', lock!);
      expect(await store.lock('c', 1000)).to.be.a('string');
    });
  });
});
