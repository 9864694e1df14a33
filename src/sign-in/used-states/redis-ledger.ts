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
}

const DEFAULT_PREFIX = 'passport-ultracart:used-state:';
const DEFAULT_TIMEOUT_MS = 1000;
/**
 * Keys outlive their state by this much: each instance checks a state's expiry against its own
 * clock, so an instance whose clock runs behind must still find the key while it takes the state
 * for valid.
 */
const CLOCK_SKEW_MS = 60_000;

type Send = (key: string, ttlMs: number) => Promise<unknown>;

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
  private readonly send: Send;
  private readonly prefix: string;
  private readonly timeoutMs: number;

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
  }

  async claim(state: string, expiresAt: number): Promise<boolean> {
    const key = this.keyFor(state);
    const ttlMs = Math.max(0, Math.ceil(expiresAt - Date.now())) + CLOCK_SKEW_MS;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new UsedStatesUnavailableError(`passport-ultracart: Redis did not answer the used-state claim within ${this.timeoutMs} ms`),
          ),
        this.timeoutMs,
      );
      timer.unref?.();
    });
    let reply: unknown;
    try {
      reply = await Promise.race([this.sendSafely(key, ttlMs), late]);
    } finally {
      clearTimeout(timer);
    }
    if (reply === null) return false;
    if (String(reply) === 'OK') return true;
    throw new UsedStatesUnavailableError('passport-ultracart: Redis answered the used-state claim with something other than OK or nil');
  }

  /** The Redis key for a state: its hash, so the key does not reveal the state. */
  keyFor(state: string): string {
    return this.prefix + createHash('sha256').update(state).digest('base64url');
  }

  private async sendSafely(key: string, ttlMs: number): Promise<unknown> {
    try {
      return await this.send(key, ttlMs);
    } catch (err) {
      throw new UsedStatesUnavailableError('passport-ultracart: Redis failed the used-state claim', err);
    }
  }
}

/** Tells the two libraries apart by shape: ioredis has `call`, node-redis has `sendCommand(args)` and no `call`. */
function senderFor(client: unknown): Send {
  const shaped = client as Partial<IoRedisLike & NodeRedisLike> | null;
  if (shaped && typeof shaped.call === 'function') {
    const ioredis = shaped as IoRedisLike;
    return (key, ttlMs) => ioredis.call('SET', key, '1', 'PX', ttlMs, 'NX');
  }
  if (shaped && typeof shaped.sendCommand === 'function') {
    const nodeRedis = shaped as NodeRedisLike;
    return (key, ttlMs) => nodeRedis.sendCommand(['SET', key, '1', 'PX', String(ttlMs), 'NX']);
  }
  throw new TypeError(
    'RedisUsedStateLedger: the client option must be a Redis client, from node-redis (createClient) or ioredis (new Redis())',
  );
}
