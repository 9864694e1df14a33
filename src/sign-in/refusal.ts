import type { IncomingMessage } from 'node:http';
import { REASON_PARAM } from './reasons.js';
import { sessionView } from './session-access.js';

/** The route options a refusal's delivery reads; every strategy's route options have them. */
export interface RefusalOptions {
  failureRedirect?: string | undefined;
  failureMessage?: boolean | string | undefined;
  failureFlash?: boolean | string | undefined;
}

/** What the strategy fails with: the person's message and the stable reason behind it. */
export interface Refusal {
  message: string;
  reason: string;
  [fromVerify: string]: unknown;
}

/** How a refusal leaves the strategy: a redirect it sends itself, or a Passport `fail`. */
export type RefusalDelivery = { redirect: string } | { fail: object };

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
  const session = sessionView(req);
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

/** `target` with `reason=<reason>` added to its query, before any fragment. */
export function withReason(target: string, reason: string): string {
  const hash = target.indexOf('#');
  const base = hash === -1 ? target : target.slice(0, hash);
  const fragment = hash === -1 ? '' : target.slice(hash);
  return `${base}${base.includes('?') ? '&' : '?'}${REASON_PARAM}=${encodeURIComponent(reason)}${fragment}`;
}

function withoutMessage(refusal: Refusal): object {
  const { message: _message, ...rest } = refusal;
  return rest;
}
