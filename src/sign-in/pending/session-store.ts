import type { IncomingMessage } from 'node:http';
import { SessionRequiredError } from '../../errors.js';
import { integerRule, readOptions, stringRule } from '../../option-schema.js';
import { sameState } from './state-value.js';
import { removeFromSession, sessionCookieSettings } from '../session-access.js';
import type { PendingSignIn, StateCookieSettings, StateStore, TakeResult, TakeScope } from './types.js';

/** Options of {@link SessionStateStore}; `undefined` counts as absent. */
export interface SessionStateStoreOptions {
  /**
   * The `req.session` property holding the pending sign-ins. Default: one per strategy,
   * `<strategy name>:pending` (`ultracart:pending`, `ultrapassid:pending`). With a key given, the
   * strategies that share this store share the property, and each still sees only its own entries.
   */
  key?: string | undefined;
  /** How many sign-ins one browser may have pending at once (tabs). Default 5, at most 50; the oldest goes first. */
  maxPending?: number | undefined;
}

const SCHEMA = { key: stringRule({ nonEmpty: true }), maxPending: integerRule(1, 50) };
/** Where every strategy kept its pending sign-ins before they were kept per strategy. */
const LEGACY_KEY = 'ultracart:pending';

type WithSession = IncomingMessage & { session?: Record<string, unknown> };

/**
 * Keeps pending sign-ins in the session (express-session or anything that provides `req.session`),
 * as a small list so that two tabs can each finish their own sign-in.
 */
export class SessionStateStore implements StateStore {
  private readonly key: string | undefined;
  private readonly maxPending: number;

  constructor(options: SessionStateStoreOptions = {}) {
    const values = readOptions('SessionStateStore', options, SCHEMA);
    this.key = values.key;
    this.maxPending = values.maxPending ?? 5;
  }

  ready(req: IncomingMessage): void {
    sessionOf(req);
  }

  /** The session cookie's attributes, read from `req.session.cookie` (express-session, `@fastify/session`). */
  cookieSettings(req: IncomingMessage): StateCookieSettings | undefined {
    return sessionCookieSettings(req);
  }

  async save(req: IncomingMessage, pending: PendingSignIn): Promise<void> {
    const session = sessionOf(req);
    const key = this.keyFor(pending.strategy);
    const now = Date.now();
    const list = readList(session[key]).filter((entry) => entry.expiresAt > now);
    const mine = list.filter((entry) => entry.strategy === pending.strategy);
    // The oldest of this strategy's entries goes first; other strategies' entries are left alone.
    const dropped = new Set(mine.slice(0, Math.max(0, mine.length + 1 - this.maxPending)));
    session[key] = [...list.filter((entry) => !dropped.has(entry)), pending];
  }

  async take(req: IncomingMessage, state: string | undefined, scope?: TakeScope): Promise<TakeResult> {
    const session = sessionOf(req);
    const strategy = scope?.strategy;
    const key = this.keyFor(strategy);
    const list = readList(session[key]);
    // Entries without an owner were saved before pending sign-ins were kept per strategy.
    const ours = (entry: PendingSignIn): boolean => strategy === undefined || entry.strategy === strategy || entry.strategy === undefined;
    const mine = list.filter(ours);
    let match: PendingSignIn | undefined;
    // Every entry is compared, so the time taken does not depend on which one matched.
    for (const entry of mine) {
      if (state !== undefined && sameState(entry.state, state)) match = entry;
    }
    const removed = match || !scope?.keepOthers ? new Set(match ? [match] : mine) : new Set<PendingSignIn>();
    if (removed.size > 0 || (list.length === 0 && session[key] !== undefined)) this.write(session, key, list, removed);
    if (!match && state !== undefined && key !== LEGACY_KEY && this.key === undefined) match = takeLegacy(session, state);
    return { pending: match, hadPending: mine.length > 0 };
  }

  /** The property a strategy's entries live in: the one given, else one per strategy. */
  private keyFor(strategy: string | undefined): string {
    return this.key ?? (strategy === undefined ? LEGACY_KEY : `${strategy}:pending`);
  }

  private write(session: Record<string, unknown>, key: string, list: PendingSignIn[], removed: Set<PendingSignIn>): void {
    const rest = list.filter((entry) => !removed.has(entry));
    if (rest.length > 0) session[key] = rest;
    else removeFromSession(session, key);
  }
}

/**
 * A sign-in saved, before the upgrade, where every strategy kept its entries: handed back without
 * an owner, so the strategy refuses it with a reason saying so, and removed.
 */
function takeLegacy(session: Record<string, unknown>, state: string): PendingSignIn | undefined {
  const list = readList(session[LEGACY_KEY]);
  const match = list.find((entry) => entry.strategy === undefined && sameState(entry.state, state));
  if (!match) return undefined;
  const rest = list.filter((entry) => entry !== match);
  if (rest.length > 0) session[LEGACY_KEY] = rest;
  else removeFromSession(session, LEGACY_KEY);
  return match;
}

function sessionOf(req: IncomingMessage): Record<string, unknown> {
  const session = (req as WithSession).session;
  if (!session || typeof session !== 'object') throw new SessionRequiredError();
  return session;
}

function readList(value: unknown): PendingSignIn[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is PendingSignIn =>
      !!entry &&
      typeof entry === 'object' &&
      typeof entry.state === 'string' &&
      typeof entry.expiresAt === 'number' &&
      (entry.strategy === undefined || typeof entry.strategy === 'string'),
  );
}
