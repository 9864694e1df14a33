import { expect } from 'chai';
import { UltraCartClient, type UltraCartApiError } from '../../src/index.js';
import { DEFAULT_CONNECTIONS_PER_ORIGIN } from '../../src/http/transport.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

const REDIRECT_URI = 'https://shop.example.com/auth/ultracart/callback';
const STATE = 'S'.repeat(43);
const TIMEOUT_MS = 600;
/** What "a small margin" is allowed to be on a loaded two-core machine. */
const MARGIN_MS = 400;

interface Outcome {
  code: string | undefined;
  tookMs: number;
}

/** Starts `count` authorize calls at once and resolves to how each ended and how long it took. */
function burst(client: UltraCartClient, count: number): Promise<Outcome[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const started = Date.now();
      const code = await client.authorize(REDIRECT_URI, STATE).then(
        () => undefined,
        (err: UltraCartApiError) => err.code,
      );
      return { code, tookMs: Date.now() - started };
    }),
  );
}

/*
 * Ten times the pool size queued on an UltraCart that accepts connections
 * and never answers. Each call must end at its deadline, whether it was waiting for a connection
 * or had one, and the calls must not open a connection each.
 */
describe('deadlines under a full pool', () => {
  let emulator: UltraCartEmulator;
  let client: UltraCartClient;
  const calls = DEFAULT_CONNECTIONS_PER_ORIGIN * 10;

  beforeEach(async () => {
    emulator = await startUltraCartEmulator();
    client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url, timeoutMs: TIMEOUT_MS });
    emulator.inject('authorize', { behaviour: 'hang' }, calls * 2);
  });
  afterEach(() => emulator.close());

  it(`ends each of ${calls} calls to a stalled UltraCart within timeoutMs plus a small margin, as a timeout`, async () => {
    const outcomes = await burst(client, calls);
    const latest = Math.max(...outcomes.map((o) => o.tookMs));
    expect(outcomes.every((o) => o.code === 'ULTRACART_TIMEOUT')).to.equal(true);
    expect(latest).to.be.at.least(TIMEOUT_MS - 5);
    expect(latest).to.be.below(TIMEOUT_MS + MARGIN_MS);
  });

  it('opens no more connections than the pool holds, and none for a call that timed out waiting', async () => {
    await burst(client, calls);
    expect(emulator.connections).to.equal(DEFAULT_CONNECTIONS_PER_ORIGIN);
    expect(emulator.count('authorize')).to.equal(DEFAULT_CONNECTIONS_PER_ORIGIN);
    // Nothing queued reaches UltraCart once its caller has given up.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(emulator.connections).to.equal(DEFAULT_CONNECTIONS_PER_ORIGIN);
    expect(emulator.count('authorize')).to.equal(DEFAULT_CONNECTIONS_PER_ORIGIN);
  });

  it('gives a second wave at most the pool size in new connections while the first one still stalls', async () => {
    await burst(client, calls);
    const outcomes = await burst(client, calls);
    expect(Math.max(...outcomes.map((o) => o.tookMs))).to.be.below(TIMEOUT_MS + MARGIN_MS);
    // The first wave's exchanges linger for a late answer without holding the second wave back (issue 18).
    expect(emulator.count('authorize')).to.equal(2 * DEFAULT_CONNECTIONS_PER_ORIGIN);
    expect(emulator.connections).to.be.at.most(2 * DEFAULT_CONNECTIONS_PER_ORIGIN);
  });

  it('shares one bound between two clients of the same origin', async () => {
    const other = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url, timeoutMs: TIMEOUT_MS });
    await Promise.all([burst(client, calls / 2), burst(other, calls / 2)]);
    expect(emulator.connections).to.equal(DEFAULT_CONNECTIONS_PER_ORIGIN);
  });
});

describe('a call whose connection frees up after a stall', () => {
  let emulator: UltraCartEmulator;
  afterEach(() => emulator.close());

  it('reuses the connection a timed-out call kept, once UltraCart answers it late', async () => {
    emulator = await startUltraCartEmulator();
    const client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url, timeoutMs: 200 });
    await client.authorize(REDIRECT_URI, STATE);
    emulator.inject('authorize', { delayMs: 500 });
    const late = await client.authorize(REDIRECT_URI, STATE).then(
      () => undefined,
      (err: UltraCartApiError) => err.code,
    );
    expect(late).to.equal('ULTRACART_TIMEOUT');
    const afterTimeout = emulator.connections;
    await new Promise((resolve) => setTimeout(resolve, 600));
    await client.authorize(REDIRECT_URI, STATE);
    await client.authorize(REDIRECT_URI, STATE);
    expect(emulator.connections).to.equal(afterTimeout);
  });
});
