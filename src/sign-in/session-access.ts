import type { IncomingMessage } from 'node:http';
import { SessionRemovalError } from '../errors.js';
import type { StateCookieSettings } from './pending/types.js';

/**
 * Reading and writing `req.session` the same way whatever provides it: express-session and
 * cookie-session give a plain object; `@fastify/session` adds `get`/`set`; `@fastify/secure-session`
 * is a Proxy that reads and writes through `get`/`set` and ignores `delete`.
 */

type GetSetSession = { get(key: string): unknown; set(key: string, value: unknown): void; data?: () => unknown };

function isGetSet(session: object): session is GetSetSession {
  return typeof (session as GetSetSession).get === 'function' && typeof (session as GetSetSession).set === 'function';
}

/** The request's session object, if it has one. */
export function sessionObject(req: IncomingMessage): object | undefined {
  const session = (req as { session?: unknown }).session;
  return session && typeof session === 'object' ? session : undefined;
}

/** `session[key]`, through `get` where the session has one. */
export function readSession(session: object, key: string): unknown {
  if (isGetSet(session)) return session.get(key);
  return (session as Record<string, unknown>)[key];
}

/**
 * Removes `key` from the session and checks that it is gone. Assigning `undefined` reaches every
 * kind of session object; whatever is left after that is refused rather than trusted (a pending
 * sign-in that survived would no longer be used up by a wrong state).
 */
export function removeFromSession(session: Record<string, unknown>, key: string): void {
  delete session[key];
  if (session[key] === undefined) return;
  const withSetter = session as { set?: unknown };
  if (typeof withSetter.set === 'function') (withSetter.set as (k: string, v: unknown) => void).call(session, key, undefined);
  else session[key] = undefined;
  if (session[key] !== undefined) throw new SessionRemovalError(key);
}

/** What a refusal needs of the session: whether it is stored anyway, and Passport's `messages`. */
export interface SessionView {
  /** True when the session holds anything but its cookie: it is (or will be) stored anyway. */
  holdsData(): boolean;
  messages(): unknown;
  setMessages(list: string[]): void;
}

export function sessionView(req: IncomingMessage): SessionView | undefined {
  const session = sessionObject(req);
  if (!session) return undefined;
  if (isGetSet(session)) {
    return {
      holdsData: () => {
        const data = typeof session.data === 'function' ? session.data() : undefined;
        return data === undefined || (typeof data === 'object' && data !== null && Object.keys(data).length > 0);
      },
      messages: () => session.get('messages'),
      setMessages: (list) => session.set('messages', list),
    };
  }
  const s = session as Record<string, unknown>;
  return {
    holdsData: () => Object.keys(s).some((key) => key !== 'cookie'),
    messages: () => s.messages,
    setMessages: (list) => {
      s.messages = list;
    },
  };
}

/**
 * True when the browser came with a session holding anything but its cookie, i.e. one that is
 * stored anyway. Asked before the state store takes the pending sign-in out of it.
 */
export function hasSession(req: IncomingMessage): boolean {
  return sessionView(req)?.holdsData() ?? false;
}

type WithPassport = IncomingMessage & { user?: unknown; isAuthenticated?: () => boolean };

/** Whether someone is signed in on this request, as Passport (or @fastify/passport) sees it. */
export function isSignedIn(req: IncomingMessage): boolean {
  const request = req as WithPassport;
  if (typeof request.isAuthenticated === 'function') return request.isAuthenticated();
  return request.user !== undefined && request.user !== null;
}

/** The session cookie's attributes, read from `req.session.cookie` (express-session, `@fastify/session`). */
export function sessionCookieSettings(req: IncomingMessage): StateCookieSettings | undefined {
  const session = sessionObject(req);
  const cookie = session ? (session as { cookie?: unknown }).cookie : undefined;
  if (!cookie || typeof cookie !== 'object') return undefined;
  const { secure, sameSite } = cookie as { secure?: unknown; sameSite?: unknown };
  // express-session spells Strict `true` as well; 'auto' has become a boolean by the time we look.
  const same = sameSite === true ? 'strict' : typeof sameSite === 'string' ? sameSite.toLowerCase() : undefined;
  return {
    secure: secure === true,
    // express-session does not send a Secure cookie on a request it sees as plain http.
    notSetOverHttp: true,
    sameSite: same === 'strict' || same === 'lax' || same === 'none' ? same : undefined,
  };
}
