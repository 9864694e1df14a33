import { sharedRedisUrl } from '../support/redis-server.js';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { startUltraCartEmulator, type UltraCartEmulator } from 'passport-ultracart/testing';
import { createClient } from 'redis';
import {
  cookieHeaderFrom,
  startExampleAppInstances,
  stopExampleAppInstances,
  type ExampleAppInstance,
} from '../support/example-app-instances.js';

/** Where a refused callback sends the browser: the failure page, with or without the reason in its query. */
const FAILURE_PAGE = /^\/auth\/failed(?:\?|$)/;

const SHARED_SECRET = 'a-session-secret-shared-by-the-three-instances-0123456789';
const REPLAYS = 150;

/**
 * Three example-app processes behind an imaginary load balancer, sharing one Redis (sessions, rate
 * limits, the used-state ledger) and one UltraCart emulator, which counts every /sso/token call.
 * The same callback (cookie, state, code) is sent to all three, at once and one after another.
 */
for (const stateStore of ['session', 'cookie'] as const) {
  describe(`example app: three instances sharing Redis, pending sign-ins in the ${stateStore === 'session' ? 'session (SessionStateStore)' : 'signed cookie (CookieStateStore)'}`, function () {
    this.timeout(90_000);
    const redisUrl = process.env.REDIS_URL;
    const prefix = `multi-instance-test-${process.pid}-${randomBytes(4).toString('hex')}-${stateStore}:`;
    let ultracart: UltraCartEmulator;
    let instances: ExampleAppInstance[] = [];

    before(async function () {
      await sharedRedisUrl(this);
      ultracart = await startUltraCartEmulator();
      instances = await startExampleAppInstances(3, {
        REDIS_URL: redisUrl!,
        REDIS_PREFIX: prefix,
        SESSION_SECRET: SHARED_SECRET,
        ULTRACART_SIMPLE_KEY: ultracart.appKey,
        ULTRACART_BASE_URL: ultracart.url,
        ULTRACART_CALLBACK_URL: 'http://127.0.0.1:3999/auth/ultracart/callback',
        ULTRACART_STATE_STORE: stateStore,
        // The replays come from one address; the rate limits are not what this test is about.
        RATE_LIMIT_PER_MINUTE: '100000',
      });
    });

    after(async () => {
      await stopExampleAppInstances(instances);
      await ultracart?.close();
      if (!redisUrl) return;
      const admin = createClient({ url: redisUrl });
      await admin.connect();
      const keys: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
      if (keys.length > 0) await admin.del(keys);
      await admin.close();
    });

    beforeEach(() => ultracart.reset());

    function get(instance: number, path: string, cookie: string): Promise<Response> {
      return fetch(`${instances[instance % 3]!.origin}${path}`, { redirect: 'manual', headers: { cookie } });
    }

    /** Starts a sign-in on instance 0 and approves it: the callback path and the cookies the browser then holds. */
    async function approvedSignIn(): Promise<{ callback: string; cookie: string }> {
      const started = await get(0, '/auth/ultracart', '');
      expect(started.status).to.equal(302);
      const cookie = cookieHeaderFrom(started);
      const back = new URL(await ultracart.approve(started.headers.get('location')!));
      return { callback: back.pathname + back.search, cookie };
    }

    async function signedInAs(instance: number, cookie: string): Promise<string | undefined> {
      const res = await get(instance, '/profile', cookie);
      if (res.status !== 200) return undefined;
      return /id="profile-login"[^>]*>([^<]+)</.exec(await res.text())?.[1];
    }

    it(`honours one of ${REPLAYS} simultaneous replays spread over the three instances, with one /sso/token call in all`, async () => {
      const { callback, cookie } = await approvedSignIn();
      const results = await Promise.all(Array.from({ length: REPLAYS }, (_, i) => get(i, callback, cookie)));
      const locations = results.map((res) => `${res.status} ${res.headers.get('location')}`);
      const wins = results.filter((res) => res.headers.get('location') === '/profile');
      const refused = results.filter((res) => res.status === 302 && FAILURE_PAGE.test(res.headers.get('location') ?? ''));
      expect(wins, locations.join(', ')).to.have.length(1);
      expect(refused, locations.join(', ')).to.have.length(REPLAYS - 1);
      expect(ultracart.count('token')).to.equal(1);
      // The one that won signed the browser in, and every instance knows it.
      const winner = cookieHeaderFrom(wins[0]!, cookie);
      for (let i = 0; i < 3; i++) expect(await signedInAs(i, winner)).to.equal('ada');
      // The losers signed nobody in.
      const loser = refused[0]!;
      expect(await signedInAs(1, cookieHeaderFrom(loser, cookie))).to.equal(undefined);
    });

    it('refuses every replay of the callback after a success, on every instance, with no further /sso/token call', async () => {
      const { callback, cookie } = await approvedSignIn();
      const first = await get(1, callback, cookie);
      expect(first.headers.get('location')).to.equal('/profile');
      // The pre-login cookies, as an attacker who copied them, or a browser going back, would send them.
      for (let i = 0; i < 9; i++) {
        const replay = await get(i, callback, cookie);
        expect(replay.headers.get('location'), `replay ${i + 1} on instance ${i % 3}`).to.match(FAILURE_PAGE);
        expect(await signedInAs(i, cookieHeaderFrom(replay, cookie))).to.equal(undefined);
      }
      expect(ultracart.count('token')).to.equal(1);
    });

    it('finishes on another instance a sign-in begun on instance 0, so the refusals above are single use at work', async () => {
      const { callback, cookie } = await approvedSignIn();
      const res = await get(2, callback, cookie);
      expect(res.headers.get('location')).to.equal('/profile');
      expect(await signedInAs(0, cookieHeaderFrom(res, cookie))).to.equal('ada');
      expect(ultracart.count('token')).to.equal(1);
    });
  });
}
