import { Agent as HttpAgent, get as httpGet, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'chai';
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

const WARM_UP = 4_000;
const ROUND = 750;
const ROUNDS = 4;
/**
 * Heap a sign-in may leave behind. Measured on a 2-core machine, once warm and without any leak,
 * heapUsed still drifts by 80-110 bytes a sign-in (V8's own weak lists and timers, per a heap
 * snapshot diff: no object of the app's grows), so this bound sits well above that drift: it fails
 * a leak of a request, a session, a socket or a closure per sign-in (each several hundred bytes or
 * more; RESOURCES_TEST_LEAK=1 keeps about 700 bytes a sign-in, and fails), while a bare 43-character
 * state in a Map (about 190 bytes) is within the drift at this volume. (The bound was 2.4 KB a
 * sign-in, over 10,000 sign-ins, in 47 s.)
 */
const BYTES_PER_SIGN_IN = 400;

describe('resources under abandoned sign-ins', function () {
  this.timeout(120_000);
  let h: Harness;
  let server: Server;
  let base: string;
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: 32 });
  const leaked = new Map<string, { expiresAt: number; headers: string }>();

  before(async () => {
    // The emulator runs in this process: it keeps no call log, and answers /sso/authorize with a
    // canned login URL, so what it would remember of each pending login does not count as ours.
    h = await startHarness({
      emulator: { maxRecordedCalls: 1 },
      strategy: { stateStore: new CookieStateStore({ secret: 'x'.repeat(32), secure: false }) },
    });
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    keepAlive.destroy();
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  /** `n` sign-ins that are started and never come back, as a crowd of 32 browsers would. */
  async function abandon(n: number): Promise<void> {
    const body = {
      login_url: `${h.emulator.origin}/login?request=abandoned`,
      expiration_dts: new Date(Date.now() + 600_000).toISOString(),
    };
    h.emulator.inject('authorize', { status: 200, body }, n);
    await pool(n, 32, async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpGet(`${base}/login`, { agent: keepAlive }, (res) => {
          res.resume();
          res.once('end', () => resolve(res.statusCode!));
        });
        req.once('error', reject);
      });
      expect(status).to.equal(302);
      // RESOURCES_TEST_LEAK=1 keeps what a store that forgot to expire would: the state and its request's headers.
      if (process.env.RESOURCES_TEST_LEAK)
        leaked.set(randomBytes(32).toString('base64url'), { expiresAt: Date.now(), headers: randomBytes(256).toString('hex') });
    });
  }

  it(`keeps the heap flat over ${ROUND * ROUNDS} sign-ins that never come back, once warm`, async () => {
    // JIT, pools, lazily created modules; the heap settles after a few thousand (measured: it rises
    // by about 650 KiB over the first 4,000 and is flat after that).
    await abandon(WARM_UP);
    const samples = [settledHeap()];
    for (let i = 0; i < ROUNDS; i++) {
      await abandon(ROUND);
      samples.push(settledHeap());
    }
    // The lowest heap of the last two samples against the lowest of the first two: one noisy
    // sample (a buffer not yet released) cannot fail the test, while a leak raises every sample.
    const growth = Math.min(...samples.slice(-2)) - Math.min(...samples.slice(0, 2));
    const bound = BYTES_PER_SIGN_IN * ROUND * (ROUNDS - 2); // the two minima may be only two rounds apart
    const kib = samples.map((s) => Math.round((s - samples[0]!) / 1024));
    expect(growth, `heap after each round (KiB from the first): ${kib.join(', ')}`).to.be.below(bound);
  });
});
