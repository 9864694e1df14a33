import { log } from '../../log.js';
import { UsedStatesUnavailableError } from './errors.js';
import type { UsedStateLedger } from './ledger.js';

/**
 * Asks the ledger whether `state` is used for the first time. A ledger that cannot answer fails
 * the sign-in closed (503), before any call to the vendor; only a plain `true` counts, so a ledger
 * answering something else cannot let a replay through.
 */
export async function claimOnce(ledger: UsedStateLedger, state: string, expiresAt: number): Promise<boolean> {
  let claimed: unknown;
  try {
    claimed = await ledger.claim(state, expiresAt);
  } catch (err) {
    log.strategy('used-state ledger unavailable: refusing the callback');
    throw err instanceof UsedStatesUnavailableError ? err : new UsedStatesUnavailableError(undefined, err);
  }
  return claimed === true;
}
