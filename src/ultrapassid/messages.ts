import { sharedMessages } from '../sign-in/reasons.js';

/**
 * The messages `UltrapassIdStrategy` fails with, written for the person verifying: what happened
 * and what to do, never how the site is set up (that goes to the log). Exported so an app can
 * pick a page by reason.
 */
export const UltrapassIdFailureMessages = {
  ...sharedMessages({
    vendor: 'UltrapassId',
    noun: 'verification',
    retry: 'Please try again.',
    notAllowed: 'This UltrapassId identity is not allowed here.',
  }),
  incompletePending: 'This verification was started without the data needed to finish it. Please try again.',
  issuerMismatch: 'The response did not come from the identity provider this verification was sent to. Please try again.',
  idTokenRejected: 'UltrapassId’s answer could not be verified, so no one was signed in. Please try again.',
} as const;

/** Why the UltrapassId strategy failed a callback: a key of {@link UltrapassIdFailureMessages}. */
export type UltrapassIdFailureReason = keyof typeof UltrapassIdFailureMessages;
