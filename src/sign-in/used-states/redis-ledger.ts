import { createHash } from 'node:crypto';
import { UsedStatesUnavailableError } from './errors.js';
import type { UsedStateLedger } from './ledger.js';

/** What the ledger needs of an ioredis client or cluster: its `call`. */
export interface IoRedisLike {
  /** Sends one command with its arguments; resolves to Redis's reply. */
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
}

/**
 * What the ledger needs of a node-redis client (`createClient`, v4 and later): its `sendCommand`.
 * Anything else that can send one raw command can be adapted to it, e.g. a node-redis cluster:
 * `{ sendCommand: (args) => cluster.sendCommand(args[1], false, args) }`.
 */
export interface NodeRedisLike {
  /** Sends one command given as its words (`['SET', key, …]`); resolves to Redis's reply. */
  sendCommand(args: string[]): Promise<unknown>;
}

/** Options of {@link RedisUsedStateLedger}, checked once, when it is constructed. */
export interface RedisUsedStateLedgerOptions {
  /**
   * The app's own connected Redis client: node-redis (`createClient()` from `redis`, v4 and
   * later) or ioredis (`new Redis()` or `new Cluster()`). It is used, never connected or closed.
   */
  client: IoRedisLike | NodeRedisLike;
  /** Put before every key. Default `passport-ultracart:used-state:`. */
  prefix?: string;
  /**
   * How long a claim may wait for Redis before the sign-in is refused with a 503, in
   * milliseconds. Default 1000, from 50 to 30 000.
   */
  timeoutMs?: number;
  /**
   * After each claim, wait until this many replicas have the claim (`WAIT replicas timeoutMs`),
   * and refuse the sign-in with a 503 when fewer acknowledged within `timeoutMs`: a fail-over to
   * a replica then cannot forget a claim the sign-in relied on. Default: no waiting (the claim
   * holds as long as the primary's data does; see docs/multi-instance.md).
   *
   * `WAIT` holds the connection it is sent on until it answers, so give the ledger a client of its
   * own (`redis.duplicate()`), not the one every session read goes through.
   */
  waitForReplicas?: WaitForReplicas;
}

/** How {@link RedisUsedStateLedgerOptions.waitForReplicas} waits. */
export interface WaitForReplicas {
  /** How many replicas must acknowledge the claim, from 0 to 100. */
  replicas: number;
  /** How long to wait for them, in milliseconds, from 1 to 30 000 (never 0, which would wait forever). */
  timeoutMs: number;
}

const DEFAULT_PREFIX = 'passport-ultracart:used-state:';
const DEFAULT_TIMEOUT_MS = 1000;
/**
 * Keys outlive their state by this much: each instance checks a state's expiry against its own
 * clock, so an instance whose clock runs behind must still find the key while it takes the state
 * for valid.
 */
const CLOCK_SKEW_MS = 60_000;

interface Sender {
  /** `SET key 1 PX ttlMs NX`. */
  claim(key: string, ttlMs: number): Promise<unknown>;
  /** `WAIT replicas timeoutMs`: how many replicas acknowledged the writes before it. */
  wait(replicas: number, timeoutMs: number): Promise<unknown>;
}

/**
 * A used-state ledger on Redis, shared by every instance that points at the same Redis and prefix:
 * a state is honoured once across all of them. Each claim is one atomic `SET key 1 NX PX ttl`,
 * whose key expires with the state (plus a minute for clock skew between instances).
 *
 * The key is the SHA-256 of the state (base64url) under the prefix, never the state itself, so a
 * `MONITOR` or a dump of Redis does not reveal states still pending. A claim that Redis refuses,
 * or does not answer within `timeoutMs`, rejects with a {@link UsedStatesUnavailableError}: the
 * sign-in fails closed with a 503. The package does not depend on either Redis library.
 *
 * @example
 * import { createClient } from 'redis'; // or: import { Redis } from 'ioredis'; const redis = new Redis(url);
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * passport.use(new UltraCartStrategy({ ..., usedStates: new RedisUsedStateLedger({ client: redis }) }, verify));
 */
export class RedisUsedStateLedger implements UsedStateLedger {
  private readonly send: Sender;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly waitForReplicas: WaitForReplicas | undefined;

  constructor(options: RedisUsedStateLedgerOptions) {
    if (!options || typeof options !== 'object') throw new TypeError('RedisUsedStateLedger requires an options object');
    this.send = senderFor(options.client);
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== 'string' || prefix.length > 200 || /[\u0000-\u0020\u007f]/.test(prefix)) {
      throw new TypeError(
        'RedisUsedStateLedger: the prefix option must be a string of at most 200 characters without spaces or control characters',
      );
    }
    this.prefix = prefix;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 50 || timeoutMs > 30_000) {
      throw new TypeError('RedisUsedStateLedger: the timeoutMs option must be an integer from 50 to 30000');
    }
    this.timeoutMs = timeoutMs;
    this.waitForReplicas = checkedWait(options.waitForReplicas);
  }

  async claim(state: string, expiresAt: number): Promise<boolean> {
    const key = this.keyFor(state);
    const ttlMs = Math.max(0, Math.ceil(expiresAt - Date.now())) + CLOCK_SKEW_MS;
    const reply = await this.withinDeadline(
      this.sendSafely(() => this.send.claim(key, ttlMs)),
      this.timeoutMs,
      'the used-state claim',
    );
    if (reply === null) return false;
    if (String(reply) !== 'OK') {
      throw new UsedStatesUnavailableError('passport-ultracart: Redis answered the used-state claim with something other than OK or nil');
    }
    if (this.waitForReplicas) await this.replicated(this.waitForReplicas);
    return true;
  }

  /**
   * Fails closed unless `replicas` replicas acknowledged the claim just made. The state stays
   * claimed on the primary either way: the browser starts its sign-in again.
   */
  private async replicated({ replicas, timeoutMs }: WaitForReplicas): Promise<void> {
    const acknowledged = await this.withinDeadline(
      this.sendSafely(() => this.send.wait(replicas, timeoutMs)),
      // Redis answers WAIT at its timeout; the margin is for the round trip.
      timeoutMs + this.timeoutMs,
      'WAIT for replicas',
    );
    const count = Number(acknowledged);
    if (!Number.isInteger(count) || count < replicas) {
      throw new UsedStatesUnavailableError(
        `passport-ultracart: ${Number.isInteger(count) ? count : 'no'} of ${replicas} Redis replicas acknowledged the used-state claim within ${timeoutMs} ms`,
      );
    }
  }

  private async withinDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new UsedStatesUnavailableError(`passport-ultracart: Redis did not answer ${what} within ${ms} ms`)),
        ms,
      );
      timer.unref?.();
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The Redis key for a state: its hash, so the key does not reveal the state. */
  keyFor(state: string): string {
    return this.prefix + createHash('sha256').update(state).digest('base64url');
  }

  private async sendSafely(command: () => Promise<unknown>): Promise<unknown> {
    try {
      return await command();
    } catch (err) {
      throw new UsedStatesUnavailableError('passport-ultracart: Redis failed the used-state claim', err);
    }
  }
}

/** Tells the two libraries apart by shape: ioredis has `call`, node-redis has `sendCommand(args)` and no `call`. */
function senderFor(client: unknown): Sender {
  const shaped = client as Partial<IoRedisLike & NodeRedisLike> | null;
  if (shaped && typeof shaped.call === 'function') {
    const ioredis = shaped as IoRedisLike;
    return {
      claim: (key, ttlMs) => ioredis.call('SET', key, '1', 'PX', ttlMs, 'NX'),
      wait: (replicas, timeoutMs) => ioredis.call('WAIT', replicas, timeoutMs),
    };
  }
  if (shaped && typeof shaped.sendCommand === 'function') {
    const nodeRedis = shaped as NodeRedisLike;
    return {
      claim: (key, ttlMs) => nodeRedis.sendCommand(['SET', key, '1', 'PX', String(ttlMs), 'NX']),
      wait: (replicas, timeoutMs) => nodeRedis.sendCommand(['WAIT', String(replicas), String(timeoutMs)]),
    };
  }
  throw new TypeError(
    'RedisUsedStateLedger: the client option must be a Redis client, from node-redis (createClient) or ioredis (new Redis())',
  );
}

function checkedWait(value: unknown): WaitForReplicas | undefined {
  if (value === undefined) return undefined;
  const { replicas, timeoutMs } = (value && typeof value === 'object' ? value : {}) as Partial<Record<string, unknown>>;
  const integer = (n: unknown, min: number, max: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
  if (!integer(replicas, 0, 100) || !integer(timeoutMs, 1, 30_000)) {
    throw new TypeError(
      'RedisUsedStateLedger: the waitForReplicas option must be { replicas, timeoutMs }: replicas an integer from 0 to 100, timeoutMs from 1 to 30000',
    );
  }
  return { replicas: replicas as number, timeoutMs: timeoutMs as number };
}
