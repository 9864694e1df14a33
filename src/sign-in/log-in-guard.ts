import type { IncomingMessage } from 'node:http';
import { log } from '../log.js';

type WithLogIn = IncomingMessage & { logIn?: (user: unknown, options: unknown, done?: unknown) => unknown };

/**
 * Passport's `success` saves the session through `req.logIn`. When that fails (the session store
 * is down), nobody will ever hold the credential the vendor just issued, so `release` ends it
 * before the error goes on. Wrapped for this one call and then restored, so the app's own
 * `logIn` is untouched.
 */
export function releaseIfLogInFails(req: IncomingMessage, release: () => Promise<void>): void {
  const request = req as WithLogIn;
  const logIn = request.logIn;
  if (typeof logIn !== 'function') return;
  const hadOwn = Object.hasOwn(request, 'logIn');
  const restore = (): void => {
    if (hadOwn) request.logIn = logIn;
    else delete request.logIn;
  };
  request.logIn = (user: unknown, options: unknown, done?: unknown) => {
    restore();
    const callback = (typeof options === 'function' ? options : done) as ((err?: unknown) => void) | undefined;
    const opts = typeof options === 'function' ? {} : options;
    const result: unknown = logIn.call(request, user, opts, (err?: unknown) => {
      if (!err) return callback?.();
      log.strategy('the session could not be saved after sign-in: ending what the vendor issued');
      void release().then(() => callback?.(err));
    });
    // @fastify/passport's logIn returns a promise instead of calling back.
    if (!isThenable(result)) return result;
    return result.then(undefined, async (err: unknown) => {
      log.strategy('the session could not be saved after sign-in: ending what the vendor issued');
      await release();
      throw err;
    });
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
