/**
 * States already used in this process. A session store hands each concurrent request its own copy
 * of the session, so two callbacks racing with one state would both find it pending; the first to
 * claim it here wins. Entries live as long as a state can (its expiry), and the set is bounded.
 */
export class ConsumedStates {
  private readonly expiries = new Map<string, number>();
  /**
   * States in the order they were claimed, oldest from `head` on. Pruning walks this list rather
   * than the Map: a Map iterator starts by skipping every entry deleted since the table was last
   * rebuilt, which made each claim cost tens of microseconds once states began to expire.
   */
  private order: string[] = [];
  private head = 0;

  constructor(private readonly maxEntries = 100_000) {}

  /** Records `state` as used; false if it already was. */
  claim(state: string, expiresAt: number, now = Date.now()): boolean {
    this.prune(now);
    if (this.expiries.has(state)) return false;
    this.expiries.set(state, expiresAt);
    this.order.push(state);
    return true;
  }

  /** Whether `state` is recorded and not yet expired; records nothing. */
  has(state: string, now = Date.now()): boolean {
    const expiresAt = this.expiries.get(state);
    return expiresAt !== undefined && expiresAt > now;
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(now: number): void {
    while (this.head < this.order.length) {
      const oldest = this.order[this.head]!;
      if (this.expiries.get(oldest)! > now && this.expiries.size < this.maxEntries) break;
      this.expiries.delete(oldest);
      this.head += 1;
    }
    // Drop the spent front of the list once it is the larger part.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
  }
}
