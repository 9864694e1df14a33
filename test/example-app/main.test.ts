import { expect } from 'chai';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { spawnExampleApp, spawnNpmScript, type ExampleAppProcess } from '../support/example-app-process.js';

/** Every process under `pid` (Linux's /proc): npm's shell, if any, and the app. */
function descendantsOf(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('example app: npm start', function () {
  this.timeout(20_000);
  let running: ExampleAppProcess | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  describe('with no configuration', () => {
    it('prints the URL to open and serves the sign-in page there', async () => {
      running = spawnExampleApp({ PORT: '0' });
      const [, url] = await running.waitFor(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      const res = await fetch(url!);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.include('id="sign-in"');
    });

    it('starts a sign-in against the UltraCart emulator it started', async () => {
      running = spawnExampleApp({ PORT: '0' });
      const [, url] = await running.waitFor(/open (http:\/\/127\.0\.0\.1:\d+\/)/);
      const [, emulator] = /UltraCart emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())!;
      const res = await fetch(`${url}auth/ultracart`, { redirect: 'manual' });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.match(new RegExp(`^${emulator}/login\\?request=`));
    });

    it('shuts down cleanly on SIGTERM', async () => {
      running = spawnExampleApp({ PORT: '0' });
      await running.waitFor(/open http/);
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
    });
  });

  describe('started with `npm start`', () => {
    let started: number[] = [];
    afterEach(() => {
      for (const pid of started) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      started = [];
    });

    it('stops the app itself, not only npm, when npm is sent SIGTERM by its PID', async () => {
      running = spawnNpmScript('start', { PORT: '0' });
      await running.waitFor(/open http/);
      started = descendantsOf(running.child.pid!);
      expect(started).to.not.deep.equal([]);
      const npmExited = once(running.child, 'exit');
      running.child.kill('SIGTERM');
      await npmExited;
      // Bounded wait for the app's own shutdown; none at all when it is already gone.
      for (let tries = 0; tries < 50 && started.some(isRunning); tries++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(started.filter(isRunning), 'processes npm started, still running after npm stopped').to.deep.equal([]);
      expect(running.output()).to.include('SIGTERM: shutting down');
    });
  });

  describe('in production', () => {
    it('refuses to start without SESSION_SECRET, naming it', async () => {
      running = spawnExampleApp({ NODE_ENV: 'production', PORT: '0' });
      expect(await running.exited).to.equal(1);
      expect(running.output()).to.match(/Configuration error: SESSION_SECRET /);
    });

    it('starts on real-vendor settings without any emulator and without the MemoryStore warning', async () => {
      running = spawnExampleApp({
        NODE_ENV: 'production',
        PORT: '0',
        TRUST_PROXY: '1',
        SESSION_SECRET: 'a-production-session-secret-that-is-long-enough',
        ULTRACART_SIMPLE_KEY: 'not-a-real-key',
        ULTRACART_CALLBACK_URL: 'https://shop.example.com/auth/ultracart/callback',
        UPID_ORGANIZATION_KEY: 'not-a-real-org-key',
        UPID_WORKFLOW_KEY: '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc',
        UPID_BASE_URL: 'https://upid.example.com/api',
        ULTRAPASSID_CLIENT_ID: 'not-a-real-client-id',
        ULTRAPASSID_CALLBACK_URL: 'https://shop.example.com/verify/oidc/callback',
      });
      await running.waitFor(/listening on port \d+/);
      expect(running.output()).to.not.include('emulator');
      expect(running.output()).to.not.include('MemoryStore');
      expect(running.output()).to.not.include('not-a-real');
    });
  });
});
