import { integerRule, readOptions } from '../../option-schema.js';
import { ConsumedStates } from './consumed-states.js';

/**
 * Where states that have been used are recorded, so each is honoured once. A state store hands
 * each request its own copy of the pending sign-ins (a session read, a cookie), so two callbacks
 * with one state, racing or replayed, can both find it pending; the ledger is the one place that
 * says which of them came first.
 *
 * Every strategy that must not honour a state twice has to share one ledger: by default all the
 * strategies of a process share {@link processUsedStates}; instances behind a load balancer share
 * one by passing the same shared ledger, such as a {@link RedisUsedStateLedger}, to each.
 *
 * @example
 * // A ledger of one's own, e.g. on a database with a unique key on the state's hash.
 * const usedStates: UsedStateLedger = {
 *   async claim(state, expiresAt) {
 *     return db.insertIfAbsent('used_states', sha256(state), new Date(expiresAt));
 *   },
 * };
 */
export interface UsedStateLedger {
  /**
   * Records `state` as used. Resolves to true the first time the state is claimed anywhere that
   * shares this ledger, false on every later claim until `expiresAt` (epoch milliseconds; the
   * state is refused as expired after that, so the record may go then).
   *
   * Rejects when the ledger cannot be reached; it must settle within a bounded time. The strategy
   * then fails closed: the callback ends in an error with status 503 and nobody is signed in.
   * Implementations should not keep the raw state where others can read it (hash it).
   */
  claim(state: string, expiresAt: number): Promise<boolean>;
}

/** Bound of the process-wide ledger: ten minutes of states at about 170 sign-ins a second. */
const DEFAULT_MAX_ENTRIES = 100_000;

/** Options of {@link MemoryUsedStateLedger}. */
export interface MemoryUsedStateLedgerOptions {
  /** Most states kept; past that the oldest is forgotten first. Default 100 000. */
  maxEntries?: number;
}

/**
 * A ledger in this process's memory: single use holds between every strategy that shares it in
 * this process, not between processes (use a shared ledger such as {@link RedisUsedStateLedger}
 * for that). States are kept until they expire, and at most `maxEntries` of them: past that the
 * oldest is forgotten first.
 */
export class MemoryUsedStateLedger implements UsedStateLedger {
  private readonly consumed: ConsumedStates;

  constructor(options: MemoryUsedStateLedgerOptions = {}) {
    const max = readOptions('MemoryUsedStateLedger', options, { maxEntries: integerRule(1) }).maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.consumed = new ConsumedStates(max);
  }

  claim(state: string, expiresAt: number): Promise<boolean> {
    return Promise.resolve(this.consumed.claim(state, expiresAt));
  }

  /** How many states are recorded, expired ones not yet pruned included. */
  get size(): number {
    return this.consumed.size;
  }
}

/**
 * Shared through a global symbol rather than a module variable, so that two copies of the
 * package in one process (its ESM and CommonJS builds both loaded, or two versions in
 * node_modules) still share one ledger, and single use holds between their strategies too.
 */
const PROCESS_LEDGER = Symbol.for('passport-ultracart.processUsedStates');
type WithLedger = typeof globalThis & { [PROCESS_LEDGER]?: UsedStateLedger };

/**
 * The ledger every strategy of this process uses unless given another: strategies built per
 * request or per merchant all share it, so a state is honoured once in the process whatever
 * instance handles its callback.
 */
export const processUsedStates: UsedStateLedger = ((globalThis as WithLedger)[PROCESS_LEDGER] ??= new MemoryUsedStateLedger());
