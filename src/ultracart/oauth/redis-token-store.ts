import { createHash } from 'node:crypto';
import type { IoRedisLike, NodeRedisLike } from '../../sign-in/used-states/redis-ledger.js';
import { PassportUltraCartError } from '../../http/errors.js';
import { integerRule, readOptions, rule, type Fail } from '../../option-schema.js';
import { lockValue, type OAuthTokenStore, type StoredOAuthTokens } from './token-store.js';

/** Options of {@link RedisOAuthTokenStore}. */
export interface RedisOAuthTokenStoreOptions {
  /** The app's own connected client: node-redis (`createClient()`, v4 and later) or ioredis. Used, never connected or closed. */
  client: IoRedisLike | NodeRedisLike;
  /** Put before every key. Default `passport-ultracart:oauth:`. */
  prefix?: string;
  /** How long one Redis command may take before it rejects. Default 1000 ms, from 50 to 30 000. */
  timeoutMs?: number;
}

/** Redis did not answer, or answered something unexpected: status 503, code `OAUTH_TOKEN_STORE_UNAVAILABLE`. */
export class OAuthTokenStoreUnavailableError extends PassportUltraCartError<'OAUTH_TOKEN_STORE_UNAVAILABLE'> {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'OAUTH_TOKEN_STORE_UNAVAILABLE', status: 503, retryAfter: 1, cause });
    this.name = 'OAuthTokenStoreUnavailableError';
  }
}

const DEFAULT_PREFIX = 'passport-ultracart:oauth:';
/** Deletes the lock only while it holds our value: a lock that expired and was taken by another instance stays theirs. */
const UNLOCK_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

type Command = (args: Array<string | number>) => Promise<unknown>;

const SCHEMA = {
  client: rule(
    (value: unknown, fail: Fail) => {
      const shaped = value as Partial<IoRedisLike & NodeRedisLike> | null;
      if (!shaped || typeof shaped !== 'object' || (typeof shaped.call !== 'function' && typeof shaped.sendCommand !== 'function')) {
        fail('be a Redis client, from node-redis (createClient) or ioredis (new Redis())');
      }
      return value as IoRedisLike | NodeRedisLike;
    },
    { required: true },
  ),
  prefix: rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || value.length > 200 || /[\u0000-\u0020\u007f]/.test(value)) {
      fail('be a string of at most 200 characters without spaces or control characters');
    }
    return value;
  }),
  timeoutMs: integerRule(50, 30_000),
};

/**
 * An {@link OAuthTokenStore} on Redis, shared by every instance that points at the same Redis and
 * prefix: each connection's tokens as one JSON value, and a refresh lock taken with
 * `SET NX PX` and released by a compare-and-delete script, so one refresh runs at a time per
 * connection across all instances. Keys name the connection by its SHA-256, never as given.
 * The package does not depend on either Redis library.
 *
 * @example
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
 * const connections = new UltraCartOAuthConnections({ client: strategy.client, store: new RedisOAuthTokenStore({ client: redis }) });
 */
export class RedisOAuthTokenStore implements OAuthTokenStore {
  private readonly command: Command;
  private readonly prefix: string;
  private readonly timeoutMs: number;

  constructor(options: RedisOAuthTokenStoreOptions) {
    const values = readOptions('RedisOAuthTokenStore', options, SCHEMA);
    this.command = commandFor(values.client);
    this.prefix = values.prefix ?? DEFAULT_PREFIX;
    this.timeoutMs = values.timeoutMs ?? 1000;
  }

  async get(connectionId: string): Promise<StoredOAuthTokens | undefined> {
    const reply = await this.send(['GET', this.key('tokens', connectionId)]);
    if (reply === null || reply === undefined) return undefined;
    const parsed = parseStored(String(reply));
    if (!parsed) throw new OAuthTokenStoreUnavailableError('passport-ultracart: the stored OAuth tokens could not be read');
    return parsed;
  }

  async set(connectionId: string, tokens: StoredOAuthTokens): Promise<void> {
    await this.send(['SET', this.key('tokens', connectionId), JSON.stringify(tokens)]);
  }

  async delete(connectionId: string): Promise<void> {
    await this.send(['DEL', this.key('tokens', connectionId)]);
  }

  async lock(connectionId: string, ttlMs: number): Promise<string | undefined> {
    const value = lockValue();
    const reply = await this.send(['SET', this.key('lock', connectionId), value, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX']);
    if (reply === null) return undefined;
    if (String(reply) === 'OK') return value;
    throw new OAuthTokenStoreUnavailableError('passport-ultracart: Redis answered the refresh lock with something other than OK or nil');
  }

  async unlock(connectionId: string, value: string): Promise<void> {
    await this.send(['EVAL', UNLOCK_SCRIPT, 1, this.key('lock', connectionId), value]);
  }

  private key(kind: 'tokens' | 'lock', connectionId: string): string {
    if (typeof connectionId !== 'string' || connectionId === '') throw new TypeError('RedisOAuthTokenStore: a connection id is required');
    return `${this.prefix}${kind}:${createHash('sha256').update(connectionId).digest('base64url')}`;
  }

  private async send(args: Array<string | number>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new OAuthTokenStoreUnavailableError(`passport-ultracart: Redis did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref?.();
    });
    try {
      return await Promise.race([
        this.command(args).catch((err: unknown) => {
          throw new OAuthTokenStoreUnavailableError('passport-ultracart: Redis failed an OAuth token store command', err);
        }),
        late,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function commandFor(client: unknown): Command {
  const shaped = client as Partial<IoRedisLike & NodeRedisLike> | null;
  if (shaped && typeof shaped.call === 'function') {
    const ioredis = shaped as IoRedisLike;
    return ([command, ...args]) => ioredis.call(String(command), ...args);
  }
  if (shaped && typeof shaped.sendCommand === 'function') {
    const nodeRedis = shaped as NodeRedisLike;
    return (args) => nodeRedis.sendCommand(args.map(String));
  }
  throw new TypeError(
    'RedisOAuthTokenStore: the client option must be a Redis client, from node-redis (createClient) or ioredis (new Redis())',
  );
}

function parseStored(text: string): StoredOAuthTokens | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredOAuthTokens> | null;
    if (!value || typeof value !== 'object' || typeof value.accessToken !== 'string') return undefined;
    return {
      accessToken: value.accessToken,
      refreshToken: typeof value.refreshToken === 'string' ? value.refreshToken : null,
      expiresAt: typeof value.expiresAt === 'number' ? value.expiresAt : null,
      scope: typeof value.scope === 'string' ? value.scope : null,
    };
  } catch {
    return undefined;
  }
}
