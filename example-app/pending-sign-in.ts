import type { Request } from 'express';
import type { StateStore } from 'passport-ultracart';

/**
 * Whether a callback carries the state of a sign-in this browser has pending: the one kind of
 * callback that can succeed, which no other client can make (it needs this browser's cookie and
 * a state only this browser was given).
 *
 * Asked of the strategy's own state store through `take`, on a stand-in for the request: the
 * request's cookies, a shallow copy of its session, and a response that keeps nothing. The
 * stores read pending sign-ins from the session (`SessionStateStore`) or the cookie
 * (`CookieStateStore`) and write what is left back to those, so the real request keeps its
 * pending sign-ins for the strategy, which checks them again (and their expiry) itself.
 */
export async function carriesPendingSignIn(store: StateStore, req: Request): Promise<boolean> {
  const state = req.query.state;
  if (typeof state !== 'string') return false;
  const standIn = {
    headers: { cookie: req.headers.cookie },
    session: req.session ? { ...req.session } : undefined,
    res: { getHeader: () => undefined, setHeader: () => undefined },
  };
  try {
    const { pending } = await store.take(standIn as unknown as Request, state, { strategy: 'ultracart', keepOthers: true });
    return pending !== undefined;
  } catch {
    // A store that cannot answer for the stand-in: the callback is simply counted, as any other.
    return false;
  }
}
