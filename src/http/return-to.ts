const MAX_RETURN_TO_LENGTH = 2048;
const PLACEHOLDER_ORIGIN = 'http://return-to.invalid';
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f\\]/;

/**
 * Returns `value` as a same-origin path (`pathname + search + hash`) or `undefined`.
 *
 * Accepted only when the raw text starts with a single `/` and still resolves to the same origin
 * once parsed: prefix checks alone let `//evil.com`, `/\evil.com` and `/\t/evil.com` through,
 * because browsers treat backslashes and tabs in their own ways.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 0 || value.length > MAX_RETURN_TO_LENGTH) return undefined;
  if (!value.startsWith('/') || value.startsWith('//')) return undefined;
  if (UNSAFE_CHARACTERS.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, PLACEHOLDER_ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== PLACEHOLDER_ORIGIN) return undefined;
  return url.pathname + url.search + url.hash;
}
