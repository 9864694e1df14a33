import session from 'express-session';
import { LRUCache } from 'lru-cache';

export interface BoundedMemoryStoreOptions {
  /** Most signed-in sessions kept; past it the least recently used signed-in one goes. Default 10 000. */
  maxSessions?: number;
  /** Most bytes of serialized signed-in sessions kept. Default 32 MiB. */
  maxBytes?: number;
  /**
   * Most sessions of browsers that are not signed in (pending sign-ins) kept; past it the least
   * recently used of those goes, never a signed-in one. Default 10 000.
   */
  maxAnonymousSessions?: number;
  /** Most bytes of serialized anonymous sessions kept. Default 8 MiB. */
  maxAnonymousBytes?: number;
  /**
   * Most signed-in sessions of one user kept; past it that user's least recently used one goes, so
   * one account signing in again and again only ever evicts its own sessions. Default 10.
   */
  maxSessionsPerUser?: number;
  /** Lifetime of a session whose cookie has no expiry. Default 8 hours. */
  defaultTtlMs?: number;
  /** Which sessions count as signed in. Default: those holding a Passport user. */
  isSignedIn?: (data: session.SessionData) => boolean;
  /** Whose a signed-in session is, for `maxSessionsPerUser`. Default: the Passport user's `id` (or the user, if a string). */
  userOf?: (data: session.SessionData) => string | undefined;
  /** The clock, for tests. */
  now?: () => number;
}

type Callback = (err?: unknown, value?: unknown) => void;

/**
 * An express-session store for a single instance: in memory like express-session's MemoryStore,
 * but bounded (count and bytes) and expiring each session with its cookie, so a flood of
 * sign-in attempts cannot grow it without limit. Signed-in and anonymous sessions are bounded
 * apart: anonymous ones are cheap to make (one request each), so making many only ever evicts
 * other anonymous ones, never a signed-in user. Each user has a cap of their own within the
 * signed-in ones, so signing one account in many times evicts only that account's sessions.
 * Sessions are kept as JSON, so a request never shares objects with the store.
 *
 * A signed-in session pushed out to make room (the store full, or its user over the cap) is
 * announced with an `evicted` event `(sid, data)`, so the app can revoke what it held: nobody can
 * sign that session out any more. Expired, destroyed and signed-out sessions are not announced.
 */
export class BoundedMemoryStore extends session.Store {
  private readonly signedIn: LRUCache<string, string>;
  private readonly anonymous: LRUCache<string, string>;
  private readonly isSignedIn: (data: session.SessionData) => boolean;
  private readonly userOf: (data: session.SessionData) => string | undefined;
  private readonly maxSessionsPerUser: number;
  /** Each signed-in session's user, and each user's sessions, least recently used first. */
  private readonly owners = new Map<string, string>();
  private readonly sessionsOf = new Map<string, Set<string>>();
  private readonly now: () => number;
  private readonly defaultTtlMs: number;

  constructor(options: BoundedMemoryStoreOptions = {}) {
    super();
    this.now = options.now ?? Date.now;
    this.defaultTtlMs = options.defaultTtlMs ?? 8 * 60 * 60 * 1000;
    this.isSignedIn = options.isSignedIn ?? holdsPassportUser;
    this.userOf = options.userOf ?? passportUserId;
    this.maxSessionsPerUser = options.maxSessionsPerUser ?? 10;
    if (!Number.isInteger(this.maxSessionsPerUser) || this.maxSessionsPerUser < 1) {
      throw new TypeError('BoundedMemoryStore: the maxSessionsPerUser option must be an integer of at least 1');
    }
    this.signedIn = this.cache(options.maxSessions ?? 10_000, options.maxBytes ?? 32 * 1024 * 1024, (json, sid, reason) =>
      this.signedInGone(sid, json, reason),
    );
    this.anonymous = this.cache(options.maxAnonymousSessions ?? 10_000, options.maxAnonymousBytes ?? 8 * 1024 * 1024);
  }

  /** How many sessions are held, expired ones not yet swept included. */
  get size(): number {
    return this.signedIn.size + this.anonymous.size;
  }

  /** How many of them are signed in. */
  get signedInSize(): number {
    return this.signedIn.size;
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    const json = this.signedIn.get(sid) ?? this.anonymous.get(sid);
    const owner = this.owners.get(sid);
    if (owner !== undefined) this.markUsed(owner, sid);
    callback(null, json === undefined ? null : JSON.parse(json));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    const ttl = this.ttlOf(data);
    const [tier, other] = this.isSignedIn(data) ? [this.signedIn, this.anonymous] : [this.anonymous, this.signedIn];
    other.delete(sid);
    if (ttl <= 0) {
      tier.delete(sid);
    } else if (tier === this.signedIn) {
      // The user's own oldest go first, before the tier would push out someone else's to make room.
      const user = this.userOf(data);
      this.makeRoomFor(sid, user);
      tier.set(sid, JSON.stringify(data), { ttl });
      if (user !== undefined && tier.has(sid)) {
        this.owners.set(sid, user);
        this.markUsed(user, sid);
      }
    } else {
      tier.set(sid, JSON.stringify(data), { ttl });
    }
    callback?.();
  }

  /**
   * Extends the stored session's expiry to the request's, if that is later, and changes nothing
   * else: the request's copy may be older than what another tab saved meanwhile (case 56).
   */
  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    const tier = this.signedIn.has(sid) ? this.signedIn : this.anonymous.has(sid) ? this.anonymous : undefined;
    const json = tier?.get(sid, { updateAgeOnGet: false });
    const wanted = data.cookie?.expires ? new Date(data.cookie.expires).getTime() : undefined;
    if (tier && json !== undefined && wanted !== undefined) {
      const stored = JSON.parse(json) as session.SessionData;
      const current = stored.cookie?.expires ? new Date(stored.cookie.expires).getTime() : 0;
      if (wanted > current) {
        stored.cookie = { ...stored.cookie, expires: new Date(wanted) } as session.SessionData['cookie'];
        tier.set(sid, JSON.stringify(stored), { ttl: wanted - this.now() });
      }
    }
    callback?.();
  }

  override destroy(sid: string, callback?: Callback): void {
    this.signedIn.delete(sid);
    this.anonymous.delete(sid);
    callback?.();
  }

  override length(callback: (err: unknown, length?: number) => void): void {
    this.signedIn.purgeStale();
    this.anonymous.purgeStale();
    callback(null, this.size);
  }

  override clear(callback?: Callback): void {
    this.signedIn.clear();
    this.anonymous.clear();
    callback?.();
  }

  /** Evicts `user`'s least recently used sessions until `sid`, saved for them, keeps them within the cap. */
  private makeRoomFor(sid: string, user: string | undefined): void {
    if (this.owners.get(sid) !== user) this.forgetOwner(sid);
    const own = user === undefined ? undefined : this.sessionsOf.get(user);
    while (own && own.size - (own.has(sid) ? 1 : 0) >= this.maxSessionsPerUser) {
      const oldest = [...own].find((other) => other !== sid)!;
      const json = this.signedIn.peek(oldest);
      // Its dispose forgets its owner, which shrinks `own`.
      this.signedIn.delete(oldest);
      this.forgetOwner(oldest);
      if (json !== undefined) this.emit('evicted', oldest, JSON.parse(json) as session.SessionData);
    }
  }

  private markUsed(user: string, sid: string): void {
    let own = this.sessionsOf.get(user);
    if (!own) this.sessionsOf.set(user, (own = new Set()));
    own.delete(sid);
    own.add(sid);
  }

  private forgetOwner(sid: string): void {
    const user = this.owners.get(sid);
    if (user === undefined) return;
    this.owners.delete(sid);
    const own = this.sessionsOf.get(user);
    own?.delete(sid);
    if (own?.size === 0) this.sessionsOf.delete(user);
  }

  /** A signed-in session left the store: replaced (`set`, its owner is updated by `set`), or gone for good. */
  private signedInGone(sid: string, json: string, reason: LRUCache.DisposeReason): void {
    if (reason === 'set') return;
    this.forgetOwner(sid);
    if (reason === 'evict') this.emit('evicted', sid, JSON.parse(json) as session.SessionData);
  }

  private cache(
    max: number,
    maxSize: number,
    dispose?: (value: string, key: string, reason: LRUCache.DisposeReason) => void,
  ): LRUCache<string, string> {
    return new LRUCache<string, string>({
      max,
      maxSize,
      ...(dispose && { dispose }),
      sizeCalculation: (value, key) => value.length + key.length,
      ttl: this.defaultTtlMs,
      ttlResolution: 0,
      perf: { now: this.now },
    });
  }

  private ttlOf(data: session.SessionData): number {
    const expires = data.cookie?.expires;
    if (!expires) return this.defaultTtlMs;
    return new Date(expires).getTime() - this.now();
  }
}

function passportUserId(data: session.SessionData): string | undefined {
  const user = (data as { passport?: { user?: unknown } }).passport?.user;
  if (typeof user === 'string') return user;
  const id = user && typeof user === 'object' ? (user as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

function holdsPassportUser(data: session.SessionData): boolean {
  const record = (data as { passport?: { user?: unknown } }).passport;
  return record !== undefined && record !== null && record.user !== undefined && record.user !== null;
}
