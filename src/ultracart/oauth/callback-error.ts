import type { QueryParam } from '../../http/query.js';

/** What an `error` on UltraCart's callback means for the person connecting. */
export type CallbackErrorReason = 'denied' | 'expired' | 'upstreamRefused';

/**
 * Reads the `error` UltraCart put on the callback: `access_denied` (the merchant said no),
 * `invalid_request` (the approval link expired, as UltraCart documents it), anything else (a
 * refusal we have no words for). Only asked after the state was checked and used up, so a forged
 * `error` can neither reach the app nor spare a pending connection. `error_description` is never
 * read: it is the vendor's (or an attacker's) text, and the reason says enough.
 */
export function callbackError(error: QueryParam): CallbackErrorReason {
  if (error.kind !== 'string') return 'upstreamRefused';
  if (error.value === 'access_denied') return 'denied';
  if (error.value === 'invalid_request') return 'expired';
  return 'upstreamRefused';
}
