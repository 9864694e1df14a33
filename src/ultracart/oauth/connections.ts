import { log } from '../../log.js';
import { integerRule, objectWithMethodsRule, readOptions } from '../../option-schema.js';
import type { UltraCartOAuthClient } from './client.js';
import { UltraCartNotConnectedError, UltraCartOAuthError, UltraCartRefreshBusyError } from './errors.js';
import { MemoryOAuthTokenStore, type OAuthTokenStore, type StoredOAuthTokens } from './token-store.js';
import { readScopes, type UltraCartOAuthTokens } from './tokens.js';

/** Options of {@link UltraCartOAuthConnections}. */
export interface UltraCartOAuthConnectionsOptions {
  /** The client that refreshes and revokes: `strategy.client`, or an `UltraCartOAuthClient` of the same app. */
  client: UltraCartOAuthClient;
  /** Where tokens and refresh locks live. Default: this process's memory. Several instances: a shared store (`RedisOAuthTokenStore`). */
  store?: OAuthTokenStore | undefined;
  /** An access token this close to its expiry is refreshed before use. Default 60 000 ms. */
  refreshAheadMs?: number | undefined;
  /** Longest one instance holds a connection's refresh lock. Default the client's timeout plus 5 s, so a refresh always ends inside it. */
  lockTtlMs?: number | undefined;
  /** Longest a use waits for another instance's refresh of the same connection. Default `lockTtlMs` plus 1 s. */
  waitMs?: number | undefined;
  /** How often a waiting use looks at the store again. Default 50 ms. */
  pollMs?: number | undefined;
}

const SCHEMA = {
  client: objectWithMethodsRule<UltraCartOAuthClient, true>(['refresh', 'revoke'], { required: true }),
  store: objectWithMethodsRule<OAuthTokenStore>(['get', 'set', 'delete', 'lock', 'unlock']),
  refreshAheadMs: integerRule(0, 24 * 3600 * 1000),
  lockTtlMs: integerRule(100, 10 * 60 * 1000),
  waitMs: integerRule(0, 10 * 60 * 1000),
  pollMs: integerRule(5, 10_000),
};

/** How {@link UltraCartOAuthConnections.disconnect} went. */
export type DisconnectOutcome =
  /** UltraCart confirmed the revocation. */
  | 'revoked'
  /** UltraCart no longer knew the token (revoked or disabled already), or nothing was stored. */
  | 'already-ended'
  /** UltraCart could not be reached or refused; the tokens were forgotten here anyway. */
  | 'failed';

/**
 * The token lifecycle of an app's UltraCart connections, one per connected store, keyed by an id
 * the app chooses (its user's or tenant's id). It hands out access tokens, refreshing one that is
 * expired or about to be:
 *
 * - once per process: concurrent uses of one connection share a single refresh call;
 * - once across instances sharing the store: a refresh runs under the connection's lock and reads
 *   the tokens again first, so an instance that waited uses the tokens another just got, and a
 *   rotated refresh token is never overwritten by a stale one;
 * - a refused refresh (revoked, app disabled) rejects with code `ULTRACART_OAUTH_RECONNECT_NEEDED`.
 *
 * @example
 * const connections = new UltraCartOAuthConnections({ client: strategy.client, store: new RedisOAuthTokenStore({ client: redis }) });
 * await connections.save(user.id, tokens);                      // in verify, once connected
 * const items = await connections.withAccessToken(user.id, (token) => strategy.client.get('/item/items', token));
 * await connections.disconnect(user.id);                        // revokes at UltraCart
 */
export class UltraCartOAuthConnections {
  readonly store: OAuthTokenStore;
  private readonly client: UltraCartOAuthClient;
  private readonly refreshAheadMs: number;
  private readonly lockTtlMs: number;
  private readonly waitMs: number;
  private readonly pollMs: number;
  /** Refreshes under way in this process, one per connection. */
  private readonly inFlight = new Map<string, Promise<StoredOAuthTokens>>();

  constructor(options: UltraCartOAuthConnectionsOptions) {
    const values = readOptions('UltraCartOAuthConnections', options, SCHEMA);
    this.client = values.client;
    this.store = values.store ?? new MemoryOAuthTokenStore();
    this.refreshAheadMs = values.refreshAheadMs ?? 60_000;
    const clientTimeout = typeof values.client.timeoutMs === 'number' ? values.client.timeoutMs : 10_000;
    this.lockTtlMs = values.lockTtlMs ?? clientTimeout + 5_000;
    this.waitMs = values.waitMs ?? this.lockTtlMs + 1_000;
    this.pollMs = values.pollMs ?? 50;
  }

  /** Keeps a connection's tokens (after `exchangeCode`, in verify), replacing any earlier ones. */
  async save(connectionId: string, tokens: UltraCartOAuthTokens): Promise<void> {
    await this.store.set(connectionId, toStored(tokens));
  }

  /** The stored tokens, or undefined when the store has none for this connection. */
  async get(connectionId: string): Promise<UltraCartOAuthTokens | undefined> {
    const stored = await this.store.get(connectionId);
    return stored && fromStored(stored);
  }

  /** An access token to call UltraCart with, refreshed first when it is expired or expires within `refreshAheadMs`. */
  async accessToken(connectionId: string): Promise<string> {
    const stored = await this.stored(connectionId);
    if (this.isFresh(stored)) return stored.accessToken;
    return (await this.refreshOnce(connectionId, (current) => !this.isFresh(current))).accessToken;
  }

  /**
   * Refreshes now (the example app's "refresh now"), unless a refresh of this connection is
   * already under way here or has just been made elsewhere: then its result is used.
   */
  async refresh(connectionId: string): Promise<UltraCartOAuthTokens> {
    const seen = await this.stored(connectionId);
    return fromStored(await this.refreshOnce(connectionId, (current) => current.accessToken === seen.accessToken));
  }

  /**
   * Runs `call` with a fresh access token; when UltraCart refuses that token
   * (`ULTRACART_OAUTH_TOKEN_REJECTED`, e.g. a token whose lifetime was not known), refreshes and
   * runs it once more.
   */
  async withAccessToken<T>(connectionId: string, call: (accessToken: string) => Promise<T>): Promise<T> {
    const token = await this.accessToken(connectionId);
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof UltraCartOAuthError) || err.code !== 'ULTRACART_OAUTH_TOKEN_REJECTED') throw err;
      log.ultracart('OAuth access token refused by UltraCart: refreshing once and retrying');
      const refreshed = await this.refreshOnce(connectionId, (current) => current.accessToken === token);
      return call(refreshed.accessToken);
    }
  }

  /**
   * Revokes the connection at UltraCart and forgets its tokens here, whatever UltraCart answered:
   * the app's side is disconnected either way, and the outcome says whether UltraCart confirmed.
   */
  async disconnect(connectionId: string): Promise<DisconnectOutcome> {
    const stored = await this.store.get(connectionId);
    if (!stored) return 'already-ended';
    try {
      const answer = await this.client.revoke(stored.accessToken);
      return answer.successful ? 'revoked' : 'already-ended';
    } catch (err) {
      if (err instanceof UltraCartOAuthError && err.code === 'ULTRACART_OAUTH_RECONNECT_NEEDED') return 'already-ended';
      log.ultracart('OAuth revoke at disconnect failed: %s', err instanceof UltraCartOAuthError ? err.code : 'unexpected error');
      return 'failed';
    } finally {
      await this.store.delete(connectionId);
    }
  }

  private async stored(connectionId: string): Promise<StoredOAuthTokens> {
    const stored = await this.store.get(connectionId);
    if (!stored) throw new UltraCartNotConnectedError();
    return stored;
  }

  private isFresh(tokens: StoredOAuthTokens): boolean {
    return tokens.expiresAt === null || tokens.expiresAt - this.refreshAheadMs > Date.now();
  }

  /** One refresh per connection in this process: later callers share the one under way. */
  private refreshOnce(connectionId: string, stillNeeded: (current: StoredOAuthTokens) => boolean): Promise<StoredOAuthTokens> {
    const running = this.inFlight.get(connectionId);
    if (running) return running;
    const refresh = this.refreshUnderLock(connectionId, stillNeeded).finally(() => this.inFlight.delete(connectionId));
    this.inFlight.set(connectionId, refresh);
    return refresh;
  }

  /**
   * One refresh per connection across instances: under the store's lock, the tokens are read
   * again and refreshed only if still needed. An instance that finds the lock taken waits for the
   * tokens to change (the holder's refresh landing) or the lock to come free, within `waitMs`.
   */
  private async refreshUnderLock(connectionId: string, stillNeeded: (current: StoredOAuthTokens) => boolean): Promise<StoredOAuthTokens> {
    const giveUpAt = Date.now() + this.waitMs;
    for (;;) {
      const lock = await this.store.lock(connectionId, this.lockTtlMs);
      if (lock !== undefined) {
        try {
          const current = await this.stored(connectionId);
          if (!stillNeeded(current)) return current;
          if (current.refreshToken === null) {
            throw new UltraCartOAuthError('UltraCart OAuth: the connection has no refresh token; the merchant must connect again', {
              code: 'ULTRACART_OAUTH_RECONNECT_NEEDED',
              endpoint: 'refresh',
              status: 401,
            });
          }
          const next = toStored(await this.client.refresh(current.refreshToken));
          await this.store.set(connectionId, next);
          log.ultracart('OAuth connection refreshed');
          return next;
        } finally {
          await this.store
            .unlock(connectionId, lock)
            .catch(() => log.ultracart('OAuth refresh lock could not be released; it expires by itself'));
        }
      }
      await delay(this.pollMs);
      const current = await this.stored(connectionId);
      if (!stillNeeded(current)) return current;
      if (Date.now() >= giveUpAt) throw new UltraCartRefreshBusyError(this.waitMs);
    }
  }
}

function toStored(tokens: UltraCartOAuthTokens): StoredOAuthTokens {
  return {
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt?.getTime() ?? null,
    scope: tokens.scope,
  };
}

function fromStored(stored: StoredOAuthTokens): UltraCartOAuthTokens {
  return {
    accessToken: stored.accessToken,
    refreshToken: stored.refreshToken,
    expiresAt: stored.expiresAt === null ? null : new Date(stored.expiresAt),
    scope: stored.scope,
    scopes: readScopes(stored.scope),
    tokenType: 'bearer',
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
