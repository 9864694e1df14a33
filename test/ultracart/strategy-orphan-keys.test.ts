import type { AddressInfo } from 'node:net';
import { Authenticator } from '@fastify/passport';
import fastifySecureSession from '@fastify/secure-session';
import { expect } from 'chai';
import session from 'express-session';
import Fastify, { type FastifyInstance } from 'fastify';
import { UltraCartStrategy, type VerifyFunction } from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { Browser, pathOf } from '../support/browser.js';
import { beginSignIn, callbackPath, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

type Callback = (err?: unknown) => void;

/** A session store that is down for what `failing` names, as Redis is during a fail-over. */
class FailingStore extends session.MemoryStore {
  failing: { saveSignedIn?: boolean; destroy?: boolean } = {};

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    if (this.failing.saveSignedIn && (data as { passport?: unknown }).passport) return callback?.(new Error('session store unavailable'));
    super.set(sid, data, callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    if (this.failing.destroy) return callback?.(new Error('session store unavailable'));
    super.destroy(sid, callback);
  }
}

const STACKS: Array<[string, HarnessOptions]> = [
  ['Express 5 and passport 0.7', {}],
  ['Express 4 and passport 0.7', { express4: true }],
  ['Express 5 and passport 0.6', { passport06: true }],
  ['Express 4 and passport 0.6', { express4: true, passport06: true }],
];

/*
 * A key UltraCart issued must not stay live when no session holds it. The
 * emulator knows which keys are live, so each test counts them.
 */
describe('keys left live without a session', () => {
  let h: Harness;
  afterEach(() => h.close());

  /** A browser whose sign-in UltraCart approved, and the callback path it will request. */
  async function approved(): Promise<{ browser: ReturnType<Harness['browser']>; callback: string }> {
    const browser = h.browser();
    return { browser, callback: callbackPath(await h.emulator.approve(await beginSignIn(browser))) };
  }

  for (const [stack, options] of STACKS) {
    describe(`with ${stack}, when the session store fails right after the token exchange`, () => {
      let store: FailingStore;
      beforeEach(async () => {
        store = new FailingStore();
        h = await startHarness({ ...options, sessionStore: store, strategy: { revokeRetry: { firstDelayMs: 20 } } });
        // express-session's own save at the end of the error page fails too; Express reports
        // errors after a response to stderr except in its test mode.
        h.app.set('env', 'test');
      });

      it('keeps the key live when the session is saved, so the counting below can fail', async () => {
        const { browser, callback } = await approved();
        await browser.get(callback).expect(302);
        expect(h.emulator.liveKeys()).to.equal(1);
      });

      it('revokes the new key when saving the signed-in session fails, leaving no key live', async () => {
        const { browser, callback } = await approved();
        store.failing.saveSignedIn = true;
        const res = await browser.get(callback);
        expect(res.status).to.equal(500);
        expect(h.emulator.count('token')).to.equal(1);
        expect(h.emulator.count('revoke')).to.equal(1);
        expect(h.emulator.liveKeys()).to.equal(0);
      });

      it('revokes the new key when regenerating the session fails, leaving no key live', async () => {
        const { browser, callback } = await approved();
        store.failing.destroy = true;
        const res = await browser.get(callback);
        expect(res.status).to.equal(500);
        expect(h.emulator.liveKeys()).to.equal(0);
      });

      it('revokes it in the background when UltraCart fails that revoke too, until none is live', async () => {
        const { browser, callback } = await approved();
        store.failing.saveSignedIn = true;
        h.emulator.inject('revoke', { status: 503 });
        await browser.get(callback).expect(500);
        expect(h.emulator.liveKeys()).to.equal(1);
        await h.strategy.client.revocations.idle();
        expect(h.emulator.liveKeys()).to.equal(0);
      });
    });
  }

  describe('when the verify function throws after the token exchange', () => {
    it('revokes the key it was given, leaving no key live', async () => {
      const verify: VerifyFunction = () => {
        throw new Error('database down');
      };
      h = await startHarness({ verify });
      const { browser, callback } = await approved();
      expect((await browser.get(callback)).status).to.equal(500);
      expect(h.emulator.count('revoke')).to.equal(1);
      expect(h.emulator.liveKeys()).to.equal(0);
    });

    it('revokes the key when a promise-style verify rejects', async () => {
      h = await startHarness({ verify: (async () => Promise.reject(new Error('database down'))) as unknown as VerifyFunction });
      const { browser, callback } = await approved();
      expect((await browser.get(callback)).status).to.equal(500);
      expect(h.emulator.liveKeys()).to.equal(0);
    });
  });
});

describe('keys left live without a session, under @fastify/passport', () => {
  let emulator: UltraCartEmulator;
  let app: FastifyInstance;
  afterEach(async () => {
    await app.close();
    await emulator.close();
  });

  it('revokes the new key when logIn rejects (the user cannot be serialised into the session), leaving no key live', async () => {
    emulator = await startUltraCartEmulator();
    app = Fastify();
    await app.register(fastifySecureSession, { key: Buffer.alloc(32, 7), cookieName: 'sid', cookie: { path: '/', secure: false } });
    const passport = new Authenticator();
    await app.register(passport.initialize());
    await app.register(passport.secureSession());
    passport.registerUserSerializer(async () => {
      throw new Error('session store unavailable');
    });
    app.get('/login', passport.authenticate('ultracart'));
    app.get('/auth/ultracart/callback', passport.authenticate('ultracart', { successRedirect: '/me' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const strategy = new UltraCartStrategy(
      { callbackURL: `http://127.0.0.1:${port}/auth/ultracart/callback`, baseURL: emulator.url, simpleKey: emulator.appKey },
      async (_key, _token, profile) => ({ id: profile.id }),
    );
    passport.use('ultracart', strategy as never);

    const browser = new Browser(`http://127.0.0.1:${port}`);
    const loginUrl = (await browser.get('/login')).headers.get('location')!;
    const res = await browser.get(pathOf(await emulator.approve(loginUrl)));
    expect(res.status).to.equal(500);
    expect(emulator.count('revoke')).to.equal(1);
    expect(emulator.liveKeys()).to.equal(0);
  });
});
