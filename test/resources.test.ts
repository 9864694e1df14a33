import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
import { Agent } from 'undici';
import { CookieStateStore } from '../src/index.js';
import { startHarness, type Harness } from './support/harness.js';
import { pool } from './support/pool.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function settledHeap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

describe('resources under abandoned sign-ins', function () {
  this.timeout(120_000);
  let h: Harness;
  let server: Server;
  let base: string;
  const agent = new Agent({ connections: 32 });

  before(async () => {
    h = await startHarness({ strategy: { stateStore: new CookieStateStore({ secret: 'x'.repeat(32), secure: false }) } });
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await agent.close();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  it('keeps the heap bounded after 10,000 sign-ins that never come back', async () => {
    const signIn = async () => {
      const res = await fetch(`${base}/login`, { redirect: 'manual', dispatcher: agent } as unknown as RequestInit);
      await res.arrayBuffer();
      expect(res.status).to.equal(302);
    };
    await pool(500, 32, signIn); // warm up: JIT, pools, lazily created modules
    const before = settledHeap();
    await pool(10_000, 32, signIn);
    h.emulator.reset(); // the emulator's call log is test bookkeeping, not the app's
    const growth = settledHeap() - before;
    // Nothing is kept per abandoned sign-in on the server with the cookie store; the bound is generous for GC noise.
    expect(growth, `heap grew by ${Math.round(growth / 1024)} KiB`).to.be.below(24 * 1024 * 1024);
  });
});
