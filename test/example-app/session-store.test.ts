import { expect } from 'chai';
import session from 'express-session';
import { BoundedMemoryStore } from '../../example-app/session-store.js';
import { startExample } from './support.js';

function data(expiresAt: number | undefined, extra: Record<string, unknown> = {}): session.SessionData {
  return {
    cookie: { originalMaxAge: null, expires: expiresAt === undefined ? undefined : new Date(expiresAt) },
    ...extra,
  } as unknown as session.SessionData;
}

function get(store: BoundedMemoryStore, sid: string): Promise<unknown> {
  return new Promise((resolve, reject) => store.get(sid, (err, value) => (err ? reject(err) : resolve(value))));
}

describe('example app: the default session store', () => {
  let now: number;
  const clock = (): number => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('returns what was stored', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000, { user: 'ada' }));
    expect(await get(store, 'a')).to.deep.include({ user: 'ada' });
  });

  it('returns a copy, so a request cannot change the stored session', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000, { user: 'ada' }));
    ((await get(store, 'a')) as { user: string }).user = 'mallory';
    expect(await get(store, 'a')).to.deep.include({ user: 'ada' });
  });

  it('forgets a session once its cookie has expired', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000));
    now += 60_001;
    expect(await get(store, 'a')).to.equal(null);
  });

  it('expires a session without a cookie expiry after the default lifetime', async () => {
    const store = new BoundedMemoryStore({ now: clock, defaultTtlMs: 1000 });
    store.set('a', data(undefined));
    now += 999;
    expect(await get(store, 'a')).to.not.equal(null);
    now += 2;
    expect(await get(store, 'a')).to.equal(null);
  });

  it('does not keep a session whose cookie has already expired', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now - 1));
    expect(store.size).to.equal(0);
  });

  it('holds at most maxSessions, dropping the least recently used', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxSessions: 3 });
    for (const sid of ['a', 'b', 'c']) store.set(sid, data(now + 60_000));
    await get(store, 'a');
    store.set('d', data(now + 60_000));
    expect(store.size).to.equal(3);
    expect(await get(store, 'b')).to.equal(null);
    expect(await get(store, 'a')).to.not.equal(null);
  });

  it('holds at most maxBytes of sessions', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxBytes: 2000 });
    for (let i = 0; i < 10; i++) store.set(`s${i}`, data(now + 60_000, { pad: 'x'.repeat(500) }));
    expect(store.size).to.be.at.most(3);
  });

  it('removes a destroyed session', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000));
    store.destroy('a');
    expect(await get(store, 'a')).to.equal(null);
  });

  it('extends a session on touch with its new expiry', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 1000));
    store.touch('a', data(now + 10_000));
    now += 5000;
    expect(await get(store, 'a')).to.not.equal(null);
  });

  describe('when the app runs without Redis', () => {
    it('uses this bounded store, not express-session’s MemoryStore', async () => {
      const ex = await startExample();
      try {
        expect(ex.sessionStore).to.be.instanceOf(BoundedMemoryStore);
        expect(ex.sessionStore).to.not.be.instanceOf(session.MemoryStore);
      } finally {
        await ex.close();
      }
    });
  });
});
