import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Variables that would switch the app to real vendors, Redis or production; dropped so it runs as a bare `npm start`. */
const CONFIG_VARIABLES = /^(ULTRACART_|UPID_|REDIS_|SESSION_SECRET|TRUST_PROXY|PORT$|NODE_ENV$|RATE_LIMIT|DEBUG$)/;

/** The example app running in a child process, as `npm start` runs it after the build. */
export interface ExampleAppProcess {
  /** The URL the app printed, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  /** Origin of the UltraCart emulator it started (where the login page lives). */
  ultracartOrigin: string;
  /** Origin of the UltrapassId emulator it started (where the workflow page lives). */
  uauthOrigin: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Spawns `node --import tsx example-app/main.ts` on a free port with no configuration, so it
 * starts both emulators, and resolves once it prints the URL to open.
 */
export function startExampleApp(timeoutMs: number): Promise<ExampleAppProcess> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.test(name)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'example-app/main.ts'], {
    cwd: ROOT,
    env: { ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If this script dies abruptly, the app must not outlive it.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  const stop = async (): Promise<void> => {
    if (running()) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 5_000)));
      if ((await Promise.race([exited, late])) === 'late') {
        child.kill('SIGKILL');
        await exited;
      }
      clearTimeout(timer);
    }
    process.off('exit', killOnExit);
  };

  // Output keeps being collected after start-up, for the failure report.
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);

  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      cleanup();
      void stop().then(() => reject(new Error(`${why}. Its output:\n${output}`)));
    };
    const onData = (): void => {
      const ready = /Example app ready: open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (!ready) return;
      const ultracart = /UltraCart emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      const uauth = /UltrapassId emulator: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!ultracart || !uauth) return fail('the app is ready but did not print both emulator origins');
      cleanup();
      resolve({ url: ready[1]!, ultracartOrigin: ultracart[1]!, uauthOrigin: uauth[1]!, output: () => output, stop });
    };
    const onExit = (): void => fail(`the app exited (code ${child.exitCode}) before printing its URL`);
    const timer = setTimeout(() => fail(`the app printed no URL within ${timeoutMs / 1000} s`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
    };
    // Registered after `collect`, so `output` already holds the chunk.
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}
