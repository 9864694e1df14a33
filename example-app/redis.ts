import { createClient, type RedisClientType } from 'redis';

export type Redis = RedisClientType;

/**
 * Connects to Redis for sessions and rate-limit counters. Connection errors are reported without
 * the URL, which may carry a password.
 */
export async function connectRedis(url: string, report: (line: string) => void): Promise<Redis> {
  const client = createClient({ url });
  client.on('error', (err: unknown) => report(`redis: ${err instanceof Error ? err.name : 'error'}: connection problem`));
  await client.connect();
  return client as unknown as Redis;
}
