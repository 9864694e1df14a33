import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'];
const READY_TRIES = 200;
const STOP_GRACE_MS = 3_000;

/** The nginx binary, or undefined when it is not installed (Debian: `apt-get install nginx-light`). */
export function nginxBinary(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' }).stdout.trim();
  return onPath !== '' ? onPath : CANDIDATES.find((path) => existsSync(path));
}

/** A free TCP port on 127.0.0.1, for a server that is started a moment later. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RunningNginx {
  pid: number;
  /** What nginx wrote to its error log so far. */
  errors(): string;
  /** Stops it by its PID (SIGTERM, then SIGKILL); safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground, as this user, with everything (config, pid, logs, temp files)
 * in `dir`: `http` is the content of the `http {}` block (upstreams and servers). Resolves when
 * every port in `ports` accepts connections on 127.0.0.1.
 */
export async function startNginx(binary: string, dir: string, http: string, ports: number[]): Promise<RunningNginx> {
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  const errorLog = join(dir, 'error.log');
  writeFileSync(errorLog, '');
  const config = `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'body')};
  proxy_temp_path ${join(dir, 'proxy')};
  fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')};
  scgi_temp_path ${join(dir, 'scgi')};
${http}
}
`;
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, config);
  const child: ChildProcess = spawn(binary, ['-p', dir, '-c', file, '-e', errorLog], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));
  const errors = (): string => `${stderr}${readFileSync(errorLog, 'utf8')}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)));
      if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL');
      clearTimeout(timer);
    }
    await exited;
  };
  for (let i = 0; i < READY_TRIES; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start-up:\n${errors()}`);
    if ((await Promise.all(ports.map(accepts))).every(Boolean)) return { pid: child.pid!, errors, stop };
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await stop();
  throw new Error(`nginx did not listen on ${ports.join(', ')} within ${(READY_TRIES * 25) / 1000} s:\n${errors()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
