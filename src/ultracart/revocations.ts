import { EventEmitter } from 'node:events';
import { log } from '../log.js';
import { UltraCartApiError, type UltraCartErrorCode } from './errors.js';

/** How hard a failed revocation is retried in the background. */
export interface RevokeRetryOptions {
  /** Attempts in all, the first one included. Default 5. */
  attempts?: number | undefined;
  /** No attempt starts later than this after the first one. Default 60 000 ms. */
  withinMs?: number | undefined;
  /** Wait before the first retry; each later wait doubles (with a little jitter). Default 1 000 ms. */
  firstDelayMs?: number | undefined;
}

/**
 * - `revoked`: UltraCart confirmed the revocation.
 * - `already-ended`: UltraCart no longer accepts the key (401 or 410), so there is nothing left to revoke.
 * - `retrying`: this attempt failed for a reason that may pass (timeout, network, 429, 5xx); another follows.
 * - `abandoned`: no more attempts: UltraCart refused the revocation, or the attempts or time ran out.
 */
export type RevocationOutcome = 'revoked' | 'already-ended' | 'retrying' | 'abandoned';

/** One attempt's result, emitted as a `revocation` event. It never holds the key. */
export interface RevocationEvent {
  outcome: RevocationOutcome;
  /** Attempts made so far for this key, this one included. */
  attempt: number;
  /** False for the attempt made during the request (sign-out, refused sign-in), true for retries. */
  background: boolean;
  /** Since the first attempt started. */
  elapsedMs: number;
  /** Why the attempt failed, when it did. */
  code?: UltraCartErrorCode;
  upstreamStatus?: number;
  /** When `retrying`: the wait before the next attempt. */
  retryInMs?: number;
}

export const DEFAULT_REVOKE_RETRY: Required<RevokeRetryOptions> = { attempts: 5, withinMs: 60_000, firstDelayMs: 1_000 };
/** Keys waiting for a retry at once; past this a failed revocation is abandoned, so memory stays bounded. */
export const MAX_PENDING_REVOCATIONS = 10_000;

interface Pending {
  key: string;
  attempt: number;
  startedAt: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Revokes simple keys, retrying in the background when UltraCart cannot be reached, so a sign-out
 * during an outage still ends the key at UltraCart once it is back. Retries are bounded in number
 * and time, their timers do not keep a process alive, and each attempt is reported as a
 * `revocation` event for metrics and tests.
 *
 * @example
 * strategy.client.revocations.on('revocation', (event) => metrics.increment(`revoke.${event.outcome}`));
 */
export class Revocations extends EventEmitter<{ revocation: [RevocationEvent] }> {
  private readonly pending = new Set<Pending>();
  private readonly waiters: Array<() => void> = [];

  constructor(
    private readonly attemptOnce: (simpleKey: string) => Promise<void>,
    private readonly retry: Required<RevokeRetryOptions>,
  ) {
    super();
  }

  /**
   * Revokes `simpleKey` now and resolves to how that first attempt went; when it may pass,
   * retries follow in the background. Never rejects.
   */
  revoke(simpleKey: string): Promise<RevocationOutcome> {
    return this.attempt({ key: simpleKey, attempt: 0, startedAt: Date.now(), timer: undefined }, false);
  }

  /** Keys whose revocation is waiting for a retry. */
  get retrying(): number {
    return this.pending.size;
  }

  /** Resolves once no revocation is waiting for a retry: for tests and graceful shutdown. */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops every pending retry (for shutdown); each is reported `abandoned`. */
  stop(): void {
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      this.settle(entry, { outcome: 'abandoned', attempt: entry.attempt, background: true, elapsedMs: Date.now() - entry.startedAt });
    }
  }

  private async attempt(entry: Pending, background: boolean): Promise<RevocationOutcome> {
    entry.attempt += 1;
    let failure: UltraCartApiError | undefined;
    try {
      await this.attemptOnce(entry.key);
    } catch (err) {
      failure =
        err instanceof UltraCartApiError
          ? err
          : new UltraCartApiError('UltraCart revoke failed unexpectedly', {
              code: 'ULTRACART_UNAVAILABLE',
              endpoint: 'revoke',
              status: 502,
            });
    }
    const elapsedMs = Date.now() - entry.startedAt;
    const base = { attempt: entry.attempt, background, elapsedMs };
    if (!failure) return this.settle(entry, { outcome: 'revoked', ...base });
    const why = { code: failure.code, upstreamStatus: failure.upstreamStatus };
    if (failure.code === 'ULTRACART_SESSION_ENDED') return this.settle(entry, { outcome: 'already-ended', ...base, ...why });
    const delay = this.nextDelay(entry, failure);
    if (!mayPass(failure) || delay === undefined) return this.settle(entry, { outcome: 'abandoned', ...base, ...why });
    if (!this.pending.has(entry) && this.pending.size >= MAX_PENDING_REVOCATIONS) {
      return this.settle(entry, { outcome: 'abandoned', ...base, ...why });
    }
    this.pending.add(entry);
    entry.timer = setTimeout(() => void this.attempt(entry, true), delay);
    entry.timer.unref();
    log.ultracart('revoke attempt %d failed (%s); retrying in %d ms', entry.attempt, failure.code, delay);
    this.report({ outcome: 'retrying', ...base, ...why, retryInMs: delay });
    return 'retrying';
  }

  /** The wait before the next attempt, or undefined when none may follow. */
  private nextDelay(entry: Pending, failure: UltraCartApiError): number | undefined {
    if (entry.attempt >= this.retry.attempts) return undefined;
    const backoff = this.retry.firstDelayMs * 2 ** (entry.attempt - 1);
    // Jitter, so keys revoked together during an outage do not all come back at the same instant.
    let delay = Math.round(backoff * (0.8 + Math.random() * 0.4));
    if (failure.retryAfter !== undefined) delay = Math.max(delay, failure.retryAfter * 1000);
    return Date.now() + delay - entry.startedAt > this.retry.withinMs ? undefined : delay;
  }

  private settle(entry: Pending, event: RevocationEvent): RevocationOutcome {
    if (event.outcome === 'abandoned') {
      log.ultracart('revoke abandoned after %d attempt(s)%s', event.attempt, event.code ? ` (${event.code})` : '');
    }
    this.pending.delete(entry);
    this.report(event);
    if (this.pending.size === 0) for (const resolve of this.waiters.splice(0)) resolve();
    return event.outcome;
  }

  private report(event: RevocationEvent): void {
    try {
      this.emit('revocation', event);
    } catch (err) {
      // A listener's mistake must not turn a sign-out into a crash from a timer.
      log.ultracart('a revocation listener threw: %s', err instanceof Error ? err.name : typeof err);
    }
  }
}

/** Timeouts, network failures, 429 and 5xx may pass; a refusal (400, 403, 404) or a bad answer will not. */
function mayPass(err: UltraCartApiError): boolean {
  return err.code === 'ULTRACART_TIMEOUT' || err.code === 'ULTRACART_UNAVAILABLE' || err.code === 'ULTRACART_RATE_LIMITED';
}
