import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs `example-app/main.ts` as `npm start` does (after the build), in a clean environment plus `env`. */
function start(env: Record<string, string>): Running {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(ULTRACART_|UPID_|REDIS_|SESSION_SECRET|TRUST_PROXY|PORT|NODE_ENV|RATE_LIMIT|DEBUG)/.test(name),
    ),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'example-app/main.ts'], {
    cwd: ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Resolves to the first match of `pattern` in the output, or rejects if the process exits first. */
function waitFor(running: Running, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = pattern.exec(running.output());
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (): void => {
      cleanup();
      reject(new Error(`exited before printing ${pattern}: ${running.output()}`));
    };
    const cleanup = (): void => {
      running.child.stdout!.off('data', check);
      running.child.stderr!.off('data', check);
      running.child.off('exit', onExit);
    };
    running.child.stdout!.on('data', check);
    running.child.stderr!.on('data', check);
    running.child.on('exit', onExit);
    check();
  });
}

describe('example app: npm start', function () {
  this.timeout(20_000);
  let running: Running | undefined;
  afterEach(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    running = undefined;
  });

  describe('with no configuration', () => {
    it('prints the URL to open and serves the sign-in page there', async () => {
      running = start({ PORT: '0' });
      const [, url] = await waitFor(running, /open (http:\/\/127\.0\.0\.1:\d+\/)/);
      const res = await fetch(url!);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.include('id="sign-in"');
    });

    it('starts a sign-in against the UltraCart emulator it started', async () => {
      running = start({ PORT: '0' });
      const [, url] = await waitFor(running, /open (http:\/\/127\.0\.0\.1:\d+\/)/);
      const [, emulator] = /UltraCart emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(running.output())!;
      const res = await fetch(`${url}auth/ultracart`, { redirect: 'manual' });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.match(new RegExp(`^${emulator}/login\\?request=`));
    });

    it('shuts down cleanly on SIGTERM', async () => {
      running = start({ PORT: '0' });
      await waitFor(running, /open http/);
      running.child.kill('SIGTERM');
      expect(await running.exited).to.equal(0);
    });
  });

  describe('in production', () => {
    it('refuses to start without SESSION_SECRET, naming it', async () => {
      running = start({ NODE_ENV: 'production', PORT: '0' });
      expect(await running.exited).to.equal(1);
      expect(running.output()).to.match(/Configuration error: SESSION_SECRET /);
    });

    it('starts on real-vendor settings without any emulator and without the MemoryStore warning', async () => {
      running = start({
        NODE_ENV: 'production',
        PORT: '0',
        TRUST_PROXY: '1',
        SESSION_SECRET: 'a-production-session-secret-that-is-long-enough',
        ULTRACART_SIMPLE_KEY: 'not-a-real-key',
        ULTRACART_CALLBACK_URL: 'https://shop.example.com/auth/ultracart/callback',
        UPID_ORGANIZATION_KEY: 'not-a-real-org-key',
        UPID_WORKFLOW_KEY: '322dbc7a-0a8a-452a-ba6d-c3e893f29ecc',
        UPID_BASE_URL: 'https://upid.example.com/api',
      });
      await waitFor(running, /listening on port \d+/);
      expect(running.output()).to.not.include('emulator');
      expect(running.output()).to.not.include('MemoryStore');
      expect(running.output()).to.not.include('not-a-real');
    });
  });
});
