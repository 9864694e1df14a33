import { Pool, type Dispatcher } from 'undici';

/**
 * Calls in flight per vendor origin. A sign-in holds one upstream call open at a time, so a burst
 * needs about as many connections as sign-ins in flight: with 16, 32 concurrent sign-ins at 20 ms
 * upstream latency queued for a connection and managed about 230 flows/s, against about 390 with
 * 64 (`npm run bench -- --pool N`, issue 5).
 */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 64;

/**
 * Calls in flight per origin for sign-out revocations, apart from the sign-in lane, so a revoke is
 * sent at once even while stalled sign-ins hold every sign-in connection (issue 10).
 */
export const REVOKE_CONNECTIONS_PER_ORIGIN = 4;

/**
 * How long an exchange whose caller has given up may keep its connection, waiting for the
 * upstream's answer. Destroying the socket at the caller's deadline would make the next call open
 * a new one, a connection per timed-out call against an upstream already struggling; keeping it
 * lets the connection be reused once the upstream answers.
 */
export const LINGER_MS = 30_000;

/** A call as the lane sees it: started once admitted, and abandoned if it lingers in the way. */
export interface LaneCall {
  /** Sends the request; called once, when a connection is free. */
  start(): void;
  /** Called when the call has to wait for a connection. */
  queued(): void;
  /**
   * Whether a call that waited still has time enough for an answer. One with too little left is
   * not sent (it fails at its deadline): its request would only take a connection (issue 18).
   * `afterTimeout`: the slot it would take was freed by a call that got no answer in its whole
   * timeout, so the upstream may be stalled and more time is needed.
   */
  hasTimeLeft(afterTimeout: boolean): boolean;
  /** Ends a lingering exchange and destroys its connection. */
  abandon(): void;
}

/**
 * Admission to one origin's connections, in front of undici's pool.
 *
 * undici queues a request that finds every connection busy and honours its abort signal only once
 * a socket is free, by destroying that socket: with a stalled upstream, every queued call ended
 * late and opened a new connection (issue 10). Here a call waits in a queue it can leave at its
 * deadline without ever reaching undici, and undici is never handed more than it has connections.
 *
 * At most `limit` calls are in flight. A call whose caller gave up keeps its connection for a late
 * answer (`LINGER_MS`) but no longer counts against `limit`: lingering exchanges could otherwise
 * hold every slot, and behind a black hole (connections accepted, never answered) new calls would
 * time out unsent for `LINGER_MS` after the upstream answered again (issue 18). Connections stay
 * bounded at twice `limit`: a call admitted when that many are held ends the exchange that has
 * lingered longest, so a new call always goes out, on a fresh connection if need be.
 */
export class ConnectionLane {
  private active = 0;
  // Sets keep arrival order and remove a member in O(1).
  private readonly waiting = new Set<LaneCall>();
  private readonly lingering = new Set<LaneCall>();
  /** Connections the lane holds at most: its calls in flight, and as many lingering exchanges. */
  readonly maxConnections: number;

  /**
   * @param dispatcher Where admitted calls are sent; it should allow `2 * limit` connections to the origin.
   * @param limit Calls in flight at once.
   */
  constructor(
    readonly dispatcher: Dispatcher,
    readonly limit: number,
  ) {
    this.maxConnections = 2 * limit;
  }

  /** Starts `call` now if fewer than `limit` are in flight, or once one ends; `leave` or `linger` must follow. */
  enter(call: LaneCall): void {
    if (this.active < this.limit) {
      this.makeRoom();
      call.start();
    } else {
      this.waiting.add(call);
      call.queued();
    }
  }

  /** Takes a call that has not started out of the queue. */
  withdraw(call: LaneCall): void {
    this.waiting.delete(call);
  }

  /** A started call ended while its caller waited. */
  leave(): void {
    this.active -= 1;
    this.startNext(false);
  }

  /** The caller of a started call gave up: its exchange keeps its connection, outside the `limit`. */
  linger(call: LaneCall): void {
    this.active -= 1;
    this.lingering.add(call);
    this.startNext(true);
  }

  /** A lingering exchange ended (a late answer, an error, or `LINGER_MS`). */
  settled(call: LaneCall): void {
    this.lingering.delete(call);
  }

  /** Calls in flight, waiting, and lingering after their callers gave up: for tests and diagnostics. */
  get load(): { active: number; waiting: number; lingering: number } {
    return { active: this.active, waiting: this.waiting.size, lingering: this.lingering.size };
  }

  /**
   * Starts the call that has waited longest and still has time for an answer. `afterTimeout`: the
   * slot was freed by a call that timed out, so the upstream may be stalled.
   */
  private startNext(afterTimeout: boolean): void {
    for (const call of this.waiting) {
      this.waiting.delete(call);
      if (!call.hasTimeLeft(afterTimeout)) continue;
      this.makeRoom();
      call.start();
      return;
    }
  }

  /** Counts a call in flight, ending the longest-lingering exchange if the connections are all held. */
  private makeRoom(): void {
    this.active += 1;
    if (this.active + this.lingering.size > this.maxConnections) {
      // Only lingering exchanges can fill the bound (active <= limit), so there is one to end.
      const oldest = this.lingering.values().next().value!;
      this.lingering.delete(oldest);
      oldest.abandon();
    }
  }
}

export type LaneKind = 'call' | 'revoke';

const POOL_OPTIONS = { keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000, pipelining: 1 } as const;
const defaultLanes: Record<LaneKind, Map<string, ConnectionLane>> = { call: new Map(), revoke: new Map() };
const givenLanes = new WeakMap<Dispatcher, Record<LaneKind, Map<string, ConnectionLane>>>();

/**
 * The lane for `origin`: through `dispatcher` when one is given, else through the process's own
 * undici `Pool` for that origin (one per lane, so a call needs no per-origin lookup in an Agent).
 * Shared by every client of the process that uses the same dispatcher and origin, so two
 * strategies on one origin cannot together hand undici more than it can hold. `kind` keeps
 * sign-out revocations apart from sign-ins.
 */
export function laneFor(dispatcher: Dispatcher | undefined, origin: string, kind: LaneKind = 'call'): ConnectionLane {
  let byKind = defaultLanes;
  if (dispatcher) {
    let given = givenLanes.get(dispatcher);
    if (!given) {
      given = { call: new Map(), revoke: new Map() };
      givenLanes.set(dispatcher, given);
    }
    byKind = given;
  }
  let lane = byKind[kind].get(origin);
  if (!lane) {
    const limit = kind === 'revoke' ? REVOKE_CONNECTIONS_PER_ORIGIN : DEFAULT_CONNECTIONS_PER_ORIGIN;
    lane = new ConnectionLane(dispatcher ?? new Pool(origin, { connections: 2 * limit, ...POOL_OPTIONS }), limit);
    byKind[kind].set(origin, lane);
  }
  return lane;
}
