import { sharedRedisUrl } from '../support/redis-server.js';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createClient } from 'redis';
import { DEFAULT_EMULATOR_USERS } from 'passport-ultracart/testing';
import { Agent, request } from 'undici';
import type { BoundedMemoryStore } from '../../example-app/session-store.js';
import { startExample, textById, type Example } from '../example-app/support.js';
import { Browser, pathOf, unsignedSessionId } from '../support/browser.js';
import { setCookieLines } from '../support/cookies.js';
import { pool } from '../support/pool.js';

const SIGNED_IN = 20;
const COOKIELESS_FLOOD = 20_000;
const ONE_BROWSER_FLOOD = 5_000;
const CONCURRENCY = 8;
const SESSION_COOKIE = 'ultracart-example.sid';

interface Flood {
  statuses: Record<number, number>;
  /** Every failure redirect's Location. */
  reasons: Set<string>;
  /** The ids of the sessions whose cookie the answers set. */
  sessionsSet: Set<string>;
}

/** Bad callbacks of every kind, none of which can sign anyone in; each state of the right shape, and its own. */
function badCallback(i: number): string {
  const state = String(i).padStart(43, 'A');
  switch (i % 5) {
    case 0:
      return `/auth/ultracart/callback?code=c${i}&state=${state}`;
    case 1:
      return '/auth/ultracart/callback';
    case 2:
      return `/auth/ultracart/callback?error=access_denied&state=${state}`;
    case 3:
      return `/auth/ultracart/callback?code=c${i}&state=${state}&state=${state}`;
    default:
      return `/auth/ultracart/callback?state=short`;
  }
}

/**
 * Threat model case 51 against the example app over keep-alive connections: bad callbacks from
 * browsers without a session, by the ten thousand, and from one browser with a session, by the
 * thousand. The rate limit on the callback is raised above the flood here, so every request
 * reaches the strategy and the session store (`security/callback-rate-limit.test.ts` proves the limit on its own).
 */
describe('load: failed callbacks by the thousand against the example app', function () {
  // About 10 s on two quiet cores; the margin is for a machine busy with other test files.
  this.timeout(60_000);
  let ex: Example;
  let server: Server;
  let origin: string;
  const agent = new Agent({ connections: CONCURRENCY });
  let users: Array<{ login: string; browser: Browser }>;

  before(async () => {
    ex = await startExample({
      settings: { rateLimit: { windowMs: 60_000, limit: 10 * COOKIELESS_FLOOD } },
      // No request log: 25,000 lines of it would cost more than the requests.
      deps: { log: undefined },
      // Each signed-in browser its own user: the store keeps only a few sessions of any one user.
      ultracart: {
        users: Array.from({ length: SIGNED_IN }, (_, i) => ({ ...DEFAULT_EMULATOR_USERS[0]!, user_id: 5000 + i, login: `user${i}` })),
      },
    });
    server = ex.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    users = [];
    for (let i = 0; i < SIGNED_IN; i++) {
      const browser = new Browser(origin);
      const start = await browser.get('/auth/ultracart');
      const back = await browser.get(pathOf(await ex.ultracart.approve(start.headers.get('location')!, `user${i}`)));
      expect(back.headers.get('location')).to.equal('/profile');
      users.push({ login: `user${i}`, browser });
    }
  });
  after(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ex.close();
  });

  const store = (): BoundedMemoryStore => ex.sessionStore as BoundedMemoryStore;

  /** Sends `total` bad callbacks, with `cookie` if given; tallies statuses, locations and cookies set. */
  async function flood(total: number, cookie?: string): Promise<Flood> {
    const statuses: Record<number, number> = {};
    const reasons = new Set<string>();
    const sessionsSet = new Set<string>();
    let sent = 0;
    await pool(total, CONCURRENCY, async () => {
      const res = await request(`${origin}${badCallback(sent++)}`, { dispatcher: agent, headers: cookie ? { cookie } : {} });
      await res.body.dump();
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      reasons.add(String(res.headers.location));
      for (const line of setCookieLines(res.headers['set-cookie'])) {
        if (line.startsWith(`${SESSION_COOKIE}=`)) sessionsSet.add(unsignedSessionId(line.slice(SESSION_COOKIE.length + 1).split(';')[0]!));
      }
    });
    return { statuses, reasons, sessionsSet };
  }

  describe('when 20,000 bad callbacks come from browsers without a session', () => {
    let sizeBefore: number;
    let outcome: Awaited<ReturnType<typeof flood>>;
    before(async () => {
      sizeBefore = store().size;
      outcome = await flood(COOKIELESS_FLOOD);
    });

    it('sends every one of them to the failure page with its reason', () => {
      expect(outcome.statuses).to.deep.equal({ 302: COOKIELESS_FLOOD });
      expect([...outcome.reasons].sort()).to.deep.equal(['/auth/failed?reason=noPendingSignIn', '/auth/failed?reason=stateMalformed']);
    });

    it('sets no cookie and leaves the store’s size unchanged', () => {
      expect(outcome.sessionsSet.size).to.equal(0);
      expect(sizeBefore).to.equal(SIGNED_IN);
      expect(store().size).to.equal(sizeBefore);
    });

    it('leaves every signed-in user signed in', async () => {
      for (const { login, browser } of users) {
        const profile = await browser.get('/profile');
        expect(profile.status).to.equal(200);
        expect(textById(await profile.text(), 'profile-login')).to.equal(login);
      }
    });
  });

  describe('when 5,000 bad callbacks come from one browser that has a session', () => {
    let browser: Browser;
    let outcome: Awaited<ReturnType<typeof flood>>;
    before(async () => {
      browser = new Browser(origin);
      await browser.get('/auth/ultracart');
      outcome = await flood(ONE_BROWSER_FLOOD, `${SESSION_COOKIE}=${browser.cookie(SESSION_COOKIE)!}`);
    });

    it('keeps its session under 2 KB', async () => {
      const sid = unsignedSessionId(browser.cookie(SESSION_COOKIE)!);
      const data = await new Promise<unknown>((resolve, reject) => store().get(sid, (err, value) => (err ? reject(err) : resolve(value))));
      expect(data).to.not.equal(null);
      expect(Buffer.byteLength(JSON.stringify(data))).to.be.below(2048);
    });

    it('sends every one of them to the failure page, and gives the browser no other session', () => {
      expect(outcome.statuses).to.deep.equal({ 302: ONE_BROWSER_FLOOD });
      const own = unsignedSessionId(browser.cookie(SESSION_COOKIE)!);
      expect([...outcome.sessionsSet].filter((sid) => sid !== own)).to.deep.equal([]);
    });
  });
});

describe('load: failed callbacks against the example app on Redis', function () {
  this.timeout(60_000);
  const redisUrl = process.env.REDIS_URL;
  const prefix = `failed-callbacks-${process.pid}-${randomUUID()}:`;
  const FLOOD = 2000;
  let admin: ReturnType<typeof createClient>;
  let ex: Example;
  let server: Server;
  let origin: string;
  const agent = new Agent({ connections: CONCURRENCY });

  before(async function () {
    await sharedRedisUrl(this);
    admin = createClient({ url: redisUrl });
    await admin.connect();
    ex = await startExample({ settings: { redis: { url: redisUrl!, prefix }, rateLimit: { windowMs: 60_000, limit: 10 * FLOOD } } });
    server = ex.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    if (!admin) return;
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ex.close();
    const all: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) all.push(...batch);
    if (all.length > 0) await admin.del(all);
    await admin.close();
  });

  async function sessionKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const batch of admin.scanIterator({ MATCH: `${prefix}sess:*`, COUNT: 500 })) keys.push(...batch);
    return keys;
  }

  it('adds no session key for 2,000 bad callbacks from browsers without a session', async () => {
    const signedIn = new Browser(origin);
    const start = await signedIn.get('/auth/ultracart');
    await signedIn.get(pathOf(await ex.ultracart.approve(start.headers.get('location')!)));
    const before = await sessionKeys();
    let cookies = 0;
    let sent = 0;
    await pool(FLOOD, CONCURRENCY, async () => {
      const res = await request(`${origin}${badCallback(sent++)}`, { dispatcher: agent });
      await res.body.dump();
      if (res.headers['set-cookie']) cookies += 1;
    });
    expect(cookies).to.equal(0);
    expect(before).to.have.length(1);
    expect(await sessionKeys()).to.deep.equal(before);
    expect((await signedIn.get('/profile')).status).to.equal(200);
  });
});
