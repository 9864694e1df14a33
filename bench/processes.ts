import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ControlCommand, ControlReply, ReadyMessage } from './ipc.js';

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;

/** A bench child process that has announced it is listening. */
export interface Child {
  name: string;
  ready: ReadyMessage;
  process: ChildProcess;
}

const live = new Set<ChildProcess>();

// Last resort: whatever ends the runner (an exception, process.exit) takes the children with it.
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Forks `file` (relative to bench/) with tsx and an IPC channel, and waits for its ready message. */
export function startChild(name: string, file: string, env: Record<string, string> = {}): Promise<Child> {
  const path = fileURLToPath(new URL(file, import.meta.url));
  const child = fork(path, [], {
    // BENCH_CHILD_ARGS adds Node flags to every child, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the apps.
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CHILD_ARGS?.split(' ').filter(Boolean) ?? [])],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const onExit = (code: number | null): void => fail(new Error(`${name} exited with code ${code} before it was ready`));
    const onMessage = (message: ReadyMessage): void => {
      if (message?.type !== 'ready') return;
      cleanup();
      resolve({ name, ready: message, process: child });
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    }
    function fail(err: Error): void {
      cleanup();
      child.kill('SIGKILL');
      reject(err);
    }
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

let nextId = 1;

/** Sends a control request to the emulator process and waits for its reply. */
export function control(child: Child, request: ControlCommand): Promise<ControlReply> {
  const id = nextId++;
  return new Promise<ControlReply>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${child.name} did not answer a ${request.type} request`)), 10_000);
    const onMessage = (message: ControlReply): void => {
      if (message?.type === 'reply' && message.id === id) done(undefined, message);
    };
    function done(err: Error | undefined, reply?: ControlReply): void {
      clearTimeout(timer);
      child.process.off('message', onMessage);
      if (err) reject(err);
      else resolve(reply!);
    }
    child.process.on('message', onMessage);
    child.process.send({ ...request, id });
  });
}

/** Stops every child still running: SIGTERM, then SIGKILL for any that lingers. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
