import type { IncomingMessage } from 'node:http';
import type { UltrapassIdFailureReason } from '../ultrapassid/messages.js';
import type { FailureReason } from '../ultracart/messages.js';
import type { UltraCartAuthenticateOptions } from '../ultracart/options.js';

/** The route options a refusal's delivery reads; both strategies' options have them. */
export type RefusalOptions = Pick<UltraCartAuthenticateOptions, 'failureRedirect' | 'failureMessage' | 'failureFlash'>;

/** A stable reason either strategy fails with. */
export type RefusalReason = FailureReason | UltrapassIdFailureReason;

/** What the strategy fails with: the person's message and the stable reason behind it. */
export interface Refusal {
  message: string;
  reason: RefusalReason;
  [fromVerify: string]: unknown;
}

/** How a refusal leaves the strategy: a redirect it sends itself, or a Passport `fail`. */
export type RefusalDelivery = { redirect: string } | { fail: object };

/** The query parameter carrying the reason to the failure page. */
export const REASON_PARAM = 'reason';

/**
 * Decides how a refused callback reaches the browser so that it never creates a session nor
 * grows one. Passport's `failureMessage` appends to `req.session.messages`: on a browser with no
 * session that creates one (and sets its cookie), and each failure of one browser adds a message,
 * so a flood of bad callbacks fills the session store or one session without bound.
 *
 * - With `failureRedirect` (and no `failureFlash`), the strategy redirects there itself, with the
 *   reason in the query (`?reason=expired`), and keeps `failureMessage` only in a session the
 *   browser already has, replacing any earlier message.
 * - Otherwise Passport fails as usual, but an earlier message is cleared first (Passport's push
 *   then leaves the latest alone), and a browser with no session gets no message written.
 */
export function deliverRefusal(req: IncomingMessage, options: RefusalOptions, refusal: Refusal, hadSession: boolean): RefusalDelivery {
  const session = sessionOf(req);
  const wantsMessage = options.failureMessage !== undefined && options.failureMessage !== false;
  const message = typeof options.failureMessage === 'string' ? options.failureMessage : refusal.message;
  const keepsMessage = wantsMessage && hadSession && session !== undefined;
  if (typeof options.failureRedirect === 'string' && !options.failureFlash) {
    if (keepsMessage) session.setMessages([message]);
    return { redirect: withReason(options.failureRedirect, refusal.reason) };
  }
  if (wantsMessage) {
    // Without a string message Passport writes nothing to the session.
    if (!keepsMessage) return { fail: withoutMessage(refusal) };
    const earlier = session.messages();
    if (Array.isArray(earlier) && earlier.length > 0) session.setMessages([]);
  }
  return { fail: refusal };
}

/**
 * True when the browser came with a session holding anything but its cookie, i.e. one that is
 * stored anyway. Asked before the state store takes the pending sign-in out of it.
 */
export function hasSession(req: IncomingMessage): boolean {
  return sessionOf(req)?.holdsData() ?? false;
}

/** `target` with `reason=<reason>` added to its query, before any fragment. */
export function withReason(target: string, reason: RefusalReason): string {
  const hash = target.indexOf('#');
  const base = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? '' : target.slice(hash);
  return `${base}${base.includes('?') ? '&' : '?'}${REASON_PARAM}=${reason}${fragment}`;
}

function withoutMessage(refusal: Refusal): object {
  const { message: _message, ...rest } = refusal;
  return rest;
}

interface SessionView {
  /** True when the session holds anything but its cookie: it is (or will be) stored anyway. */
  holdsData(): boolean;
  messages(): unknown;
  setMessages(list: string[]): void;
}

type GetSetSession = { get(key: string): unknown; set(key: string, value: unknown): void; data?: () => unknown };

/** express-session and cookie-session give a plain object; Fastify's sessions a get/set API. */
function sessionOf(req: IncomingMessage): SessionView | undefined {
  const session = (req as { session?: unknown }).session;
  if (!session || typeof session !== 'object') return undefined;
  if (typeof (session as GetSetSession).get === 'function' && typeof (session as GetSetSession).set === 'function') {
    const s = session as GetSetSession;
    return {
      holdsData: () => {
        const data = typeof s.data === 'function' ? s.data() : undefined;
        return data === undefined || (typeof data === 'object' && data !== null && Object.keys(data).length > 0);
      },
      messages: () => s.get('messages'),
      setMessages: (list) => s.set('messages', list),
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
