import { sharedMessages } from '../sign-in/reasons.js';

/**
 * The messages `UltraCartStrategy` fails with, written for the person signing in: what happened
 * and what to do, never how the site is set up (that goes to the log). Exported so an app can
 * recognise them (to pick a failure page) without matching on text.
 */
export const UltraCartFailureMessages = {
  ...sharedMessages({
    vendor: 'UltraCart',
    noun: 'sign-in',
    retry: 'Please sign in again.',
    notAllowed: 'This UltraCart account is not allowed to sign in here.',
  }),
  keyExpired: 'UltraCart issued a key that has already expired. Please sign in again.',
  ipMismatch: 'The sign-in was approved from a different network address than this one. Please sign in again.',
  sessionEnded: 'Your UltraCart session ended before sign-in finished. Please sign in again.',
} as const;

/** Why `UltraCartStrategy` failed: a key of {@link UltraCartFailureMessages}, also given as `reason` in the failure. */
export type UltraCartFailureReason = keyof typeof UltraCartFailureMessages;

/** @deprecated Renamed {@link UltraCartFailureMessages}; this name goes in 1.0. */
export const FailureMessages = UltraCartFailureMessages;
/** @deprecated Renamed {@link UltraCartFailureReason}; this name goes in 1.0. */
export type FailureReason = UltraCartFailureReason;
