import { expect } from 'chai';
import type session from 'express-session';
import { DEFAULT_EMULATOR_USERS } from 'passport-ultracart/testing';
import { BoundedMemoryStore } from '../../example-app/session-store.js';
import { signIn, startExample, whoIsSignedIn, type Example } from './support.js';

function signedIn(user: string, extra: Record<string, unknown> = {}): session.SessionData {
  return { cookie: { originalMaxAge: null, expires: new Date(Date.now() + 60_000) }, passport: { user: { id: user, ...extra } } } as never;
}

function get(store: BoundedMemoryStore, sid: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
}

/** Threat model case 65: one account signing in again and again must not sign everybody else out. */
describe('example app: one account signing in many times', () => {
  describe('the bounded session store', () => {
    it('keeps at most maxSessionsPerUser sessions of one user, dropping that user’s least recently used', async () => {
      const store = new BoundedMemoryStore({ maxSessionsPerUser: 3 });
      for (const sid of ['a', 'b', 'c']) store.set(sid, signedIn('ada'));
      await get(store, 'a');
      store.set('d', signedIn('ada'));
      expect(await get(store, 'b')).to.equal(null);
      for (const sid of ['a', 'c', 'd']) expect(await get(store, sid), sid).to.not.equal(null);
      expect(store.signedInSize).to.equal(3);
    });

    it('leaves every other user signed in when one user signs in far past the tier size', async () => {
      const store = new BoundedMemoryStore({ maxSessions: 20, maxSessionsPerUser: 5 });
      for (let i = 0; i < 15; i++) store.set(`idle${i}`, signedIn(`user${i}`));
      for (let i = 0; i < 10_100; i++) store.set(`flood${i}`, signedIn('ada'));
      for (let i = 0; i < 15; i++) expect(await get(store, `idle${i}`), `idle${i}`).to.not.equal(null);
      expect(store.signedInSize).to.equal(20);
    });

    it('announces each signed-in session it pushes out, with its data', () => {
      const store = new BoundedMemoryStore({ maxSessions: 3, maxSessionsPerUser: 2 });
      const evicted: Array<[string, unknown]> = [];
      store.on('evicted', (sid: string, data: session.SessionData) =>
        evicted.push([sid, (data as unknown as { passport: unknown }).passport]),
      );
      store.set('a', signedIn('ada', { simpleKey: 'k-a' }));
      store.set('b', signedIn('ada', { simpleKey: 'k-b' }));
      store.set('c', signedIn('ada', { simpleKey: 'k-c' }));
      store.set('d', signedIn('grace', { simpleKey: 'k-d' }));
      store.set('e', signedIn('lin', { simpleKey: 'k-e' }));
      expect(evicted).to.deep.equal([
        ['a', { user: { id: 'ada', simpleKey: 'k-a' } }],
        ['b', { user: { id: 'ada', simpleKey: 'k-b' } }],
      ]);
    });

    it('does not announce a session destroyed, signed out or replaced by the same user', () => {
      const store = new BoundedMemoryStore({ maxSessionsPerUser: 2 });
      const evicted: string[] = [];
      store.on('evicted', (sid: string) => evicted.push(sid));
      store.set('a', signedIn('ada'));
      store.set('a', signedIn('ada'));
      store.set('b', signedIn('ada'));
      store.destroy('a');
      store.set('b', { cookie: signedIn('ada').cookie } as session.SessionData);
      store.set('c', signedIn('ada'));
      store.set('d', signedIn('ada'));
      expect(evicted).to.deep.equal([]);
    });

    it('refuses a maxSessionsPerUser below one', () => {
      expect(() => new BoundedMemoryStore({ maxSessionsPerUser: 0 })).to.throw(TypeError, /maxSessionsPerUser/);
    });
  });

  describe('when one account signs in past the signed-in tier of the example app', () => {
    const idleUsers = Array.from({ length: 15 }, (_, i) => ({ ...DEFAULT_EMULATOR_USERS[1]!, user_id: 3000 + i, login: `idle${i}` }));
    const tier = 30;
    const perUser = 5;
    const flood = 40;
    let ex: Example;
    before(async function () {
      this.timeout(30_000);
      ex = await startExample({
        settings: { rateLimit: { windowMs: 60_000, limit: 1000 } },
        deps: { sessionStore: new BoundedMemoryStore({ maxSessions: tier, maxSessionsPerUser: perUser }) },
        ultracart: { users: [DEFAULT_EMULATOR_USERS[0]!, ...idleUsers] },
      });
    });
    after(() => ex?.close());

    it('leaves the idle users signed in and revokes the key of each of its own sessions it evicts', async function () {
      this.timeout(30_000);
      const idle = [];
      for (const user of idleUsers) {
        const browser = ex.browser();
        await signIn(ex, browser, { login: user.login });
        idle.push({ browser, login: user.login });
      }
      const floods = [];
      for (let i = 0; i < flood; i++) {
        const browser = ex.browser();
        await signIn(ex, browser, { login: 'ada' });
        floods.push(browser);
      }
      // Revokes run in the background of the eviction; wait for them, within a bound.
      const deadline = Date.now() + 10_000;
      while (ex.ultracart.count('revoke') < flood - perUser && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

      const stillIn = [];
      for (const { browser, login } of idle) if ((await whoIsSignedIn(browser)) === login) stillIn.push(login);
      let floodSignedIn = 0;
      for (const browser of floods) if ((await whoIsSignedIn(browser)) === 'ada') floodSignedIn += 1;
      console.log(
        `      idle users still signed in: ${stillIn.length}/${idle.length}; flooding account's sessions kept: ${floodSignedIn}/${flood}; revoked: ${ex.ultracart.count('revoke')}; live keys: ${ex.ultracart.liveKeys()}`,
      );
      expect(stillIn).to.have.length(idle.length);
      expect(floodSignedIn).to.equal(perUser);
      expect(ex.ultracart.count('revoke')).to.equal(flood - perUser);
      expect(ex.ultracart.liveKeys()).to.equal(idle.length + perUser);
    });
  });
});
