import { createClient, type RedisClientType } from 'redis';

export type Redis = RedisClientType;

/**
 * How long any one Redis command of the app may take before the request is answered 503. node-redis
 * can time out a command only while it waits to be written; a command written to a Redis that
 * stalled (paused, swapping, a fail-over that keeps the connection) waits for its reply forever,
 * so every use of Redis here goes through {@link withRedisDeadline}.
 */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;
/** Commands queued for one connection at most; past it a command fails at once instead of waiting. */
const MAX_QUEUED_COMMANDS = 10_000;

/** Redis did not answer in time, or could not be reached: the request is answered 503 and may be retried. */
export class RedisUnavailableError extends Error {
  readonly code = 'REDIS_UNAVAILABLE';
  readonly status = 503;
  readonly retryAfter = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** The longest wait between two attempts to reconnect: Redis back from a restart is used again within about this. */
const MAX_RECONNECT_DELAY_MS = 500;

/**
 * Connects to Redis for sessions, rate-limit counters and used states. Without a connection,
 * commands fail at once rather than queue (no offline queue), and the client reconnects by
 * itself, at most {@link MAX_RECONNECT_DELAY_MS} apart (node-redis waits up to 2 s by default, which
 * would be most of the time a restart takes). Connection errors are reported without the URL,
 * which may carry a password.
 */
export async function connectRedis(url: string, report: (line: string) => void): Promise<Redis> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    socket: { connectTimeout: 5000, reconnectStrategy: reconnectDelay },
  });
  client.on('error', (err: unknown) => report(`redis: ${err instanceof Error ? err.name : 'error'}: connection problem`));
  await client.connect();
  return client as unknown as Redis;
}

/** Milliseconds before reconnection attempt `retries`: doubling from 50, capped, with jitter so instances do not reconnect in step. */
export function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, MAX_RECONNECT_DELAY_MS) + Math.floor(Math.random() * 50);
}

/**
 * `command`'s own outcome, or a {@link RedisUnavailableError} once `timeoutMs` has passed without
 * one. What Redis answered is passed on unchanged, errors included: a caller may act on them, as
 * rate-limit-redis does on `NOSCRIPT` (it loads its script again). A late reply is dropped; the
 * connection stays, so the next command goes through as soon as Redis answers.
 */
export function withRedisDeadline<T>(command: Promise<T>, timeoutMs = REDIS_COMMAND_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // A reply that comes after the deadline must not become an unhandled rejection.
  command.catch(() => {});
  return Promise.race([command, deadline]).finally(() => clearTimeout(timer));
}
