import { PassportUltraCartError } from '../../http/errors.js';

const DEFAULT_MESSAGE = 'passport-ultracart: the used-state ledger could not be reached, so the sign-in was refused';

/**
 * The used-state ledger could not say whether a state was already used (it rejected, or did not
 * answer in time): status 503, code `USED_STATES_UNAVAILABLE`, `Retry-After: 1`. The callback
 * fails closed with it: nobody is signed in and UltraCart's `/sso/token` is not called. The
 * browser has to start the sign-in again.
 *
 * The ledger's own error is kept as `cause`, off `JSON.stringify` and shown by name only.
 */
export class UsedStatesUnavailableError extends PassportUltraCartError<'USED_STATES_UNAVAILABLE'> {
  constructor(message = DEFAULT_MESSAGE, cause?: unknown) {
    super(message, { code: 'USED_STATES_UNAVAILABLE', status: 503, retryAfter: 1, cause });
    this.name = 'UsedStatesUnavailableError';
  }
}
