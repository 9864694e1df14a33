import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { Agent, request } from 'undici';
import type { BoundedMemoryStore } from '../../example-app/session-store.js';
import { startExample, type Example } from '../example-app/support.js';
import { pool } from '../support/pool.js';

// Fifty times the limit, from 32 connections at once: enough to show the limit holds under a flood.
const FLOOD = 1_000;
/** The example app's default RATE_LIMIT_PER_MINUTE. */
const LIMIT = 20;

/** Case 49: one IP opening the sign-in route 1,000 times, each a would-be PUT /sso/authorize. */
describe('a flood of sign-ins from one IP against the example app', function () {
  // About 1 s on two cores; the margin is for a machine busy with other test files.
  this.timeout(30_000);
  let ex: Example;
  let server: Server;
  const agent = new Agent({ connections: 32 });
  const statuses = new Map<number, number>();
  let newSessionCookies = 0;

  before(async () => {
    ex = await startExample({ settings: { rateLimit: { windowMs: 60_000, limit: LIMIT } } });
    server = ex.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await pool(FLOOD, 32, async () => {
      const res = await request(`${origin}/auth/ultracart`, { dispatcher: agent });
      await res.body.dump();
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.headers['set-cookie']) newSessionCookies += 1;
    });
  });
  after(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
    await ex.close();
  });

  it('sends only the first 20 to UltraCart and answers the rest 429', () => {
    expect(Object.fromEntries(statuses)).to.deep.equal({ 302: LIMIT, 429: FLOOD - LIMIT });
  });

  it('calls PUT /sso/authorize only for the requests let through', () => {
    expect(ex.ultracart.count('authorize')).to.equal(LIMIT);
  });

  it('creates a session only for the requests let through', () => {
    expect(newSessionCookies).to.equal(LIMIT);
    expect((ex.sessionStore as BoundedMemoryStore).size).to.equal(LIMIT);
  });
});
