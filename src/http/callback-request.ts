import type { IncomingMessage, ServerResponse } from 'node:http';

type Req = IncomingMessage & { originalUrl?: string; res?: ServerResponse };

/** Redirects in a sign-in flow carry a state or a code in a URL: keep them out of caches and Referer headers. */
export function protectRedirect(req: Req): void {
  const res = req.res;
  if (!res || res.headersSent) return;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/** A path the URL parser would hand back unchanged: no escapes, dots, backslashes or empty segments. */
const PLAIN_PATH = /^\/(?:[\w~!$&'()*+,;=:@-]+\/?)*$/;

/** The request's path as the URL parser sees it, or undefined if it does not parse. */
export function pathnameOf(req: Req): string | undefined {
  const target = req.originalUrl ?? req.url ?? '/';
  const end = target.search(/[?#]/);
  const raw = end === -1 ? target : target.slice(0, end);
  // A plain absolute path is its own pathname; parsing it costs more than the whole check.
  if (PLAIN_PATH.test(raw)) return raw;
  try {
    return new URL(target, 'http://request.invalid').pathname;
  } catch {
    return undefined;
  }
}
