import { FailureMessages, type FailureReason } from '../messages.js';

/**
 * The messages `UltraCartOAuthStrategy` fails with, written for the merchant connecting a store.
 * The keys are the same stable reasons as {@link FailureMessages} (so one failure page serves
 * both strategies); the cookie-trap diagnoses keep their SSO wording.
 */
export const UltraCartOAuthFailureMessages = {
  noPendingSignIn:
    'This UltraCart connection could not be matched to this browser: it was started in another browser or window, it ' +
    'expired, or the cookie that keeps it was not sent back. Please connect your store again.',
  stateMismatch:
    'Unable to verify authorization request state: it does not match a connection started from this browser. Please connect your store again.',
  stateMalformed: 'The answer from UltraCart carried a malformed state parameter.',
  expired: 'This connection request took too long and has expired. Please connect your store again.',
  alreadyUsed: 'This connection link was already used. Please start again.',
  denied: 'The connection was declined at UltraCart: the app was not authorized.',
  upstreamRefused: 'UltraCart did not complete the connection. Please try again.',
  missingCode: 'The answer from UltraCart carried no authorization code.',
  malformedCode: 'The answer from UltraCart carried a malformed authorization code.',
  codeRejected: 'UltraCart refused this authorization: it has expired or was already used. Please connect your store again.',
  notAllowed: 'This UltraCart store cannot be connected here.',
} as const satisfies Partial<Record<FailureReason, string>>;

/** Why `UltraCartOAuthStrategy` failed a callback. */
export type UltraCartOAuthFailureReason = FailureReason;

/** The message for `reason`: the OAuth wording where there is one, else the shared diagnosis. */
export function oauthFailureMessage(reason: FailureReason): string {
  return (UltraCartOAuthFailureMessages as Partial<Record<FailureReason, string>>)[reason] ?? FailureMessages[reason];
}
