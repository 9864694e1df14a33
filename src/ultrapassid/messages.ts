/**
 * The messages `UltrapassIdStrategy` fails with, written for the person verifying. Each names the
 * likely cause without revealing a secret. Exported so an app can pick a page by reason.
 */
export const UltrapassIdFailureMessages = {
  noPendingSignIn:
    'Unable to verify authorization request state: no UltrapassId verification was started from this browser, or it was forgotten. ' +
    'This happens when the callback is opened directly, when the cookie holding it was not sent back ' +
    '(a SameSite=Lax or Strict cookie on a form_post callback, or a Secure cookie over plain http), or when it expired. Please try again.',
  stateMismatch:
    'Unable to verify authorization request state: it does not match a verification started from this browser. Please try again.',
  stateMalformed: 'The UltrapassId response carried a malformed state parameter.',
  expired: 'This verification took too long and has expired. Please try again.',
  alreadyUsed: 'This verification was already completed. Please start again if you need to.',
  denied: 'Verification was cancelled at UltrapassId.',
  upstreamRefused: 'UltrapassId did not complete the verification. Please try again.',
  missingCode: 'The UltrapassId response carried no code.',
  malformedCode: 'The UltrapassId response carried a malformed code.',
  formUnreadable: 'The UltrapassId response could not be read. Please try again.',
  incompletePending: 'This verification was started without the data needed to finish it. Please try again.',
  issuerMismatch: 'The response did not come from the identity provider this verification was sent to. Please try again.',
  codeRejected: 'UltrapassId refused to complete this verification: it has expired or was already used. Please try again.',
  idTokenRejected: 'UltrapassId’s answer could not be verified, so no one was signed in. Please try again.',
  notAllowed: 'This UltrapassId identity is not allowed here.',
} as const;

/** Why the UltrapassId strategy failed a callback: a key of {@link UltrapassIdFailureMessages}. */
export type UltrapassIdFailureReason = keyof typeof UltrapassIdFailureMessages;
