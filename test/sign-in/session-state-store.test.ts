import type { IncomingMessage } from 'node:http';
import { expect } from 'chai';
import { SessionRemovalError, SessionStateStore } from '../../src/index.js';

const STATE = 'S'.repeat(43);
const OTHER = 'O'.repeat(43);

function requestWith(session: object): IncomingMessage {
  return { session } as unknown as IncomingMessage;
}

/** Reads and writes go to a hidden object, as in @fastify/secure-session; `delete` reaches nothing. */
function proxySession(): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  const target = { get: (k: string) => data[k], set: (k: string, v: unknown) => void (data[k] = v) };
  return new Proxy(target, {
    get: (t, prop: string) => (prop in t ? t[prop as 'get'] : t.get(prop)),
    set: (t, prop: string, value) => (t.set(prop, value), true),
  }) as unknown as Record<string, unknown>;
}

describe('SessionStateStore on session objects of different kinds', () => {
  describe('when the session ignores delete, as @fastify/secure-session does', () => {
    it('still removes every pending sign-in when a wrong state arrives', async () => {
      const store = new SessionStateStore();
      const req = requestWith(proxySession());
      await store.save(req, { state: STATE, expiresAt: Date.now() + 60_000 });
      expect((await store.take(req, OTHER)).pending).to.equal(undefined);
      expect(await store.take(req, STATE)).to.deep.equal({ pending: undefined, hadPending: false });
    });
  });

  describe('when the session will not let go of a key at all', () => {
    it('refuses the callback with a SessionRemovalError rather than keep a state that should be used up', async () => {
      const store = new SessionStateStore();
      const list = [{ state: STATE, expiresAt: Date.now() + 60_000 }];
      const stubborn = new Proxy({} as Record<string, unknown>, {
        get: (_t, prop) => (prop === 'ultracart:pending' ? list : undefined),
        set: () => true,
        deleteProperty: () => true,
      });
      const err = await store.take(requestWith(stubborn), OTHER).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(SessionRemovalError);
      expect((err as SessionRemovalError).status).to.equal(500);
    });
  });
});
