import { spawn } from 'node:child_process';
import { format } from 'node:util';
import { expect } from 'chai';
import { UltraCartClient, type RevocationEvent, type UltraCartConnectionSettings } from '../../src/index.js';
import { DEFAULT_CONNECTIONS_PER_ORIGIN } from '../../src/http/transport.js';
import { log } from '../../src/log.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

const REDIRECT_URI = 'https://shop.example.com/auth/ultracart/callback';
const STATE = 'S'.repeat(43);

/** A client of `emulator` that records every revocation event. */
function clientOf(emulator: UltraCartEmulator, options: UltraCartConnectionSettings = {}) {
  const client = new UltraCartClient({ simpleKey: emulator.appKey, baseURL: emulator.url, ...options });
  const events: RevocationEvent[] = [];
  client.revocations.on('revocation', (event) => events.push(event));
  return { client, events };
}

/** A user simple key the emulator issued and still accepts. */
async function liveKey(client: UltraCartClient, emulator: UltraCartEmulator): Promise<string> {
  const { loginUrl } = await client.authorize(REDIRECT_URI, STATE);
  const code = new URL(await emulator.approve(loginUrl)).searchParams.get('code')!;
  return (await client.token(code)).simpleKey;
}

/** Resolves once `check` holds, polling; fails the test after `withinMs`. */
async function eventually(check: () => boolean, withinMs = 5000): Promise<void> {
  const until = Date.now() + withinMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('revoking simple keys', () => {
  let emulator: UltraCartEmulator;
  beforeEach(async () => {
    emulator = await startUltraCartEmulator();
  });
  afterEach(() => emulator.close());

  describe('while stalled sign-ins hold every pooled connection', () => {
    it('sends the revoke to UltraCart within a second, on a connection of its own', async () => {
      const { client } = clientOf(emulator, { timeoutMs: 8000 });
      const key = await liveKey(client, emulator);
      const connectionsBefore = emulator.connections;
      // Twice the pool: every connection held by a stalled token call, and as many queued behind them.
      const stalled = DEFAULT_CONNECTIONS_PER_ORIGIN * 2;
      emulator.inject('token', { behaviour: 'hang' }, stalled);
      const signIns = Array.from({ length: stalled }, () => client.token('stalled-code').catch(() => undefined));
      await eventually(() => emulator.count('token') >= 1 + DEFAULT_CONNECTIONS_PER_ORIGIN);

      const started = Date.now();
      await client.revokeSession(key);
      const delay = Date.now() - started;

      expect(delay).to.be.below(1000);
      expect(emulator.isLive(key)).to.equal(false);
      expect(emulator.count('token')).to.equal(1 + DEFAULT_CONNECTIONS_PER_ORIGIN);
      expect(emulator.connections - connectionsBefore).to.be.at.most(DEFAULT_CONNECTIONS_PER_ORIGIN + 1);
      await emulator.close();
      await Promise.all(signIns);
    });

    it('revokes with revokeWithRetry at once too, reporting "revoked" on the first attempt', async () => {
      const { client, events } = clientOf(emulator, { timeoutMs: 8000 });
      const key = await liveKey(client, emulator);
      emulator.inject('user', { behaviour: 'hang' }, DEFAULT_CONNECTIONS_PER_ORIGIN);
      const lookups = Array.from({ length: DEFAULT_CONNECTIONS_PER_ORIGIN }, () => client.sessionUser(key).catch(() => undefined));
      await eventually(() => emulator.count('user') === DEFAULT_CONNECTIONS_PER_ORIGIN);

      expect(await client.revokeWithRetry(key)).to.equal('revoked');
      expect(events.map((e) => [e.outcome, e.attempt, e.background])).to.deep.equal([['revoked', 1, false]]);
      await emulator.close();
      await Promise.all(lookups);
    });
  });

  describe('when UltraCart fails the revoke', () => {
    it('retries in the background until UltraCart accepts it', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: { firstDelayMs: 20 } });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 503 }, 2);

      expect(await client.revokeWithRetry(key)).to.equal('retrying');
      await client.revocations.idle();

      expect(events.map((e) => e.outcome)).to.deep.equal(['retrying', 'retrying', 'revoked']);
      expect(events.map((e) => e.background)).to.deep.equal([false, true, true]);
      expect(emulator.count('revoke')).to.equal(3);
      expect(emulator.isLive(key)).to.equal(false);
    });

    it('retries after a timeout and a dropped connection, not only after a 5xx', async () => {
      const { client, events } = clientOf(emulator, { timeoutMs: 200, revokeRetry: { firstDelayMs: 20 } });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { behaviour: 'hang' });
      emulator.inject('revoke', { behaviour: 'reset' });

      await client.revokeWithRetry(key);
      await client.revocations.idle();

      expect(events.map((e) => [e.outcome, e.code])).to.deep.equal([
        ['retrying', 'ULTRACART_TIMEOUT'],
        ['retrying', 'ULTRACART_UNAVAILABLE'],
        ['revoked', undefined],
      ]);
      expect(emulator.isLive(key)).to.equal(false);
    });

    it('gives up after the configured number of attempts', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: { attempts: 3, firstDelayMs: 10 } });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 500 }, 10);

      await client.revokeWithRetry(key);
      await client.revocations.idle();

      expect(events.map((e) => e.outcome)).to.deep.equal(['retrying', 'retrying', 'abandoned']);
      expect(emulator.count('revoke')).to.equal(3);
      expect(client.revocations.retrying).to.equal(0);
    });

    it('gives up once the next attempt would start after withinMs', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: { attempts: 100, firstDelayMs: 40, withinMs: 200 } });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 503 }, 100);

      const started = Date.now();
      await client.revokeWithRetry(key);
      await client.revocations.idle();

      expect(events.at(-1)!.outcome).to.equal('abandoned');
      expect(events.at(-1)!.elapsedMs).to.be.at.most(200 + 100);
      expect(Date.now() - started).to.be.below(1000);
      expect(emulator.count('revoke')).to.be.within(2, 4);
    });

    it('waits at least as long as a Retry-After UltraCart sends with a 429', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: { firstDelayMs: 10 } });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 429, headers: { 'Retry-After': '1' } });

      await client.revokeWithRetry(key);
      expect(events[0]!.retryInMs).to.be.at.least(1000);
      client.revocations.stop();
    });

    it('reports a key UltraCart no longer accepts (401) as already ended, without retrying', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: { firstDelayMs: 10 } });
      const key = await liveKey(client, emulator);
      await client.revokeSession(key);

      expect(await client.revokeWithRetry(key)).to.equal('already-ended');
      expect(events.map((e) => e.outcome)).to.deep.equal(['already-ended']);
      expect(emulator.count('revoke')).to.equal(2);
    });

    it('does not retry a revoke UltraCart refuses with a 400', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: { firstDelayMs: 10 } });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 400 }, 5);

      expect(await client.revokeWithRetry(key)).to.equal('abandoned');
      expect(events.map((e) => [e.outcome, e.upstreamStatus])).to.deep.equal([['abandoned', 400]]);
      expect(emulator.count('revoke')).to.equal(1);
    });

    it('makes one attempt only with revokeRetry: false', async () => {
      const { client, events } = clientOf(emulator, { revokeRetry: false });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 503 });

      expect(await client.revokeWithRetry(key)).to.equal('abandoned');
      expect(events).to.have.length(1);
    });

    it('never writes the key in a log line or an event', async () => {
      const lines: string[] = [];
      const logger = log.ultracart;
      const { enabled, log: write } = logger;
      logger.enabled = true;
      logger.log = (...args: unknown[]) => lines.push(format(...args));
      try {
        const { client, events } = clientOf(emulator, { revokeRetry: { attempts: 2, firstDelayMs: 10 } });
        const key = await liveKey(client, emulator);
        emulator.inject('revoke', { status: 503 }, 2);
        await client.revokeWithRetry(key);
        await client.revocations.idle();
        expect(lines.join('\n')).to.match(/retrying in \d+ ms/);
        expect(lines.join('\n')).to.match(/abandoned after 2 attempt/);
        expect(lines.join('\n')).to.not.include(key);
        expect(JSON.stringify(events)).to.not.include(key);
      } finally {
        logger.enabled = enabled;
        logger.log = write;
      }
    });

    it('survives a revocation listener that throws', async () => {
      const { client } = clientOf(emulator, { revokeRetry: { firstDelayMs: 10 } });
      client.revocations.on('revocation', () => {
        throw new Error('listener bug');
      });
      const key = await liveKey(client, emulator);
      emulator.inject('revoke', { status: 503 });
      expect(await client.revokeWithRetry(key)).to.equal('retrying');
      await client.revocations.idle();
      expect(emulator.isLive(key)).to.equal(false);
    });
  });

  describe('a simple key that arrives after the token call gave up', () => {
    it('is revoked, so no key is left live that nobody holds', async () => {
      const { client } = clientOf(emulator, { timeoutMs: 200 });
      const { loginUrl } = await client.authorize(REDIRECT_URI, STATE);
      const code = new URL(await emulator.approve(loginUrl)).searchParams.get('code')!;
      emulator.inject('token', { delayMs: 500 });

      const err = await client.token(code).then(
        () => undefined,
        (e: unknown) => e as { code?: string },
      );
      expect(err?.code).to.equal('ULTRACART_TIMEOUT');
      await eventually(() => emulator.count('revoke') === 1);
      await client.revocations.idle();
      expect(emulator.liveKeys()).to.equal(0);
    });
  });

  describe('pending retries and the process', () => {
    it('do not keep a process from exiting', async function () {
      this.timeout(20_000);
      // A revoke to a port nobody listens on, with the first retry a minute away.
      const script = `
        import { UltraCartClient } from './src/index.js';
        const client = new UltraCartClient({ simpleKey: 'app', baseURL: 'http://127.0.0.1:9/rest/v2', timeoutMs: 500, revokeRetry: { firstDelayMs: 60000, withinMs: 120000 } });
        const outcome = await client.revokeWithRetry('user-key');
        console.log(outcome);
      `;
      const started = Date.now();
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(out.trim()).to.equal('retrying');
      expect(code).to.equal(0);
      expect(Date.now() - started).to.be.below(15_000);
    });
  });
});
