import { sharedRedisUrl } from '../support/redis-server.js';
import { expect } from 'chai';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startUAuthEmulator, startUltraCartEmulator, type UAuthEmulator, type UltraCartEmulator } from 'passport-ultracart/testing';
import { createClient } from 'redis';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp, type ExampleApp } from '../../example-app/app.js';
import type { AppSettings } from '../../example-app/config.js';
import { APP_ORIGIN, csrfTokenIn, pathOf, settingsFor, textById } from './support.js';

/**
 * Two app instances sharing one Redis, behind a "load balancer" whose target each test picks per
 * request, so one browser (one cookie jar) can start on A and finish on B.
 */
describe('example app: two instances sharing Redis', function () {
  const redisUrl = process.env.REDIS_URL;
  const prefix = `example-test-${process.pid}-${Date.now()}:`;
  let admin: ReturnType<typeof createClient>;
  let ultracart: UltraCartEmulator;
  let uauth: UAuthEmulator;
  let a: ExampleApp;
  let b: ExampleApp;
  let target: 'A' | 'B';
  let browser: TestAgent;

  before(async function () {
    await sharedRedisUrl(this);
    admin = createClient({ url: redisUrl });
    await admin.connect();
    ultracart = await startUltraCartEmulator();
    uauth = await startUAuthEmulator({ clientRedirectUrl: `${APP_ORIGIN}/verify/return` });
  });

  after(async () => {
    if (!admin) return;
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
    if (keys.length > 0) await admin.del(keys);
    await admin.close();
    await ultracart.close();
    await uauth.close();
  });

  let pairs = 0;
  let pairPrefix: string;

  /** Settings for one pair of instances: their own key prefix, so counters never leak between tests. */
  function settings(overrides: Partial<AppSettings>): AppSettings {
    return settingsFor(ultracart, uauth, { redis: { url: redisUrl!, prefix: pairPrefix }, ...overrides });
  }

  async function startPair(overrides: Partial<AppSettings> = {}): Promise<void> {
    pairPrefix = `${prefix}${++pairs}:`;
    ultracart.reset();
    uauth.reset();
    a = await createApp(settings(overrides));
    b = await createApp(settings(overrides));
    target = 'A';
    const balancer = (req: IncomingMessage, res: ServerResponse): void => void (target === 'A' ? a.app : b.app)(req as never, res as never);
    browser = request.agent(balancer);
  }

  afterEach(async () => {
    await a?.close();
    await b?.close();
  });

  async function on<T>(instance: 'A' | 'B', step: () => Promise<T>): Promise<T> {
    target = instance;
    return step();
  }

  async function signInAcross(): Promise<void> {
    const started = await on('A', () => browser.get('/auth/ultracart').expect(302));
    const callback = await ultracart.approve(started.headers.location as string);
    await on('B', () => browser.get(pathOf(callback)).expect(302));
  }

  describe('with the default limits', () => {
    beforeEach(() => startPair());

    it('finishes on B a sign-in begun on A, and A shows the profile', async () => {
      await signInAcross();
      const profile = await on('A', () => browser.get('/profile').expect(200));
      expect(textById(profile.text, 'profile-login')).to.equal('ada');
    });

    it('signs the browser out on A when it signs out on B', async () => {
      await signInAcross();
      const token = csrfTokenIn((await on('A', () => browser.get('/profile').expect(200))).text);
      await on('B', () => browser.post('/logout').type('form').send({ _csrf: token }).expect(303));
      await on('A', () => browser.get('/profile').expect(302));
      expect(ultracart.count('revoke')).to.equal(1);
    });

    it('accepts on B the return of a verification started on A', async () => {
      await signInAcross();
      const token = csrfTokenIn((await on('A', () => browser.get('/profile').expect(200))).text);
      const started = await on('A', () => browser.post('/verify').type('form').send({ _csrf: token }).expect(303));
      const back = await uauth.complete(started.headers.location as string);
      const res = await on('B', () => browser.get(pathOf(back)).expect(303));
      expect(res.headers.location).to.equal('/verify/result');
    });

    it('records each used state in Redis under the configured prefix, by its hash, never as the state', async () => {
      const started = await on('A', () => browser.get('/auth/ultracart').expect(302));
      const callback = await ultracart.approve(started.headers.location as string);
      const state = new URL(callback).searchParams.get('state')!;
      await on('B', () => browser.get(pathOf(callback)).expect(302));
      const keys: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${pairPrefix}used-state:*`, COUNT: 100 })) keys.push(...batch);
      expect(keys).to.have.length(1);
      expect(keys[0]).not.to.include(state);
      expect(await admin.pTTL(keys[0]!)).to.be.greaterThan(60_000);
      // The same callback again, on A, which never saw this state: refused, and UltraCart asked once.
      await on('A', () =>
        request(a.app)
          .get(pathOf(callback))
          .set('Cookie', started.headers['set-cookie'] as unknown as string[])
          .expect(302)
          .expect('Location', /^\/auth\/failed\?reason=/),
      );
      expect(ultracart.count('token')).to.equal(1);
    });

    it('keeps sessions in Redis under the configured prefix, expiring with the cookie', async () => {
      const res = await on('A', () => browser.get('/auth/ultracart').expect(302));
      const sid = decodeURIComponent(/ultracart-example\.sid=s%3A([^.;]+)/.exec(String(res.headers['set-cookie']))![1]!);
      const ttl = await admin.ttl(`${pairPrefix}sess:${sid}`);
      expect(ttl)
        .to.be.greaterThan(0)
        .and.at.most(15 * 60);
    });
  });

  describe('with a sign-in limit of two a minute', () => {
    beforeEach(() => startPair({ rateLimit: { windowMs: 60_000, limit: 2 } }));

    it('counts sign-ins on both instances together', async () => {
      await on('A', () => browser.get('/auth/ultracart').expect(302));
      await on('B', () => browser.get('/auth/ultracart').expect(302));
      await on('A', () => browser.get('/auth/ultracart').expect(429));
    });
  });
});
