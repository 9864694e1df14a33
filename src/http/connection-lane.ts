import type { Dispatcher } from 'undici';

/**
 * Admission to one origin's connections, in front of undici's pool. undici queues a request that
 * finds every connection busy and honours its abort signal only once a socket is free, by
 * destroying that socket: with a stalled upstream, every queued call ended late and opened a new
 * connection (issue 10). Here a call waits in a queue it can leave at its deadline without ever
 * reaching undici, and no more calls are handed to undici than it has connections, so none queues
 * there.
 */
export class ConnectionLane {
  private active = 0;
  // A Set keeps arrival order and removes a call that gives up in O(1).
  private readonly waiting = new Set<() => void>();

  constructor(readonly limit: number) {}

  /** Runs `start` now if a connection is free, or once one is; `leave` must follow each start. */
  enter(start: () => void): void {
    if (this.active < this.limit) {
      this.active += 1;
      start();
    } else {
      this.waiting.add(start);
    }
  }

  /** Takes a call that has not started out of the queue. */
  withdraw(start: () => void): void {
    this.waiting.delete(start);
  }

  /** Frees the connection a started call held, for the call that has waited longest. */
  leave(): void {
    const next = this.waiting.values().next();
    if (next.done) {
      this.active -= 1;
      return;
    }
    this.waiting.delete(next.value);
    next.value();
  }

  /** Calls started and not yet finished, and calls waiting: for tests and diagnostics. */
  get load(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.size };
  }
}

const lanes = new WeakMap<Dispatcher, Map<string, ConnectionLane>>();

/**
 * The lane for `origin` through `dispatcher`, shared by every client of the process that uses the
 * same pair, so two strategies on one origin cannot together hand undici more than it can hold.
 * `kind` keeps sign-out revocations apart from sign-ins on the same dispatcher.
 */
export function laneFor(dispatcher: Dispatcher, origin: string, kind: string, limit: number): ConnectionLane {
  let byOrigin = lanes.get(dispatcher);
  if (!byOrigin) {
    byOrigin = new Map();
    lanes.set(dispatcher, byOrigin);
  }
  const key = `${kind} ${origin}`;
  let lane = byOrigin.get(key);
  if (!lane) {
    lane = new ConnectionLane(limit);
    byOrigin.set(key, lane);
  }
  return lane;
}
