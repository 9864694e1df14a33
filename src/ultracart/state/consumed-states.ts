/**
 * States already used in this process. A session store hands each concurrent request its own copy
 * of the session, so two callbacks racing with one state would both find it pending; the first to
 * claim it here wins. Entries live as long as a state can (its expiry), and the set is bounded.
 */
export class ConsumedStates {
  private readonly entries = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /** Records `state` as used; false if it already was. */
  claim(state: string, expiresAt: number, now = Date.now()): boolean {
    this.prune(now);
    if (this.entries.has(state)) return false;
    this.entries.set(state, expiresAt);
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    for (const [state, expiresAt] of this.entries) {
      if (expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(state);
    }
  }
}
