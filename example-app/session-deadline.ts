import session from 'express-session';
import { REDIS_COMMAND_TIMEOUT_MS, RedisUnavailableError } from './redis.js';

type Callback = (err?: unknown, value?: unknown) => void;

/**
 * An express-session store that answers within `timeoutMs` whatever the store it wraps does: past
 * that, the call fails with a {@link RedisUnavailableError} (the request gets the 503 page) and the
 * late answer is dropped. express-session waits for its store before the route runs and again
 * before the response ends, so a stalled store would otherwise hold every request for the stall.
 */
export class SessionStoreWithDeadline extends session.Store {
  constructor(
    readonly inner: session.Store,
    private readonly timeoutMs = REDIS_COMMAND_TIMEOUT_MS,
  ) {
    super();
  }

  override get(sid: string, callback: (err: unknown, data?: session.SessionData | null) => void): void {
    this.inner.get(sid, this.bounded('get', callback as Callback));
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    this.inner.set(sid, data, this.bounded('set', callback));
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    if (typeof this.inner.touch !== 'function') return callback?.();
    this.inner.touch(sid, data, this.bounded('touch', callback));
  }

  override destroy(sid: string, callback?: Callback): void {
    this.inner.destroy(sid, this.bounded('destroy', callback));
  }

  /** `callback`, called once: with the store's answer, or with an error once `timeoutMs` has passed. */
  private bounded(operation: string, callback: Callback | undefined): Callback {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      callback?.(new RedisUnavailableError(`the session store did not ${operation} within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
    return (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback?.(err === undefined || err === null ? err : wrapped(err), value);
    };
  }
}

function wrapped(err: unknown): unknown {
  return err instanceof RedisUnavailableError ? err : new RedisUnavailableError('the session store failed', { cause: err });
}
