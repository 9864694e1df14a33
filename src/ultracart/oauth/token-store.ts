import { randomBytes } from 'node:crypto';

/** One connection's tokens as a store keeps them: plain JSON, the expiry in epoch milliseconds. */
export interface StoredOAuthTokens {
  accessToken: string;
  refreshToken: string | null;
  /** Epoch milliseconds, or null when UltraCart did not say. */
  expiresAt: number | null;
  scope: string | null;
}

/**
 * Where an app's UltraCart connections keep their tokens, and the lock that lets one refresh run
 * at a time per connection across every instance sharing the store. Refresh tokens may rotate
 * (UltraCart does not say): two instances refreshing one connection at once, each with the same
 * refresh token, could otherwise end with the rotated one lost. Every method must settle in a
 * bounded time.
 *
 * The tokens act for a merchant's whole account: a store shared between instances should be
 * private to the app (and encrypted at rest where that is the policy).
 */
export interface OAuthTokenStore {
  get(connectionId: string): Promise<StoredOAuthTokens | undefined>;
  set(connectionId: string, tokens: StoredOAuthTokens): Promise<void>;
  delete(connectionId: string): Promise<void>;
  /**
   * Takes the refresh lock of `connectionId` for `ttlMs` at most. Resolves to a value to release
   * it with, or undefined when another holder has it.
   */
  lock(connectionId: string, ttlMs: number): Promise<string | undefined>;
  /** Releases the lock, if `lockValue` still holds it (a lock that expired and was taken again is left alone). */
  unlock(connectionId: string, lockValue: string): Promise<void>;
}

/** A new, unguessable lock value. */
export function lockValue(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * An {@link OAuthTokenStore} in this process's memory: enough for one instance (refreshes are
 * single-flight within a process anyway). Several instances need a shared store, such as
 * `RedisOAuthTokenStore`.
 */
export class MemoryOAuthTokenStore implements OAuthTokenStore {
  private readonly tokens = new Map<string, StoredOAuthTokens>();
  private readonly locks = new Map<string, { value: string; until: number }>();

  async get(connectionId: string): Promise<StoredOAuthTokens | undefined> {
    const stored = this.tokens.get(connectionId);
    return stored && { ...stored };
  }

  async set(connectionId: string, tokens: StoredOAuthTokens): Promise<void> {
    this.tokens.set(connectionId, { ...tokens });
  }

  async delete(connectionId: string): Promise<void> {
    this.tokens.delete(connectionId);
  }

  async lock(connectionId: string, ttlMs: number): Promise<string | undefined> {
    const held = this.locks.get(connectionId);
    if (held && held.until > Date.now()) return undefined;
    const value = lockValue();
    this.locks.set(connectionId, { value, until: Date.now() + ttlMs });
    return value;
  }

  async unlock(connectionId: string, value: string): Promise<void> {
    if (this.locks.get(connectionId)?.value === value) this.locks.delete(connectionId);
  }

  /** How many connections are stored. */
  get size(): number {
    return this.tokens.size;
  }
}
