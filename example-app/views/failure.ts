import type { FailureReason } from 'passport-ultracart';
import { problemPage } from './problem.js';

interface Explanation {
  title: string;
  explanation: string;
}

const EXPIRED: Explanation = {
  title: 'This sign-in link has expired',
  explanation:
    'Sign-in links from UltraCart work once and only for a few minutes. Nothing is wrong with your account: start again and approve within a few minutes.',
};
const COOKIE_LOST: Explanation = {
  title: 'We could not match this sign-in to your browser',
  explanation:
    'The sign-in came back to a browser that did not start it, or this site’s cookie was lost on the way (blocked cookies, a private window that was closed, or a link opened in another browser). Allow cookies for this site and start again from here.',
};
const INCOMPLETE: Explanation = {
  title: 'The answer from UltraCart was incomplete',
  explanation: 'UltraCart sent you back without what we need to finish signing you in. Please start again.',
};

/** Plain words for each reason the strategy can fail with. A new reason fails to compile here. */
const EXPLANATIONS: Record<FailureReason, Explanation> = {
  noPendingSignIn: COOKIE_LOST,
  stateMismatch: COOKIE_LOST,
  secureCookieOnHttp: {
    title: 'This site is not set up correctly',
    explanation:
      'Sign-in cannot work here because of a problem in how this site is set up (its secure connection is not passed on to it), not because of your account or your browser. Please try again later; the site owner needs to check the server log.',
  },
  sameSiteStrict: {
    title: 'This site’s cookie settings block sign-in',
    explanation:
      'This site is set up so that your browser does not bring your sign-in back from UltraCart. This is a problem of the site, not of your account: please tell its owner.',
  },
  hostMismatch: {
    title: 'The sign-in began at another address of this site',
    explanation:
      'You started signing in at one address of this site and UltraCart sent you back to another (for example localhost and 127.0.0.1). Cookies are kept per address, so the sign-in was not found. Start again from the address you are on now.',
  },
  sessionNotRestored: {
    title: 'You are signed in, but this site cannot see it',
    explanation:
      'Your sign-in was saved, but the site does not read it back from its session. This is a set-up problem of the site, not of your account: please tell its owner.',
  },
  stateMalformed: INCOMPLETE,
  formUnreadable: INCOMPLETE,
  startedBeforeUpgrade: {
    title: 'This sign-in was started before the site was updated',
    explanation: 'The site was updated while you were signing in, so this sign-in cannot be finished. Please start again.',
  },
  expired: EXPIRED,
  codeRejected: EXPIRED,
  keyExpired: EXPIRED,
  sessionEnded: {
    title: 'Your UltraCart session ended',
    explanation: 'UltraCart ended your session before sign-in finished, for example because you signed out there. Please sign in again.',
  },
  alreadyUsed: {
    title: 'This sign-in link was already used',
    explanation:
      'This sign-in link has already been used, perhaps by reloading this page, in another tab or by pressing Back. Start again if you are not signed in.',
  },
  denied: {
    title: 'Sign-in was cancelled',
    explanation: 'You (or UltraCart) declined the sign-in, so nothing was shared with this site. You can try again whenever you like.',
  },
  upstreamRefused: {
    title: 'UltraCart did not complete the sign-in',
    explanation: 'UltraCart stopped the sign-in before it finished. Please try again in a moment.',
  },
  missingCode: INCOMPLETE,
  malformedCode: INCOMPLETE,
  ipMismatch: {
    title: 'The sign-in came from another network',
    explanation:
      'The sign-in was approved from a different network address than the one you are using now. Please start again from this device.',
  },
  notAllowed: {
    title: 'This account cannot sign in here',
    explanation: 'Your UltraCart account was recognised, but it is not allowed to use this site. Ask the site owner for access.',
  },
};

/**
 * The reason named by the failure redirect's `?reason=`, if it is one the strategy fails with.
 * Anything else (an unknown word, an array, a crafted link) gets the generic page.
 */
export function reasonFrom(value: unknown): FailureReason | undefined {
  return typeof value === 'string' && Object.hasOwn(EXPLANATIONS, value) ? (value as FailureReason) : undefined;
}

/** 401 for a sign-in refused or cancelled, 400 for a garbled answer, 403 for one that was not this browser's (as the strategy's own statuses). */
const STATUS: Partial<Record<FailureReason, 400 | 401>> = {
  denied: 401,
  upstreamRefused: 401,
  codeRejected: 401,
  sessionEnded: 401,
  stateMalformed: 400,
  missingCode: 400,
  malformedCode: 400,
};

/** The status the failure page for `reason` answers with; 401 when the reason is unknown. */
export function failureStatus(reason: FailureReason | undefined): number {
  return reason ? (STATUS[reason] ?? 403) : 401;
}

/** For `secureCookieOnHttp` when the proxy says the browser itself is on plain http: then it is the user's to fix. */
const OPENED_OVER_HTTP: Explanation = {
  title: 'This site needs https for sign-in',
  explanation:
    'The cookie that keeps your sign-in is only sent over https, and this page was opened over plain http, so your browser did not send it back. Open the site over https and start again.',
};

/** For `noPendingSignIn` when the browser's session cookie named a session this site does not know. */
const SESSION_NOT_FOUND: Explanation = {
  title: 'This site did not recognise your session',
  explanation:
    'The sign-in came back here, but the session your browser sent is not one this site knows, so it could not be finished. If you started a while ago, your session ended: start again. If you started a moment ago, this site is not set up correctly (its servers do not share sessions): please tell its owner.',
};

/** What the failure page's own request shows, beyond the reason. */
export interface FailureContext {
  /** It came over plain http by the proxy's word: a `secureCookieOnHttp` failure is the browser's address, not the site's set-up. */
  openedOverHttp?: boolean;
  /** The callback's session cookie named a session this instance does not know. */
  sessionNotFound?: boolean;
}

/** The friendly sign-in failure page for `reason` (a generic one when unknown). */
export function failurePage(reason: FailureReason | undefined, notice?: string, context: FailureContext = {}): string {
  const { title, explanation } =
    reason === 'secureCookieOnHttp' && context.openedOverHttp
      ? OPENED_OVER_HTTP
      : reason === 'noPendingSignIn' && context.sessionNotFound
        ? SESSION_NOT_FOUND
        : reason
          ? EXPLANATIONS[reason]
          : { title: 'Sign-in did not finish', explanation: 'Something stopped the sign-in before it finished. Please start again.' };
  return problemPage({
    kind: reason ?? 'unknown',
    title,
    explanation,
    next: { href: '/', label: 'Sign in again', id: 'sign-in-again' },
    notice,
  });
}
