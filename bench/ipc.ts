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
  /** Emulator process only: TCP connections accepted since start by the UltraCart emulator and by the OAuth 2.0 dialect. */
  connections?: { ultracart: number; oauth2: number };
  /** Contenders only: the most outgoing (upstream) TCP connections open at once since the previous stats request. */
  peakSockets?: number;
}

/** In a child: answers the runner's control requests; `act` carries out the command and adds to the reply. */
export function answerControl(act: (command: ControlCommand) => Partial<ControlReply> = () => ({})): void {
  process.on('message', (message: ControlRequest) => {
    const extra = act(message);
    const { user, system } = process.cpuUsage();
    sendToParent({ ...extra, id: message.id, type: 'reply', cpuMicros: user + system });
  });
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
