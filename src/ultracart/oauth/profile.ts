import { log } from '../../log.js';
import type { UltraCartOAuthClient } from './client.js';
import { UltraCartOAuthError } from './errors.js';
import type { UltraCartOAuthTokens } from './tokens.js';

/**
 * An API call whose answer tells which merchant account the token acts for. UltraCart has no
 * "who am I" endpoint; many records carry `merchant_id` (items, orders, customers, webhooks), so
 * a call that lists one of them answers it, provided the app has that permission and the account
 * has such a record.
 */
export interface MerchantLookup {
  /** A path under `baseURL`, e.g. `/item/items?_limit=1` (needs `item_read`). */
  path: string;
  /** Reads the merchant id out of the answer; default {@link merchantIdIn}. Return undefined when it does not say. */
  read?: ((body: Record<string, unknown>) => string | undefined) | undefined;
}

/** How `merchantId` came to be what it is. */
export type MerchantIdSource =
  /** No lookup is configured: the merchant is not known. */
  | 'not-asked'
  /** The lookup answered and carried the id. */
  | 'lookup'
  /** The lookup answered without an id (no records, or records of several merchants). */
  | 'not-found'
  /** The lookup failed (no permission, UltraCart unavailable); the connection itself is fine. */
  | 'failed';

/**
 * What is honestly known about the connection when it is made. The grant identifies a merchant
 * account's authorization of the app, not a person, and UltraCart says nothing of who it is: `id`
 * and `merchantId` are set only when a configured lookup read them from UltraCart's own answer,
 * and are otherwise null. Never invented.
 */
export interface UltraCartOAuthProfile {
  provider: 'ultracart-oauth';
  /** The merchant id when known, else null: Passport's conventional field. */
  id: string | null;
  /** The UltraCart merchant id (e.g. `DEMO1`) when a lookup found it, else null. */
  merchantId: string | null;
  merchantIdSource: MerchantIdSource;
  /** The permissions granted, from the token's `scope`. */
  scopes: string[];
}

const MERCHANT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** Records looked at in one answer: enough to see they agree, bounded whatever the answer holds. */
const MAX_RECORDS = 100;

/**
 * The `merchant_id` an UltraCart answer carries: at its top level, or on the records of its
 * lists (`{ items: [{ merchant_id }] }`). Records that disagree (a channel partner's view of
 * several merchants) mean unknown, not the first one.
 */
export function merchantIdIn(body: Record<string, unknown>): string | undefined {
  const seen = new Set<string>();
  const note = (value: unknown): void => {
    if (typeof value === 'string' && MERCHANT_ID.test(value)) seen.add(value);
  };
  note(body.merchant_id);
  for (const value of Object.values(body)) {
    if (!Array.isArray(value)) continue;
    for (const record of value.slice(0, MAX_RECORDS)) {
      if (record && typeof record === 'object') note((record as { merchant_id?: unknown }).merchant_id);
    }
  }
  return seen.size === 1 ? [...seen][0] : undefined;
}

/** Builds the profile handed to verify, asking `lookup` (when configured) with the fresh access token. */
export async function buildProfile(
  client: UltraCartOAuthClient,
  tokens: UltraCartOAuthTokens,
  lookup: MerchantLookup | false,
): Promise<UltraCartOAuthProfile> {
  const profile = (merchantId: string | null, merchantIdSource: MerchantIdSource): UltraCartOAuthProfile => ({
    provider: 'ultracart-oauth',
    id: merchantId,
    merchantId,
    merchantIdSource,
    scopes: tokens.scopes,
  });
  if (!lookup) return profile(null, 'not-asked');
  let body: Record<string, unknown>;
  try {
    body = await client.get(lookup.path, tokens.accessToken);
  } catch (err) {
    // The connection is made either way; an app that must know the merchant refuses in verify.
    log.strategy('merchant lookup failed: %s', err instanceof UltraCartOAuthError ? err.code : 'unexpected error');
    return profile(null, 'failed');
  }
  let found: unknown;
  try {
    found = (lookup.read ?? merchantIdIn)(body);
  } catch {
    log.strategy('merchant lookup: the read function threw');
    return profile(null, 'failed');
  }
  if (typeof found === 'string' && MERCHANT_ID.test(found)) return profile(found, 'lookup');
  return profile(null, 'not-found');
}
