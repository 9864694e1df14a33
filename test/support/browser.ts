/**
 * One browser talking to a real server: `fetch` without following redirects (a test looks at each
 * hop), and a cookie jar of its own, so many browsers can run side by side.
 */
export class Browser {
  private readonly jar = new Map<string, string>();
  /** Names of the cookies set with `SameSite=Strict`. */
  private readonly strict = new Set<string>();

  constructor(readonly origin: string) {}

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.send(path, { method: 'GET', headers });
  }

  /** Posts a form, as a browser does (`application/x-www-form-urlencoded`). */
  post(path: string, form: Record<string, string>): Promise<Response> {
    return this.send(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /**
   * A top-level navigation to `path` started from a page at `fromOrigin`, such as the return from
   * a vendor's login page. As browsers do, `SameSite=Strict` cookies go only when `fromOrigin` is
   * on the same site (scheme and host here: an IP address or `localhost` is a site of its own).
   */
  arriveFrom(fromOrigin: string, path: string): Promise<Response> {
    const from = new URL(fromOrigin);
    const to = new URL(path, this.origin);
    const sameSite = from.protocol === to.protocol && from.hostname === to.hostname;
    return this.send(path, { method: 'GET', headers: {} }, sameSite);
  }

  /** The value of cookie `name` as the server set it (still URL-encoded), if the jar holds it. */
  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  private async send(
    path: string,
    init: { method: string; headers: Record<string, string>; body?: string },
    sameSite = true,
  ): Promise<Response> {
    const cookies = [...this.jar]
      .filter(([name]) => sameSite || !this.strict.has(name))
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
    const res = await fetch(new URL(path, this.origin), {
      ...init,
      headers: { ...init.headers, ...(cookies && { cookie: cookies }) },
      redirect: 'manual',
    });
    for (const line of res.headers.getSetCookie()) this.remember(line);
    return res;
  }

  private remember(setCookie: string): void {
    const [pair = '', ...attributes] = setCookie.split(';');
    const eq = pair.indexOf('=');
    if (eq < 1) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => {
      const [key = '', val = ''] = a.split('=', 2).map((s) => s.trim());
      if (/^max-age$/i.test(key)) return Number(val) <= 0;
      if (/^expires$/i.test(key)) return Date.parse(val) <= Date.now();
      return false;
    });
    if (value === '' || expired) this.jar.delete(name);
    else this.jar.set(name, value);
    if (attributes.some((a) => /^\s*samesite\s*=\s*strict\s*$/i.test(a))) this.strict.add(name);
    else this.strict.delete(name);
  }
}

/** The path and query of an absolute URL, as the browser would request it from the app. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** The session id inside an express-session cookie value (`s%3A<id>.<signature>`). */
export function unsignedSessionId(cookieValue: string): string {
  const decoded = decodeURIComponent(cookieValue);
  return decoded.slice(2, decoded.lastIndexOf('.'));
}
