import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';

/**
 * A redis-server of the test's own, on a free port, with nothing saved to disk: for fault tests
 * (stall, kill, restart), which must never touch the Redis everyone's tests share.
 */
export interface OwnRedisServer {
  url: string;
  port: number;
  /** The running server's PID (it changes on restart). */
  pid(): number;
  /** SIGSTOP: the server keeps its connections but answers nothing, as a stalled Redis does. */
  pause(): void;
  /** SIGCONT after `pause`. */
  resume(): void;
  /** Stops it (SIGKILL) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

const START_TIMEOUT_MS = 10_000;

/**
 * Starts redis-server, or says why it could not (not installed, say), so the test can skip with that reason.
 * `args` are added to its command line, e.g. `['--replicaof', '127.0.0.1', String(primary.port)]`.
 */
export async function startOwnRedisServer(args: string[] = []): Promise<OwnRedisServer | { unavailable: string }> {
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = await launch(port, args);
  } catch (err) {
    return { unavailable: err instanceof Error ? err.message : String(err) };
  }
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // A stopped process only dies of SIGKILL once the kernel delivers it; continuing it first is harmless.
    child.kill('SIGKILL');
    child.kill('SIGCONT');
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: () => child.pid!,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    stop: async () => {
      await stop();
      process.off('exit', killOnExit);
    },
    restart: async () => {
      await stop();
      child = await launch(port, args);
    },
  };
}

function launch(port: number, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms: ${output.slice(-500)}`));
    }, START_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not be started (${err.message})`));
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve(child);
      }
    });
    child.stderr!.resume();
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}: ${output.slice(-500)}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Skips the suite, saying why, when a Redis the tests need is not there; under CI (`CI=true`),
 * where `.ci/run` provides one, its absence fails the suite instead, so a missing Redis can never
 * pass as a green run that tested nothing.
 */
export function skipOrFail(ctx: Mocha.Context, why: string): never {
  if (process.env.CI === 'true') throw new Error(`Redis is expected under CI but ${why}`);
  console.log(`    skipped: ${why}`);
  ctx.skip();
}

/** The shared Redis of `REDIS_URL`, checked to answer; otherwise the suite is skipped (or fails under CI). */
export async function sharedRedisUrl(ctx: Mocha.Context): Promise<string> {
  const url = process.env.REDIS_URL;
  if (!url) return skipOrFail(ctx, 'REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379 npm test)');
  if (!(await answersPing(url))) return skipOrFail(ctx, `nothing answers PING at REDIS_URL (${url})`);
  return url;
}

/** A redis-server of the test's own, or the suite is skipped (or fails under CI) with the reason. */
export async function ownRedisServer(ctx: Mocha.Context, args: string[] = []): Promise<OwnRedisServer> {
  const started = await startOwnRedisServer(args);
  if ('unavailable' in started) return skipOrFail(ctx, started.unavailable);
  return started;
}

function answersPing(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('+PONG') || data.toString('latin1').startsWith('-NOAUTH')));
  });
}
