/**
 * Checks shared by the vendor clients' constructors. `owner` names the class in each message, so a
 * user sees which option of which constructor is wrong.
 */

/** An absolute http(s) base URL without userinfo, query or fragment, returned without trailing slashes. */
export function parseBaseURL(value: unknown, owner: string): string {
  if (typeof value !== 'string') throw new TypeError(`${owner}: the baseURL option must be a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${owner}: the baseURL option must be an absolute URL such as https://api.example.com/v2`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError(`${owner}: the baseURL option must be an http(s) URL`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new TypeError(`${owner}: the baseURL option must not carry userinfo, a query or a fragment`);
  }
  return url.href.replace(/\/+$/, '');
}

export function positiveInteger(value: unknown, fallback: number, owner: string, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${owner}: the ${name} option must be a positive integer`);
  }
  return value;
}
