const MAX_RETURN_TO_LENGTH = 2048;
const PLACEHOLDER_ORIGIN = 'http://return-to.invalid';
// C0 controls, DEL and backslashes: browsers strip tabs and newlines, and read `\` as `/`.
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f\\]/;

/**
 * Returns `value` as a same-origin path (`pathname + search + hash`) or `undefined`.
 *
 * The URL parser normalises what it is given: `/.//evil.com`, `/a/%2e%2e//evil.com` and the like
 * pass any check on the raw text and come back as `//evil.com`, which a browser reads as another
 * host. So the string handed back is checked again, as the browser will read it, and refused
 * (never repaired) when normalising made it unsafe.
 *
 * @example
 * safeReturnTo('/orders?page=2'); // '/orders?page=2'
 * safeReturnTo('/.//evil.com');   // undefined
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const out = normalisedPath(value);
  if (out === undefined || out === value) return out;
  // What leaves here is what a browser gets in a Location: it must pass the same check, and
  // parse back to itself, so the browser requests exactly the path that was checked.
  return normalisedPath(out) === out ? out : undefined;
}

/**
 * True when `path` is a path a browser resolves to the page's own origin, whatever page it is
 * on, and resolves to exactly this text: one `/` then anything but `/` or `\` (or `/` alone), no
 * control characters, no dot segments or other text the URL parser would rewrite.
 */
export function isSameOriginPath(path: string): boolean {
  return normalisedPath(path) === path;
}

/** The parser's `pathname + search + hash` for a path that starts safely and stays on the origin. */
function normalisedPath(path: string): string | undefined {
  if (path.length === 0 || path.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (path.charCodeAt(0) !== 0x2f) return undefined;
  const second = path.charCodeAt(1);
  if (second === 0x2f || second === 0x5c) return undefined;
  if (UNSAFE_CHARACTERS.test(path)) return undefined;
  let url: URL;
  try {
    url = new URL(path, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return undefined;
  return url.pathname + url.search + url.hash;
}
