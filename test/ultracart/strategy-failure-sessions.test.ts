import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import session from 'express-session';
import { Agent, request } from 'undici';
import { FailureMessages } from '../../src/index.js';
import { beginSignIn, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';
import { pool } from '../support/pool.js';

const FLOOD = 500;

/** express-session's MemoryStore, read back: every stored session by id. */
function sessionsIn(store: session.MemoryStore): Promise<Record<string, session.SessionData>> {
  return new Promise((resolve, reject) =>
    store.all((err, all) => (err ? reject(err) : resolve((all ?? {}) as Record<string, session.SessionData>))),
  );
}

/**
 * Threat model case 51 at the strategy: Passport's `failureMessage` appends to
 * `req.session.messages`, which creates a session for a browser that had none and grows one
 * message per failure. The strategy decides how a refusal is delivered, so neither happens.
 */
describe('UltraCartStrategy: what a failed callback leaves in the session', function () {
  this.timeout(30_000);
  let h: Harness;
  let store: session.MemoryStore;
  let server: Server;
  let origin: string;
  const agent = new Agent({ connections: 8 });

  async function start(options: HarnessOptions = {}): Promise<void> {
    store = new session.MemoryStore();
    h = await startHarness({ sessionStore: store, ...options });
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });
  after(() => agent.close());

  /** Sends `total` bad callbacks (with `cookie` if given); resolves to the statuses and how many answers set a cookie. */
  async function flood(total: number, cookie?: string): Promise<{ statuses: Set<number>; cookies: number }> {
    const statuses = new Set<number>();
    let cookies = 0;
    let sent = 0;
    await pool(total, 8, async () => {
      const state = String(sent++).padStart(43, 'A');
      const res = await request(`${origin}/auth/ultracart/callback?code=c&state=${state}`, {
        dispatcher: agent,
        headers: cookie ? { cookie } : {},
      });
      await res.body.dump();
      statuses.add(res.statusCode);
      if (res.headers['set-cookie']) cookies += 1;
    });
    return { statuses, cookies };
  }

  /** A browser with a pending sign-in, so it has a stored session; resolves to its cookie. */
  async function browserWithSession(): Promise<{ cookie: string; sid: string }> {
    const res = await request(`${origin}/login`, { dispatcher: agent });
    await res.body.dump();
    const line = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
    const cookie = line.split(';', 1)[0]!;
    const sid = decodeURIComponent(cookie.slice('sid='.length)).slice(2).split('.')[0]!;
    return { cookie, sid };
  }

  for (const [situation, callbackOptions, status] of [
    ['with failureMessage: true and no failureRedirect', { failureMessage: true }, 403],
    ['with failureRedirect and failureMessage: true', { failureRedirect: '/failed', failureMessage: true }, 302],
    ['with failureRedirect alone', { failureRedirect: '/failed' }, 302],
  ] as const) {
    describe(situation, () => {
      beforeEach(() => start({ callbackOptions }));

      it(`creates no session and sets no cookie for ${FLOOD} bad callbacks from browsers without one`, async () => {
        const outcome = await flood(FLOOD);
        expect(outcome.cookies).to.equal(0);
        expect(Object.keys(await sessionsIn(store))).to.deep.equal([]);
        expect([...outcome.statuses]).to.deep.equal([status]);
      });

      it(`keeps one browser's session under 2 KB through ${FLOOD} bad callbacks, with only the latest message`, async () => {
        const { cookie, sid } = await browserWithSession();
        await flood(FLOOD, cookie);
        const kept = (await sessionsIn(store))[sid] as (session.SessionData & { messages?: string[] }) | undefined;
        expect(kept).to.not.equal(undefined);
        expect(Buffer.byteLength(JSON.stringify(kept))).to.be.below(2048);
        const wanted = (callbackOptions as { failureMessage?: boolean }).failureMessage ? [FailureMessages.noPendingSignIn] : undefined;
        expect(kept!.messages).to.deep.equal(wanted);
      });
    });
  }

  describe('with failureRedirect and failureMessage: true', () => {
    beforeEach(() => start({ callbackOptions: { failureRedirect: '/failed?from=ultracart#top', failureMessage: true } }));

    it('adds the reason to a failureRedirect that has a query and a fragment of its own', async () => {
      const res = await h.browser().get('/auth/ultracart/callback').expect(302);
      expect(res.headers.location).to.equal('/failed?from=ultracart&reason=noPendingSignIn#top');
    });

    it('keeps the message of the first failure of a browser that has a session, and its reason reaches the page', async () => {
      const browser = h.browser();
      await beginSignIn(browser);
      const res = await browser.get(`/auth/ultracart/callback?code=c&state=${'B'.repeat(43)}`).expect(302);
      expect(res.headers.location).to.equal('/failed?from=ultracart&reason=stateMismatch#top');
      expect((await browser.get('/me')).body.messages).to.deep.equal([FailureMessages.stateMismatch]);
    });

    it('sends a refusal by the verify function to the failure page as notAllowed', async () => {
      await h.close();
      server.close();
      await start({
        callbackOptions: { failureRedirect: '/failed', failureMessage: true },
        verify: (_key, _token, _profile, done) => done(null, false, { message: 'Only staff may sign in here.' }),
      });
      const browser = h.browser();
      const login = await beginSignIn(browser);
      const callback = new URL(await h.emulator.approve(login));
      const res = await browser.get(callback.pathname + callback.search).expect(302);
      expect(res.headers.location).to.equal('/failed?reason=notAllowed');
      expect((await browser.get('/me')).body.messages).to.deep.equal(['Only staff may sign in here.']);
    });
  });
});
