import { createHash } from 'node:crypto';
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { RedisUnavailableError, withRedisDeadline, type Redis } from './redis.js';

/**
 * rate-limit-redis on the app's Redis client, each command with the app's deadline, and any
 * failure of the store answered as a {@link RedisUnavailableError} (the 503 page) once the store
 * has had its say.
 *
 * The store runs its Lua script by `EVALSHA`, and loads it again when Redis answers `NOSCRIPT`
 * (after a restart, a `SCRIPT FLUSH` or a fail-over): for that the store must see Redis's own
 * error, so errors reach it unchanged and become the app's error only past it.
 */
export function redisRateLimitStore(redis: Redis, prefix: string): Store {
  return new StoreFailuresUnavailable(new RedisStore({ prefix, sendCommand: (...args: string[]) => sendWithDeadline(redis, args) }));
}

/**
 * One command, bounded in time. A `SCRIPT LOAD` that fails still answers the script's SHA-1:
 * rate-limit-redis keeps the promise of that answer for every later `EVALSHA`, so a rejected one
 * (Redis down at that moment) would fail every call until the app restarts. Redis names a script
 * by the SHA-1 of its text, so the answer is known without Redis; if the script is not loaded, the
 * next `EVALSHA` gets `NOSCRIPT` and the store loads it again.
 */
async function sendWithDeadline(redis: Redis, args: string[]): Promise<RedisReply> {
  const reply = withRedisDeadline(redis.sendCommand(args) as Promise<RedisReply>);
  const [command, subcommand, script] = args;
  if (command?.toUpperCase() !== 'SCRIPT' || subcommand?.toUpperCase() !== 'LOAD' || script === undefined) return reply;
  return reply.catch(() => createHash('sha1').update(script).digest('hex'));
}

/** A store whose every failure, whatever it was, is a {@link RedisUnavailableError} with the original as its cause. */
class StoreFailuresUnavailable implements Store {
  readonly localKeys = false;
  readonly prefix: string | undefined;

  constructor(private readonly inner: Store) {
    this.prefix = inner.prefix;
  }

  init(options: Options): Promise<void> {
    return unavailableOnFailure(async () => this.inner.init?.(options));
  }

  get(key: string): Promise<ClientRateLimitInfo | undefined> {
    return unavailableOnFailure(async () => this.inner.get?.(key));
  }

  increment(key: string): Promise<IncrementResponse> {
    return unavailableOnFailure(async () => this.inner.increment(key));
  }

  decrement(key: string): Promise<void> {
    return unavailableOnFailure(async () => this.inner.decrement(key));
  }

  resetKey(key: string): Promise<void> {
    return unavailableOnFailure(async () => this.inner.resetKey(key));
  }
}

async function unavailableOnFailure<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw err instanceof RedisUnavailableError
      ? err
      : new RedisUnavailableError('Redis refused or lost a rate-limit command', { cause: err });
  }
}
