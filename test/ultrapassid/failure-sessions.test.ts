import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Agent, request } from 'undici';
import { UltrapassIdFailureMessages, UltrapassIdStrategy, type UltrapassIdAuthenticateOptions } from '../../src/index.js';
import { startUltrapassIdOidcEmulator, type UltrapassIdOidcEmulator } from '../../src/testing/index.js';
import { pool } from '../support/pool.js';

const FLOOD = 200;

/** express-session's MemoryStore, read back: every stored session by id. */
function sessionsIn(store: session.MemoryStore): Promise<Record<string, session.SessionData & { messages?: string[] }>> {
  return new Promise((resolve, reject) => store.all((err, all) => (err ? reject(err) : resolve((all ?? {}) as never))));
}

/**
 * The same promise as UltraCartStrategy's: Passport's `failureMessage` would create a session for a
 * browser that had none and grow one message per failure, so a flood of bad callbacks could fill
 * the session store. The strategy delivers its refusals itself.
 */
describe('UltrapassIdStrategy: what a failed callback leaves in the session', function () {
  this.timeout(30_000);
  let provider: UltrapassIdOidcEmulator;
  let store: session.MemoryStore;
  let server: Server;
  let origin: string;
  const agent = new Agent({ connections: 8 });

  async function start(callbackOptions: UltrapassIdAuthenticateOptions): Promise<void> {
    provider = await startUltrapassIdOidcEmulator();
    store = new session.MemoryStore();
    const passport = new Passport();
    const strategy = new UltrapassIdStrategy(
      { clientId: provider.clientId, callbackURL: 'http://localhost/auth/ultrapassid/callback', issuer: provider.issuer },
      (profile, _tokens, done) => done(null, { id: profile.id }),
    );
    passport.use(strategy as never);
    const app = express();
    app.use(session({ secret: 'test-secret-that-is-at-least-32-bytes-long', resave: false, saveUninitialized: false, name: 'sid', store }));
    app.use(passport.initialize());
    app.get('/login', passport.authenticate('ultrapassid'));
    app.get('/auth/ultrapassid/callback', passport.authenticate('ultrapassid', callbackOptions));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await provider.close();
  });
  after(() => agent.close());

  /** Sends `total` bad callbacks (with `cookie` if given); resolves to the statuses, locations and cookies set. */
  async function flood(total: number, cookie?: string): Promise<{ statuses: Set<number>; locations: Set<string>; cookies: number }> {
    const statuses = new Set<number>();
    const locations = new Set<string>();
    let cookies = 0;
    let sent = 0;
    await pool(total, 8, async () => {
      const state = String(sent++).padStart(43, 'A');
      const res = await request(`${origin}/auth/ultrapassid/callback?code=c&state=${state}`, {
        dispatcher: agent,
        headers: cookie ? { cookie } : {},
      });
      await res.body.dump();
      statuses.add(res.statusCode);
      if (typeof res.headers.location === 'string') locations.add(res.headers.location);
      if (res.headers['set-cookie']) cookies += 1;
    });
    return { statuses, locations, cookies };
  }

  /** A browser with a pending verification, so it has a stored session; resolves to its cookie and session id. */
  async function browserWithSession(): Promise<{ cookie: string; sid: string }> {
    const res = await request(`${origin}/login`, { dispatcher: agent });
    await res.body.dump();
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!.split(';', 1)[0]!;
    const sid = decodeURIComponent(cookie.slice('sid='.length)).slice(2).split('.')[0]!;
    return { cookie, sid };
  }

  for (const [situation, callbackOptions, status, location] of [
    ['with failureMessage: true and no failureRedirect', { failureMessage: true }, 403, undefined],
    [
      'with failureRedirect and failureMessage: true',
      { failureRedirect: '/failed', failureMessage: true },
      302,
      '/failed?reason=noPendingSignIn',
    ],
  ] as const) {
    describe(situation, () => {
      beforeEach(() => start(callbackOptions));

      it(`creates no session and sets no cookie for ${FLOOD} bad callbacks from browsers without one`, async () => {
        const outcome = await flood(FLOOD);
        expect(outcome.cookies).to.equal(0);
        expect(Object.keys(await sessionsIn(store))).to.deep.equal([]);
        expect([...outcome.statuses]).to.deep.equal([status]);
        expect([...outcome.locations]).to.deep.equal(location === undefined ? [] : [location]);
      });

      it(`keeps one browser's session to the latest message through ${FLOOD} bad callbacks`, async () => {
        const { cookie, sid } = await browserWithSession();
        await flood(FLOOD, cookie);
        const kept = (await sessionsIn(store))[sid];
        expect(kept).to.not.equal(undefined);
        expect(Buffer.byteLength(JSON.stringify(kept))).to.be.below(2048);
        expect(kept!.messages).to.deep.equal([UltrapassIdFailureMessages.noPendingSignIn]);
      });
    });
  }
});
