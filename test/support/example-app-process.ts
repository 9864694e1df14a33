import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Variables that would switch the app to real vendors, Redis or production; dropped so each run sets its own. */
const CONFIG_VARIABLES =
  /^(ULTRACART_|UPID_|ULTRAPASSID_|REDIS_|SESSION_SECRET|TRUST_PROXY|BIND_ADDRESS|HSTS_|PORT$|NODE_ENV$|RATE_LIMIT|DEBUG|NODE_EXTRA_CA_CERTS)/;
const STOP_GRACE_MS = 5_000;

/** `example-app/main.ts` in a child process, as `npm start` runs it after the build, with everything it prints. */
export interface ExampleAppProcess {
  child: ChildProcess;
  /** What it printed so far on each stream, and on both interleaved. */
  stdout(): string;
  stderr(): string;
  output(): string;
  /** Its exit code (null after a signal), once it has exited and its output has been read. */
  exited: Promise<number | null>;
  /** The first match of `pattern` in the output; rejects if the app exits or `timeoutMs` passes first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL if it is still running after a few seconds. Safe to call twice. */
  stop(): Promise<void>;
}

/** Starts the app with none of this process's app variables, plus `env`. It never outlives this process. */
export function spawnExampleApp(env: Record<string, string>): ExampleAppProcess {
  return spawnApp('example-app/main.ts', env);
}

/**
 * Starts `script` with none of this process's app variables, plus `env`. By default it runs from the
 * repository root under tsx, which maps `passport-ultracart` to src/; `{ cwd, tsx: false }` runs it
 * with plain Node elsewhere, as a user's own project would.
 */
export function spawnApp(script: string, env: Record<string, string>, where: { cwd?: string; tsx?: boolean } = {}): ExampleAppProcess {
  return spawnCommand(process.execPath, [...(where.tsx === false ? [] : ['--import', 'tsx']), script], env, where.cwd ?? ROOT);
}

/** `npm run <script>` in the repository root, as a contributor types it (npm, then the script's own process). */
export function spawnNpmScript(script: string, env: Record<string, string>): ExampleAppProcess {
  return spawnCommand('npm', ['run', '--silent', script], env, ROOT);
}

/**
 * A shell command line as a user types it (`npx tsx server.ts`), in `cwd`. It runs in a process group
 * of its own, and stopping it signals the whole group: npx, tsx and the app it starts.
 */
export function spawnCommandLine(line: string, env: Record<string, string>, cwd: string): ExampleAppProcess {
  return spawnCommand('sh', ['-c', line], env, cwd, true);
}

function spawnCommand(command: string, args: string[], env: Record<string, string>, cwd: string, group = false): ExampleAppProcess {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !CONFIG_VARIABLES.test(name)));
  const child = spawn(command, args, { cwd, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
  const signal = (name: NodeJS.Signals): void => {
    if (!group || child.pid === undefined) {
      child.kill(name);
      return;
    }
    try {
      process.kill(-child.pid, name);
    } catch {
      // The group is already gone.
    }
  };
  const killOnExit = (): void => {
    signal('SIGKILL');
  };
  process.once('exit', killOnExit);

  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
  });
  // 'close', not 'exit': it comes after the last of stdout and stderr has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', (code: number | null) => resolve(code)));
  void exited.then(() => process.off('exit', killOnExit));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;

  const waitFor = (pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(output);
        if (!match) return;
        cleanup();
        resolve(match);
      };
      const fail = (why: string): void => {
        cleanup();
        reject(new Error(`${why} before printing ${pattern}. Its output:\n${output}`));
      };
      const timer = setTimeout(() => fail(`the app ran ${timeoutMs / 1000} s`), timeoutMs);
      const onClose = (): void => fail(`the app exited (code ${child.exitCode})`);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
        child.off('close', onClose);
      };
      // Registered after the collectors above, so `output` already holds the chunk.
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      child.once('close', onClose);
      check();
    });

  const stop = async (): Promise<void> => {
    if (running()) {
      signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
      if ((await Promise.race([exited, late])) === 'late') signal('SIGKILL');
      clearTimeout(timer);
    }
    await exited;
  };

  return { child, stdout: () => stdout, stderr: () => stderr, output: () => output, exited, waitFor, stop };
}
