import type { IncomingMessage } from 'node:http';
import { SessionRemovalError, SessionRequiredError } from '../../errors.js';
import { integerRule, readOptions, stringRule } from '../../option-schema.js';
import { sameState } from './state-value.js';
import type { PendingSignIn, StateCookieSettings, StateStore, TakeResult } from './types.js';

/** Options of {@link SessionStateStore}; `undefined` counts as absent. */
export interface SessionStateStoreOptions {
  /** The `req.session` property holding the pending sign-ins. Default `ultracart:pending`. */
  key?: string | undefined;
  /** How many sign-ins one browser may have pending at once (tabs). Default 5, at most 50; the oldest goes first. */
  maxPending?: number | undefined;
}

const SCHEMA = { key: stringRule({ nonEmpty: true }), maxPending: integerRule(1, 50) };

type WithSession = IncomingMessage & { session?: Record<string, unknown> };

/**
 * Keeps pending sign-ins in the session (express-session or anything that provides `req.session`),
 * as a small list so that two tabs can each finish their own sign-in.
 */
export class SessionStateStore implements StateStore {
  private readonly key: string;
  private readonly maxPending: number;

  constructor(options: SessionStateStoreOptions = {}) {
    const values = readOptions('SessionStateStore', options, SCHEMA);
    this.key = values.key ?? 'ultracart:pending';
    this.maxPending = values.maxPending ?? 5;
  }

  ready(req: IncomingMessage): void {
    sessionOf(req);
  }

  /** The session cookie's attributes, read from `req.session.cookie` (express-session, `@fastify/session`). */
  cookieSettings(req: IncomingMessage): StateCookieSettings | undefined {
    const session = (req as WithSession).session;
    const cookie = session && typeof session === 'object' ? (session as { cookie?: unknown }).cookie : undefined;
    if (!cookie || typeof cookie !== 'object') return undefined;
    const { secure, sameSite } = cookie as { secure?: unknown; sameSite?: unknown };
    // express-session spells Strict `true` as well; 'auto' has become a boolean by the time we look.
    const same = sameSite === true ? 'strict' : typeof sameSite === 'string' ? sameSite.toLowerCase() : undefined;
    return {
      secure: secure === true,
      sameSite: same === 'strict' || same === 'lax' || same === 'none' ? same : undefined,
    };
  }

  async save(req: IncomingMessage, pending: PendingSignIn): Promise<void> {
    const session = sessionOf(req);
    const now = Date.now();
    const kept = readList(session[this.key]).filter((entry) => entry.expiresAt > now);
    kept.push(pending);
    session[this.key] = kept.slice(-this.maxPending);
  }

  async take(req: IncomingMessage, state: string | undefined): Promise<TakeResult> {
    const session = sessionOf(req);
    const list = readList(session[this.key]);
    let match: PendingSignIn | undefined;
    // Every entry is compared, so the time taken does not depend on which one matched.
    for (const entry of list) {
      if (state !== undefined && sameState(entry.state, state)) match = entry;
    }
    const rest = match ? list.filter((entry) => entry !== match) : [];
    if (rest.length > 0) session[this.key] = rest;
    else if (list.length > 0 || session[this.key] !== undefined) removeFrom(session, this.key);
    return { pending: match, hadPending: list.length > 0 };
  }
}

function sessionOf(req: IncomingMessage): Record<string, unknown> {
  const session = (req as WithSession).session;
  if (!session || typeof session !== 'object') throw new SessionRequiredError();
  return session;
}

/**
 * Removes `key` from the session and checks that it is gone. Session objects differ: express-session's
 * is a plain object, `@fastify/session` adds `get`/`set`, and `@fastify/secure-session` is a Proxy
 * that reads and writes through `get`/`set` but ignores `delete` (the key would survive, and a wrong
 * state would no longer use up the real one). Assigning `undefined` reaches all of them; whatever
 * is left after that is refused rather than trusted.
 */
function removeFrom(session: Record<string, unknown>, key: string): void {
  delete session[key];
  if (session[key] === undefined) return;
  const withSetter = session as { set?: unknown };
  if (typeof withSetter.set === 'function') (withSetter.set as (k: string, v: unknown) => void).call(session, key, undefined);
  else session[key] = undefined;
  if (session[key] !== undefined) throw new SessionRemovalError(key);
}

function readList(value: unknown): PendingSignIn[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (entry): entry is PendingSignIn =>
      !!entry && typeof entry === 'object' && typeof entry.state === 'string' && typeof entry.expiresAt === 'number',
  );
}
