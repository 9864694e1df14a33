import session from 'express-session';
import { LRUCache } from 'lru-cache';

export interface BoundedMemoryStoreOptions {
  /** Most sessions kept; the least recently used goes first. Default 10 000. */
  maxSessions?: number;
  /** Most bytes of serialized sessions kept. Default 32 MiB. */
  maxBytes?: number;
  /** Lifetime of a session whose cookie has no expiry. Default 8 hours. */
  defaultTtlMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

type Callback = (err?: unknown, value?: unknown) => void;

/**
 * An express-session store for a single instance: in memory like express-session's MemoryStore,
 * but bounded (count and bytes) and expiring each session with its cookie, so a flood of
 * sign-in attempts cannot grow it without limit. Sessions are kept as JSON, so a request never
 * shares objects with the store.
 */
export class BoundedMemoryStore extends session.Store {
  private readonly cache: LRUCache<string, string>;
  private readonly now: () => number;
  private readonly defaultTtlMs: number;

  constructor(options: BoundedMemoryStoreOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.defaultTtlMs = options.defaultTtlMs ?? 8 * 60 * 60 * 1000;
    this.cache = new LRUCache<string, string>({
      max: options.maxSessions ?? 10_000,
      maxSize: options.maxBytes ?? 32 * 1024 * 1024,
      sizeCalculation: (value, key) => value.length + key.length,
      ttl: this.defaultTtlMs,
      ttlResolution: 0,
      perf: { now: this.now },
    });
  }

  /** How many sessions are held, expired ones not yet swept included. */
  get size(): number {
    return this.cache.size;
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const json = this.cache.get(sid);
    callback(null, json === undefined ? null : JSON.parse(json));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const ttl = this.ttlOf(data);
    if (ttl <= 0) this.cache.delete(sid);
    else this.cache.set(sid, JSON.stringify(data), { ttl });
    callback?.();
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    if (this.cache.has(sid)) this.set(sid, data, callback);
    else callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.cache.delete(sid);
    callback?.();
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    this.cache.purgeStale();
    callback(null, this.cache.size);
  }

  override clear(callback?: Callback): void {
    this.cache.clear();
    callback?.();
  }

  private ttlOf(data: session.SessionData): number {
    const expires = data.cookie?.expires;
    if (!expires) return this.defaultTtlMs;
    return new Date(expires).getTime() - this.now();
  }
}
