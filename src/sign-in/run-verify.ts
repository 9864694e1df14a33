import { PassportUltraCartError } from '../http/errors.js';
import { log } from '../log.js';

/** The callback a callback-style verify calls: `done(err)`, `done(null, user, info?)`, or `done(null, false, { message })` to refuse. */
export type VerifyDone = (err: unknown, user?: unknown, info?: object) => void;

/** What the verify function decided. */
export interface VerifyOutcome {
  user: unknown;
  info: object | undefined;
}

/**
 * The verify function neither settled the promise it returned nor called `done` within
 * `verifyTimeoutMs`. The sign-in ends with this error (status 500, code `VERIFY_TIMEOUT`), and a
 * credential the vendor issued for it (a simple key, an access token) is revoked.
 */
export class VerifyTimeoutError extends PassportUltraCartError<'VERIFY_TIMEOUT'> {
  constructor(timeoutMs: number, strategyName: string) {
    super(
      `${strategyName}: the verify function neither returned a promise that settled nor called done within ${timeoutMs} ms ` +
        '(a callback-style verify must call done; a promise-style one must return the promise)',
      { code: 'VERIFY_TIMEOUT', status: 500 },
    );
    this.name = 'VerifyTimeoutError';
  }
}

/**
 * Runs a verify function in whichever style it was written, decided by what it does rather than
 * by its declared arity (which wrappers, rest and default parameters all change): a returned
 * thenable is its answer; anything else means it answers through `done`. The first answer wins,
 * so a `done` called before the returned promise settles (as @nestjs/passport's wrapper does)
 * counts, and a later `done`, or a second one, is ignored. No answer within `timeoutMs` is an error.
 */
export function runVerify(call: (done: VerifyDone) => unknown, timeoutMs: number, strategyName: string): Promise<VerifyOutcome> {
  return new Promise<VerifyOutcome>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => settle(new VerifyTimeoutError(timeoutMs, strategyName)), timeoutMs);
    function settle(err: unknown, outcome?: VerifyOutcome): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(outcome!);
    }
    const done: VerifyDone = (err, user, info) => {
      if (settled) {
        log.strategy('verify called done after it had already answered: ignored');
        return;
      }
      settle(err, { user, info });
    };

    let result: unknown;
    try {
      result = call(done);
    } catch (err) {
      return settle(err ?? new Error('the verify function threw a falsy value'));
    }
    const then = thenOf(result);
    if (then) {
      try {
        then.call(
          result,
          (user: unknown) => settle(null, { user, info: undefined }),
          (err: unknown) => settle(err ?? new Error('the verify function rejected with a falsy value')),
        );
      } catch (err) {
        settle(err);
      }
    } else if (result !== undefined && !settled) {
      log.strategy('verify returned a value that is not a promise: waiting for it to call done');
    }
  });
}

function thenOf(value: unknown): ((onFulfilled: (v: unknown) => void, onRejected: (e: unknown) => void) => unknown) | undefined {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return undefined;
  try {
    const then = (value as { then?: unknown }).then;
    return typeof then === 'function' ? (then as ReturnType<typeof thenOf>) : undefined;
  } catch {
    return undefined;
  }
}
