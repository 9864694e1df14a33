/** How many pending entries of one kind (logins, codes, workflow sessions) an emulator keeps by default. */
export const DEFAULT_MAX_PENDING = 10_000;

/**
 * Adds an entry to one of an emulator's maps of pending things (logins not yet finished, codes not
 * yet redeemed), keeping it bounded as the package bounds its own state: expired entries go, then
 * the oldest while the map holds `max`. The entries of one map share one lifetime, so insertion
 * order is expiry order and the loop stops at the first entry that is live with room to spare.
 * A long-running emulator (`npm start`, the benchmark) then holds at most `max` of each, however
 * many sign-ins are abandoned.
 */
export function addPending<V extends { expiresAt: number }>(
  map: Map<string, V>,
  key: string,
  value: V,
  max: number,
  now = Date.now(),
): void {
  for (const [oldKey, entry] of map) {
    if (entry.expiresAt >= now && map.size < max) break;
    map.delete(oldKey);
  }
  map.set(key, value);
}

/** `max` as given, or the default; refused when it is not a positive integer. */
export function maxPendingOption(owner: string, max: unknown): number {
  if (max === undefined) return DEFAULT_MAX_PENDING;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
    throw new TypeError(`${owner}: the maxPending option must be a positive integer`);
  return max;
}
