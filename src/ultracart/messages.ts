/**
 * The messages the strategy fails with, written for the person signing in. Each diagnoses the
 * likely cause without revealing a secret. Exported so an app can recognise them (e.g. to pick a
 * failure page) without matching on text.
 */
export const FailureMessages = {
  noPendingSignIn:
    'Unable to verify authorization request state: this browser has no sign-in in progress here. It may have been ' +
    'started in another browser or window, the sign-in may have expired, or the cookie that keeps it was not sent back ' +
    '(cookies blocked for this site). Please sign in again.',
  secureCookieOnHttp:
    'The sign-in could not be matched to this browser: the site keeps it in a cookie marked Secure, which browsers only ' +
    'send over https, and this page was opened over plain http. Open the site over https and sign in again.',
  sameSiteStrict:
    'The sign-in could not be matched to this browser: the site keeps it in a SameSite=Strict cookie, which browsers do ' +
    'not send when coming back from UltraCart. The site needs SameSite=Lax; please let its owner know.',
  hostMismatch:
    'The sign-in could not be matched to this browser: it was started at a different address of this site than the one ' +
    'UltraCart sends you back to (for example localhost and 127.0.0.1), and cookies are kept per address. Open the site ' +
    'at its usual address and sign in again.',
  sessionNotRestored:
    'You are signed in, but this site did not restore the sign-in from its session (passport.session() is missing or ' +
    'misplaced), so it cannot see it. Please let the site owner know.',
  stateMismatch:
    'Unable to verify authorization request state: it does not match a sign-in started from this browser. Please sign in again.',
  stateMalformed: 'The sign-in response carried a malformed state parameter.',
  expired: 'This sign-in took too long and has expired. Please sign in again.',
  alreadyUsed: 'This sign-in link was already used. Please start again.',
  denied: 'Sign-in was cancelled at UltraCart.',
  upstreamRefused: 'UltraCart did not complete the sign-in. Please try again.',
  missingCode: 'The sign-in response from UltraCart carried no code.',
  malformedCode: 'The sign-in response from UltraCart carried a malformed code.',
  codeRejected: 'This sign-in has expired or was already used. Please sign in again.',
  keyExpired: 'UltraCart issued a key that has already expired. Please sign in again.',
  ipMismatch: 'The sign-in was approved from a different network address than this one. Please sign in again.',
  sessionEnded: 'Your UltraCart session ended before sign-in finished. Please sign in again.',
  notAllowed: 'This UltraCart account is not allowed to sign in here.',
} as const;

/** Why the strategy failed a callback: a key of {@link FailureMessages}, also given as `reason` in the failure. */
export type FailureReason = keyof typeof FailureMessages;
