import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `example-app/main.ts` running in a child process, as `npm start` runs it, with everything it prints. */
export interface AppProcess {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves once the app printed the port it listens on. */
  port: Promise<number>;
  /** Sends SIGTERM and waits for the exit (SIGKILL if it is already past that point). */
  stop(): Promise<void>;
}

/** Starts the app in a clean environment (no inherited app variables) plus `env`. */
export function startAppProcess(env: Record<string, string>): AppProcess {
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
  // 'close', not 'exit': it comes after the last of stdout and stderr has been read.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const app: AppProcess = {
    child,
    stdout: '',
    stderr: '',
    port: new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        app.stdout += chunk.toString();
        // Both start-up lines: on emulators ("open http://127.0.0.1:N/") and on real-vendor settings.
        const match = /listening on port (\d+)|open http:\/\/127\.0\.0\.1:(\d+)\//.exec(app.stdout);
        if (match) resolve(Number(match[1] ?? match[2]));
      });
      void exited.then(() => reject(new Error(`the app exited before listening: ${app.stdout}${app.stderr}`)));
    }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  child.stderr!.on('data', (chunk: Buffer) => (app.stderr += chunk.toString()));
  // A rejection nobody awaits (the app stopped after it printed its port) is not an error.
  app.port.catch(() => {});
  return app;
}
