import { expect } from 'chai';
import session from 'express-session';
import { BoundedMemoryStore } from '../../example-app/session-store.js';
import { unsignedSessionId } from '../support/browser.js';
import { beginSignIn, pathOf, startExample } from './support.js';

function data(expiresAt: number | undefined, extra: Record<string, unknown> = {}): session.SessionData {
  return {
    cookie: { originalMaxAge: null, expires: expiresAt === undefined ? undefined : new Date(expiresAt) },
    ...extra,
  } as unknown as session.SessionData;
}

/** What Passport keeps for a signed-in user. */
function signedIn(id: string): Record<string, unknown> {
  return { passport: { user: { id } } };
}

/** What a browser with a pending sign-in and nobody signed in holds. */
function pending(): Record<string, unknown> {
  return { 'ultracart:pending': [{ state: 'S'.repeat(43), expiresAt: 2_000_000 }] };
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

  it('holds at most maxSessions signed-in sessions, dropping the least recently used', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxSessions: 3 });
    for (const sid of ['a', 'b', 'c']) store.set(sid, data(now + 60_000, signedIn(sid)));
    await get(store, 'a');
    store.set('d', data(now + 60_000, signedIn('d')));
    expect(store.size).to.equal(3);
    expect(await get(store, 'b')).to.equal(null);
    expect(await get(store, 'a')).to.not.equal(null);
  });

  it('holds at most maxAnonymousSessions sessions without a user, dropping the least recently used', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxAnonymousSessions: 3 });
    for (const sid of ['a', 'b', 'c']) store.set(sid, data(now + 60_000, pending()));
    await get(store, 'a');
    store.set('d', data(now + 60_000, pending()));
    expect(store.size).to.equal(3);
    expect(await get(store, 'b')).to.equal(null);
    expect(await get(store, 'a')).to.not.equal(null);
  });

  it('holds at most maxBytes of signed-in sessions and maxAnonymousBytes of the others', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxBytes: 2000, maxAnonymousBytes: 2000 });
    for (let i = 0; i < 10; i++) store.set(`u${i}`, data(now + 60_000, { ...signedIn(`u${i}`), pad: 'x'.repeat(500) }));
    for (let i = 0; i < 10; i++) store.set(`p${i}`, data(now + 60_000, { ...pending(), pad: 'x'.repeat(500) }));
    expect(store.signedInSize).to.be.within(1, 3);
    expect(store.size - store.signedInSize).to.be.within(1, 3);
  });

  it('never evicts a signed-in session to make room for anonymous ones', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxSessions: 100, maxAnonymousSessions: 50 });
    for (let i = 0; i < 100; i++) store.set(`u${i}`, data(now + 60_000, signedIn(`u${i}`)));
    for (let i = 0; i < 20_000; i++) store.set(`p${i}`, data(now + 60_000, pending()));
    expect(store.signedInSize).to.equal(100);
    for (let i = 0; i < 100; i++) expect(await get(store, `u${i}`), `u${i}`).to.deep.include(signedIn(`u${i}`));
    expect(store.size).to.equal(150);
  });

  it('moves a session to the signed-in sessions when its user signs in, and back when they sign out', async () => {
    const store = new BoundedMemoryStore({ now: clock, maxAnonymousSessions: 1 });
    store.set('a', data(now + 60_000, pending()));
    store.set('a', data(now + 60_000, signedIn('ada')));
    store.set('b', data(now + 60_000, pending()));
    expect(await get(store, 'a')).to.deep.include(signedIn('ada'));
    expect(store.signedInSize).to.equal(1);
    store.set('a', data(now + 60_000, pending()));
    expect(store.signedInSize).to.equal(0);
    expect(store.size).to.equal(1);
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

  it('keeps on touch what another request saved since this one read the session', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000, { tab: 'first' }));
    const stale = (await get(store, 'a')) as session.SessionData;
    store.set('a', data(now + 60_000, { tab: 'second' }));
    store.touch('a', { ...stale, cookie: { ...stale.cookie, expires: new Date(now + 120_000) } } as session.SessionData);
    const after = (await get(store, 'a')) as { tab: string; cookie: { expires: string } };
    expect(after.tab).to.equal('second');
    expect(new Date(after.cookie.expires).getTime()).to.equal(now + 120_000);
    now += 90_000;
    expect(await get(store, 'a')).to.not.equal(null);
  });

  it('never shortens a session on touch with an older, earlier expiry', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000, signedIn('ada')));
    store.touch('a', data(now + 1000));
    now += 30_000;
    expect(await get(store, 'a')).to.deep.include(signedIn('ada'));
  });

  it('does not bring back on touch a session destroyed meanwhile', async () => {
    const store = new BoundedMemoryStore({ now: clock });
    store.set('a', data(now + 60_000, signedIn('ada')));
    store.destroy('a');
    store.touch('a', data(now + 60_000, signedIn('ada')));
    expect(await get(store, 'a')).to.equal(null);
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

    it('keeps both tabs’ pending sign-ins when a slow request of a third tab ends after the second started', async () => {
      const store = new HoldingStore();
      const ex = await startExample({ deps: { sessionStore: store } });
      try {
        const tabs = ex.browser();
        await beginSignIn(tabs);
        // A page load that read the session (one pending sign-in) and is still running.
        const held = store.holdNextGet();
        const slow = tabs.get('/').then((res) => res);
        await held.reading;
        const second = await beginSignIn(tabs);
        held.release();
        expect((await slow).status).to.equal(200);
        const sid = unsignedSessionId(
          tabs.jar.getCookie('ultracart-example.sid', { path: '/', domain: '127.0.0.1', secure: false, script: false })!.value,
        );
        const stored = (await get(store, sid)) as Record<string, unknown[]>;
        expect(stored['ultracart:pending']).to.have.length(2);
        const res = await tabs.get(pathOf(await ex.ultracart.approve(second))).expect(302);
        expect(res.headers.location).to.equal('/profile');
      } finally {
        await ex.close();
      }
    });
  });
});

/** The app's store, with one read that can be held back: a request that reads the session and then takes its time. */
class HoldingStore extends BoundedMemoryStore {
  private hold: { read: () => void; answer?: () => void } | undefined;

  holdNextGet(): { reading: Promise<void>; release: () => void } {
    let read!: () => void;
    const reading = new Promise<void>((resolve) => (read = resolve));
    const hold: { read: () => void; answer?: () => void } = { read };
    this.hold = hold;
    return { reading, release: () => hold.answer?.() };
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const hold = this.hold;
    if (!hold) return super.get(sid, callback);
    this.hold = undefined;
    super.get(sid, (err, data) => {
      hold.answer = () => callback(err, data);
      hold.read();
    });
  }
}
