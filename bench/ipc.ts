import { readFileSync } from 'node:fs';
/**
 * Messages between the bench runner and its child processes, over Node's IPC channel. The
 * runner never shares an event loop with the apps or the emulator, so it talks to them here.
 */

/** Child -> runner, once it listens. */
export interface ReadyMessage {
  type: 'ready';
  /** The app's origin, or the UltraCart emulator's REST base URL. */
  url: string;
  /** Emulator process only. */
  upstream?: UpstreamAddresses;
}

export interface UpstreamAddresses {
  /** UltraCart emulator REST base URL (`.../rest/v2`). */
  ultracartURL: string;
  /** UltraCart emulator origin, where its login page lives. */
  ultracartOrigin: string;
  /** The application credential the emulator accepts. */
  appKey: string;
  /** Origin of the OAuth 2.0 dialect served by the same process, and the client it accepts. */
  oauth2Origin: string;
  oauth2ClientId: string;
  oauth2ClientSecret: string;
  /** The UltrapassId OpenID Connect emulator (auto-approving): its issuer (also its origin) and the client it knows. */
  oidcIssuer: string;
  oidcClientId: string;
  /** UltraCart OAuth 2.0, served by the UltraCart emulator (auto-approving): its confidential app. */
  ultracartOAuthClientId: string;
  ultracartOAuthClientSecret: string;
}

/** What the runner can ask of a child. `latency` and `reset` are for the emulator process only. */
export type ControlCommand = { type: 'latency'; ms: number } | { type: 'stats' } | { type: 'reset' };

/** Runner -> child. */
export type ControlRequest = ControlCommand & { id: number };

/** Child -> runner, answering the request with the same id. */
export interface ControlReply {
  id: number;
  type: 'reply';
  /** CPU time (user + system) this process has used since it started, in microseconds. */
  cpuMicros: number;
  /**
   * CPU time of the process's main thread alone (the JavaScript thread: no GC helper, libuv or
   * compiler threads), in microseconds, from `/proc/self/task/<pid>/schedstat`; where Linux's
   * `/proc` is missing, the whole process's (`cpuMicros`).
   */
  mainThreadCpuMicros: number;
  /** Emulator process only: TCP connections accepted since start by the UltraCart emulator, the OAuth 2.0 dialect and the OIDC emulator. */
  connections?: { ultracart: number; oauth2: number; oidc: number };
  /** Contenders only: the most outgoing (upstream) TCP connections open at once since the previous stats request. */
  peakSockets?: number;
}

/** In a child: answers the runner's control requests; `act` carries out the command and adds to the reply. */
export function answerControl(act: (command: ControlCommand) => Partial<ControlReply> = () => ({})): void {
  process.on('message', (message: ControlRequest) => {
    const extra = act(message);
    const { user, system } = process.cpuUsage();
    const cpuMicros = user + system;
    sendToParent({ ...extra, id: message.id, type: 'reply', cpuMicros, mainThreadCpuMicros: mainThreadCpu() ?? cpuMicros });
  });
}

/**
 * The main thread's CPU time in microseconds. `schedstat`'s first field is the thread's time on a
 * CPU in nanoseconds; `stat`'s utime and stime are in clock ticks (100 per second on Linux), too
 * coarse for a round, so it is the fallback.
 */
function mainThreadCpu(): number | undefined {
  try {
    const schedstat = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8');
    const ns = Number(schedstat.split(' ', 1)[0]);
    if (Number.isFinite(ns)) return ns / 1000;
  } catch {
    /* not Linux, or /proc not mounted */
  }
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number.isFinite(ticks)) return ticks * 10_000;
  } catch {
    /* as above */
  }
  return undefined;
}

/** In a child: exit when the runner goes away, so no process outlives the bench. */
export function exitWithParent(cleanup: () => Promise<void> = async () => {}): void {
  const stop = (): void => {
    cleanup().finally(() => process.exit(0));
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function sendToParent(message: ReadyMessage | ControlReply): void {
  if (!process.send) throw new Error('this file is started by bench/run.ts as a child process with an IPC channel');
  process.send(message);
}
