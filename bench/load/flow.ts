import { performance } from 'node:perf_hooks';
import type { BrowserPools } from './browsers.js';

/** Where one contender's sign-in starts, comes back, and ends. */
export interface FlowTarget {
  /** The app's origin. */
  origin: string;
  signInPath: string;
  callbackPath: string;
  successPath: string;
}

/** Milliseconds spent in each leg of one completed flow. */
export interface LegTimes {
  /** GET sign-in route -> 302 to the vendor (includes the app's authorize call, if any). */
  authorize: number;
  /** Vendor pages, from the first Location to the redirect back to the app's callback. */
  login: number;
  /** GET callback with the cookie -> 302 to the success page (token and user calls, session regeneration). */
  callback: number;
}

/** A flow that did not end as a signed-in browser; the message names the leg and what went wrong. */
export class FlowError extends Error {}

const MAX_VENDOR_HOPS = 4;

interface Answer {
  status: number;
  location: URL | undefined;
  cookie: string | undefined;
}

/**
 * One browser's complete sign-in, as a browser does it: follow each redirect, carry the session
 * cookie from the app back to the app, and check it lands on the success page.
 */
export async function signInOnce(browsers: BrowserPools, target: FlowTarget): Promise<LegTimes> {
  const t0 = performance.now();
  const start = await get(browsers, new URL(target.signInPath, target.origin));
  if (start.status !== 302 || !start.location) throw new FlowError(`authorize leg answered ${start.status}`);
  if (!start.cookie) throw new FlowError('authorize leg set no session cookie');
  const t1 = performance.now();

  let next = start.location;
  for (let hop = 0; next.origin !== target.origin; hop++) {
    if (hop === MAX_VENDOR_HOPS) throw new FlowError('login leg: too many redirects at the vendor');
    const page = await get(browsers, next);
    if ((page.status !== 302 && page.status !== 303) || !page.location) throw new FlowError(`login leg answered ${page.status}`);
    next = page.location;
  }
  if (next.pathname !== target.callbackPath) throw new FlowError('login leg: redirected somewhere other than the callback');
  const t2 = performance.now();

  const done = await get(browsers, next, start.cookie);
  if (done.status !== 302) throw new FlowError(`callback leg answered ${done.status}`);
  if (done.location?.pathname !== target.successPath || done.location.origin !== target.origin) {
    throw new FlowError('callback leg: redirected somewhere other than the success page');
  }
  if (!done.cookie || done.cookie === start.cookie) throw new FlowError('callback leg: the session id was not regenerated');
  const t3 = performance.now();
  return { authorize: t1 - t0, login: t2 - t1, callback: t3 - t2 };
}

async function get(browsers: BrowserPools, url: URL, cookie?: string): Promise<Answer> {
  const res = await browsers.pool(url.origin).request({
    method: 'GET',
    path: url.pathname + url.search,
    headers: cookie ? { cookie, accept: 'text/html' } : { accept: 'text/html' },
  });
  await res.body.dump();
  const location = res.headers.location;
  return {
    status: res.statusCode,
    location: typeof location === 'string' ? new URL(location, url) : undefined,
    cookie: sessionCookie(res.headers['set-cookie']),
  };
}

/** `sid=...` from Set-Cookie, as a browser would send it back. */
function sessionCookie(header: string | string[] | undefined): string | undefined {
  const all = Array.isArray(header) ? header : header ? [header] : [];
  for (const line of all) {
    if (line.startsWith('sid=')) return line.slice(0, line.indexOf(';') === -1 ? undefined : line.indexOf(';'));
  }
  return undefined;
}
