import { expect } from 'chai';
import session from 'express-session';
import request from 'supertest';
import { CookieStateStore, FailureMessages, MemoryUsedStateLedger, UltraCartStrategy, type UsedStateLedger } from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { requireCookiePair } from '../support/cookies.js';
import { beginSignIn, callbackPath, lastState, me, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

describe('UltraCartStrategy: the used-state ledger', () => {
  let emulator: UltraCartEmulator;
  const harnesses: Harness[] = [];

  before(async () => {
    emulator = await startUltraCartEmulator();
  });
  after(() => emulator.close());
  beforeEach(() => emulator.reset());
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.close()));
  });

  async function harness(options: HarnessOptions = {}): Promise<Harness> {
    const h = await startHarness({ sharedEmulator: emulator, ...options });
    harnesses.push(h);
    return h;
  }

  describe('with a strategy built for every request, in one process', () => {
    it('honours a state once for 60 simultaneous callbacks, each handled by a strategy of its own', async () => {
      const h = await harness({ strategyPerRequest: true });
      const browser = h.browser();
      const callback = callbackPath(await emulator.approve(await beginSignIn(browser)));
      const results = await Promise.all(Array.from({ length: 60 }, () => browser.get(callback)));
      expect(results.map((res) => res.status).sort()).to.deep.equal([302, ...Array<number>(59).fill(403)]);
      expect(emulator.count('token')).to.equal(1);
    });

    it('refuses the pre-login cookie replayed after success, with no second /sso/token', async () => {
      const h = await harness({ strategyPerRequest: true });
      const browser = h.browser();
      const login = await browser.get('/login').expect(302);
      const oldCookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await emulator.approve(login.headers.location as string));
      await browser.get(callback).expect(302);
      for (let i = 0; i < 3; i++) await request(h.app).get(callback).set('Cookie', oldCookie).expect(403);
      expect(emulator.count('token')).to.equal(1);
    });
  });

  describe('with two apps in one process sharing a session store', () => {
    let a: Harness;
    let b: Harness;
    beforeEach(async () => {
      const store = new session.MemoryStore();
      a = await harness({ sessionStore: store });
      b = await harness({ sessionStore: store });
    });

    it('signs in one of 40 callbacks sent to both at once, and calls /sso/token once', async () => {
      const browser = a.browser();
      const login = await browser.get('/login').expect(302);
      const cookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await emulator.approve(login.headers.location as string));
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(i % 2 ? a.app : b.app)
            .get(callback)
            .set('Cookie', cookie),
        ),
      );
      expect(results.filter((res) => res.status === 302)).to.have.length(1);
      expect(emulator.count('token')).to.equal(1);
    });
  });

  describe('with a ledger of the app’s own', () => {
    it('asks it once per callback, with the state and its expiry, and signs in when it says first use', async () => {
      const claims: Array<[string, number]> = [];
      const ledger: UsedStateLedger = {
        claim: async (state, expiresAt) => {
          claims.push([state, expiresAt]);
          return true;
        },
      };
      const h = await harness({ strategy: { usedStates: ledger } });
      const browser = h.browser();
      const before = Date.now();
      const callback = callbackPath(await emulator.approve(await beginSignIn(browser)));
      await browser.get(callback).expect(302);
      expect(claims).to.have.length(1);
      expect(claims[0]![0]).to.equal(lastState(emulator));
      expect(claims[0]![1]).to.be.within(before, Date.now() + 10 * 60_000);
      expect((await me(browser)).user?.login).to.equal('ada');
    });

    it('fails with 403 "already used" and no /sso/token when it says the state was used', async () => {
      const h = await harness({ strategy: { usedStates: { claim: async () => false } } });
      const browser = h.browser();
      await browser.get(callbackPath(await emulator.approve(await beginSignIn(browser)))).expect(403);
      expect((await me(browser)).messages).to.deep.equal([FailureMessages.alreadyUsed]);
      expect(emulator.count('token')).to.equal(0);
    });

    it('treats an answer other than true as already used', async () => {
      const h = await harness({ strategy: { usedStates: { claim: async () => 'OK' as unknown as boolean } } });
      const browser = h.browser();
      await browser.get(callbackPath(await emulator.approve(await beginSignIn(browser)))).expect(403);
      expect(emulator.count('token')).to.equal(0);
    });

    it('is never asked about a state that does not match the pending sign-in', async () => {
      let asked = 0;
      const h = await harness({ strategy: { usedStates: { claim: async () => (asked++, true) } } });
      const browser = h.browser();
      await beginSignIn(browser);
      await browser.get(`/auth/ultracart/callback?code=c&state=${'A'.repeat(43)}`).expect(403);
      expect(asked).to.equal(0);
    });

    it('shares one record between two strategies given the same ledger', async () => {
      const store = new session.MemoryStore();
      const ledger = new MemoryUsedStateLedger();
      const a = await harness({ sessionStore: store, strategy: { usedStates: ledger } });
      const b = await harness({ sessionStore: store, strategy: { usedStates: ledger } });
      const browser = a.browser();
      const login = await browser.get('/login').expect(302);
      const cookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await emulator.approve(login.headers.location as string));
      const [first, second] = await Promise.all([
        request(a.app).get(callback).set('Cookie', cookie),
        request(b.app).get(callback).set('Cookie', cookie),
      ]);
      expect([first!.status, second!.status].sort()).to.deep.equal([302, 403]);
      expect(ledger.size).to.equal(1);
      expect(emulator.count('token')).to.equal(1);
    });
  });

  describe('two instances with pending sign-ins in a cookie signed with one shared secret', () => {
    const secret = 'a-cookie-secret-both-instances-share-0123456789';
    const cookieStore = (): CookieStateStore => new CookieStateStore({ secret, secure: false });

    /** A sign-in begun and finished on A; the pending-sign-in cookie as it was before the callback, and the callback. */
    async function finishedOnA(a: Harness): Promise<{ oldCookie: string; callback: string }> {
      const login = await request(a.app).get('/login').expect(302);
      const oldCookie = requireCookiePair(login.headers['set-cookie'], 'ultracart_pending');
      const callback = callbackPath(await emulator.approve(login.headers.location as string));
      await request(a.app).get(callback).set('Cookie', oldCookie).expect(302);
      return { oldCookie, callback };
    }

    it('refuses the old cookie replayed to the other instance after success when both share a ledger', async () => {
      const ledger = new MemoryUsedStateLedger();
      const a = await harness({ strategy: { stateStore: cookieStore(), usedStates: ledger } });
      const b = await harness({ strategy: { stateStore: cookieStore(), usedStates: ledger } });
      const { oldCookie, callback } = await finishedOnA(a);
      for (let i = 0; i < 3; i++) await request(b.app).get(callback).set('Cookie', oldCookie).expect(403);
      expect(emulator.count('token')).to.equal(1);
    });

    it('without a shared ledger, lets the old cookie past the state check once on the other instance: only UltraCart refuses the used code', async () => {
      // What two processes have with the default ledger: one each.
      const a = await harness({ strategy: { stateStore: cookieStore(), usedStates: new MemoryUsedStateLedger() } });
      const b = await harness({ strategy: { stateStore: cookieStore(), usedStates: new MemoryUsedStateLedger() } });
      const { oldCookie, callback } = await finishedOnA(a);
      await request(b.app).get(callback).set('Cookie', oldCookie).expect(401);
      expect(emulator.count('token')).to.equal(2);
      // Once per instance: B's own ledger now knows the state.
      await request(b.app).get(callback).set('Cookie', oldCookie).expect(403);
      expect(emulator.count('token')).to.equal(2);
    });
  });

  describe('two instances sharing a session store, without a shared ledger', () => {
    it('refuses replays after a success, since the session that held the state is gone', async () => {
      const store = new session.MemoryStore();
      const a = await harness({ sessionStore: store, strategy: { usedStates: new MemoryUsedStateLedger() } });
      const b = await harness({ sessionStore: store, strategy: { usedStates: new MemoryUsedStateLedger() } });
      const login = await request(a.app).get('/login').expect(302);
      const cookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await emulator.approve(login.headers.location as string));
      await request(a.app).get(callback).set('Cookie', cookie).expect(302);
      await request(b.app).get(callback).set('Cookie', cookie).expect(403);
      expect(emulator.count('token')).to.equal(1);
    });

    it('lets simultaneous callbacks reach /sso/token at most once per instance', async () => {
      const store = new session.MemoryStore();
      const a = await harness({ sessionStore: store, strategy: { usedStates: new MemoryUsedStateLedger() } });
      const b = await harness({ sessionStore: store, strategy: { usedStates: new MemoryUsedStateLedger() } });
      const login = await request(a.app).get('/login').expect(302);
      const cookie = requireCookiePair(login.headers['set-cookie'], 'sid');
      const callback = callbackPath(await emulator.approve(login.headers.location as string));
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          request(i % 2 ? a.app : b.app)
            .get(callback)
            .set('Cookie', cookie),
        ),
      );
      expect(results.filter((res) => res.status === 302)).to.have.length(1);
      expect(emulator.count('token')).to.be.within(1, 2);
    });
  });

  describe('when the ledger cannot be reached', () => {
    const unreachable: UsedStateLedger = {
      claim: () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:6379 (password hunter2)')),
    };

    it('fails closed: 503, nobody signed in, no /sso/token call', async () => {
      const h = await harness({ strategy: { usedStates: unreachable } });
      const browser = h.browser();
      const res = await browser.get(callbackPath(await emulator.approve(await beginSignIn(browser)))).expect(503);
      expect(res.body.code).to.equal('USED_STATES_UNAVAILABLE');
      expect(res.body.error).to.equal('UsedStatesUnavailableError');
      expect(res.headers['retry-after']).to.equal('1');
      expect((await me(browser)).user).to.equal(null);
      expect(emulator.count('token')).to.equal(0);
    });

    it('says nothing of the ledger’s own error in the message the app sees', async () => {
      const h = await harness({ strategy: { usedStates: unreachable } });
      const browser = h.browser();
      const res = await browser.get(callbackPath(await emulator.approve(await beginSignIn(browser)))).expect(503);
      expect(res.text).not.to.match(/ECONNREFUSED|10\.1\.2\.3|hunter2/);
      expect(res.text).not.to.include(lastState(emulator));
    });

    it('fails closed the same way when claim throws instead of rejecting', async () => {
      const throwing: UsedStateLedger = {
        claim: () => {
          throw new Error('not connected');
        },
      };
      const h = await harness({ strategy: { usedStates: throwing } });
      const browser = h.browser();
      await browser.get(callbackPath(await emulator.approve(await beginSignIn(browser)))).expect(503);
      expect(emulator.count('token')).to.equal(0);
    });
  });

  describe('its option', () => {
    const build = (usedStates: unknown) => () =>
      new UltraCartStrategy(
        { callbackURL: 'https://shop.example.com/cb', simpleKey: 'k', usedStates: usedStates as UsedStateLedger },
        () => undefined,
      );

    it('refuses a usedStates without a claim() method, naming the option', () => {
      expect(build({})).to.throw(TypeError, /UltraCartStrategy: the usedStates option/);
      expect(build('redis')).to.throw(TypeError, /the usedStates option/);
    });

    it('refuses usedStates: null rather than quietly using the per-process default', () => {
      expect(build(null)).to.throw(TypeError, /the usedStates option/);
    });

    it('asks a MemoryUsedStateLedger subclass through its own claim()', async () => {
      let asked = 0;
      class CountingLedger extends MemoryUsedStateLedger {
        override claim(state: string, expiresAt: number): Promise<boolean> {
          asked += 1;
          return super.claim(state, expiresAt);
        }
      }
      const h = await harness({ strategy: { usedStates: new CountingLedger() } });
      const browser = h.browser();
      await browser.get(callbackPath(await emulator.approve(await beginSignIn(browser)))).expect(302);
      expect(asked).to.equal(1);
    });
  });
});
