import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { UltraCartUser } from 'passport-ultracart';
import { startExample, textById, type Example } from '../example-app/support.js';
import { Browser, pathOf } from '../support/browser.js';

const BROWSERS = 500;

/** Distinct UltraCart users u1..u500, so a mix-up shows as the wrong login on a profile. */
const USERS: UltraCartUser[] = Array.from({ length: BROWSERS }, (_, i) => ({
  user_id: i + 1,
  login: `u${i + 1}`,
  email: `u${i + 1}@example.com`,
  full_name: `User ${i + 1}`,
  permissions: [],
}));

interface Outcome {
  login: string;
  /** What went wrong, or undefined when this browser ended up on its own profile. */
  problem?: string;
  sessionCookie?: string;
}

/** One browser's whole sign-in: start, approve at UltraCart as `login`, come back, open the profile. */
async function signInAs(ex: Example, origin: string, login: string): Promise<Outcome> {
  const browser = new Browser(origin);
  try {
    const start = await browser.get('/auth/ultracart');
    if (start.status !== 302) return { login, problem: `sign-in answered ${start.status}` };
    const callback = await ex.ultracart.approve(start.headers.get('location')!, login);
    const back = await browser.get(pathOf(callback));
    if (back.status !== 302 || back.headers.get('location') !== '/profile') {
      return { login, problem: `callback answered ${back.status} to ${back.headers.get('location')}` };
    }
    const profile = await browser.get('/profile');
    if (profile.status !== 200) return { login, problem: `profile answered ${profile.status}` };
    const html = await profile.text();
    const shown = textById(html, 'profile-login');
    if (shown !== login) return { login, problem: `profile shows ${shown}` };
    return { login, sessionCookie: browser.cookie('ultracart-example.sid') };
  } catch (err) {
    return { login, problem: err instanceof Error ? err.message : 'unknown failure' };
  }
}

describe('load: 500 browsers signing in at once through the example app', function () {
  this.timeout(30_000);
  let ex: Example;
  let server: Server;
  let outcomes: Outcome[];

  before(async () => {
    ex = await startExample({
      ultracart: { users: USERS },
      // Every browser comes from 127.0.0.1: the per-IP limit would otherwise stop all but 50.
      settings: { rateLimit: { windowMs: 60_000, limit: 10 * BROWSERS } },
    });
    server = ex.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    outcomes = await Promise.all(USERS.map((user) => signInAs(ex, origin, user.login!)));
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ex.close();
  });

  it('lands every browser on the profile of exactly the user it approved as', () => {
    const problems = outcomes.filter((o) => o.problem).map((o) => `${o.login}: ${o.problem}`);
    expect(problems, problems.slice(0, 5).join('; ')).to.deep.equal([]);
  });

  it('logs no error for any of them', () => {
    expect(ex.logged.filter((line) => line.startsWith('error:'))).to.deep.equal([]);
    expect(ex.logged.filter((line) => / 5\d\d \d+ms$/.test(line))).to.deep.equal([]);
  });

  it('gives every browser a session of its own', () => {
    const cookies = new Set(outcomes.map((o) => o.sessionCookie));
    expect(cookies.size).to.equal(BROWSERS);
    expect(cookies.has(undefined)).to.equal(false);
  });

  it('makes exactly one authorize, token and user call per browser', () => {
    expect(ex.ultracart.count('authorize')).to.equal(BROWSERS);
    expect(ex.ultracart.count('token')).to.equal(BROWSERS);
    expect(ex.ultracart.count('user')).to.equal(BROWSERS);
  });

  it('fetched each user with a simple key of its own', () => {
    const keys = new Set(ex.ultracart.calls.filter((c) => c.endpoint === 'user').map((c) => c.headers['x-ultracart-simple-key']));
    expect(keys.size).to.equal(BROWSERS);
  });
});
