/**
 * The messages the strategy fails with, written for the person signing in. Each diagnoses the
 * likely cause without revealing a secret. Exported so an app can recognise them (e.g. to pick a
 * failure page) without matching on text.
 */
export const FailureMessages = {
  noPendingSignIn:
    'Unable to verify authorization request state: no sign-in was started from this browser, or it was forgotten. ' +
    'This happens when the callback is opened directly, when the session cookie was not sent back ' +
    '(SameSite=Strict, or a Secure cookie over plain http), or when the session expired. Please sign in again.',
  stateMismatch:
    'Unable to verify authorization request state: it does not match a sign-in started from this browser. Please sign in again.',
  stateMalformed: 'The sign-in response carried a malformed state parameter.',
  expired: 'This sign-in took too long and has expired. Please sign in again.',
  alreadyUsed: 'This sign-in was already completed. Please sign in again if you need to.',
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

export type FailureReason = keyof typeof FailureMessages;
