/**
 * Reading `Set-Cookie` the way a browser would, for tests that replay a cookie as another browser
 * (or the same one later) or check a cookie's attributes.
 */

/** Every `Set-Cookie` line of a response header, whether Node gave one string, an array or nothing. */
export function setCookieLines(header: string | string[] | undefined): string[] {
  return Array.isArray(header) ? header : header ? [header] : [];
}

/** The whole `Set-Cookie` line (with its attributes) that sets cookie `name`, if the response set it. */
export function setCookieFor(header: string | string[] | undefined, name: string): string | undefined {
  return setCookieLines(header).find((line) => line.startsWith(`${name}=`));
}

/** The `name=value` pair a browser would send back for cookie `name`, if the response set it. */
export function cookiePair(header: string | string[] | undefined, name: string): string | undefined {
  return setCookieFor(header, name)?.split(';', 1)[0];
}

/** Like {@link cookiePair}, for a test that cannot go on without the cookie. */
export function requireCookiePair(header: string | string[] | undefined, name: string): string {
  const pair = cookiePair(header, name);
  if (pair === undefined) throw new Error(`expected the response to set a ${name} cookie`);
  return pair;
}
