import { sharedMessages } from '../../sign-in/reasons.js';

/**
 * The messages `UltraCartOAuthStrategy` fails with, written for the merchant connecting a store:
 * what happened and what to do, never how the site is set up (that goes to the log). The reasons
 * are the sign-in core's, so one failure page can serve every strategy.
 */
export const UltraCartOAuthFailureMessages = {
  ...sharedMessages({
    vendor: 'UltraCart',
    noun: 'connection',
    retry: 'Please connect your store again.',
    notAllowed: 'This UltraCart store cannot be connected here.',
  }),
  denied: 'The connection was declined at UltraCart: the app was not authorized.',
} as const;

/** Why `UltraCartOAuthStrategy` failed a callback: a key of {@link UltraCartOAuthFailureMessages}. */
export type UltraCartOAuthFailureReason = keyof typeof UltraCartOAuthFailureMessages;
