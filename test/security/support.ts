import { connect } from 'node:net';

/**
 * One browser talking to a real server: `fetch` without following redirects (a test looks at each
 * hop), and a cookie jar of its own, so many browsers can run side by side.
 */
export class Browser {
  private readonly jar = new Map<string, string>();

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

  /** The value of cookie `name` as the server set it (still URL-encoded), if the jar holds it. */
  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  private async send(path: string, init: { method: string; headers: Record<string, string>; body?: string }): Promise<Response> {
    const cookies = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
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

export interface RawResponse {
  status: number;
  /** Header names lower-cased; a repeated header keeps every value. */
  headers: Map<string, string[]>;
  /** Everything before the body, as received. */
  head: string;
  /** Everything after it, as received (chunk sizes included, if the server chunked it). */
  body: string;
}

/**
 * Sends `requestTarget` byte for byte over a TCP socket: no client library gets to normalise
 * `//evil.com`, a backslash, a tab or a CR/LF first.
 */
export function rawGet(port: number, requestTarget: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const lines = [
    `GET ${requestTarget} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Connection: close',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const head = end === -1 ? text : text.slice(0, end);
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = new Map<string, string[]>();
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
      }
      const body = end === -1 ? '' : text.slice(end + 4);
      resolve({ status: Number(statusLine.split(' ')[1]), headers, head, body });
    });
    // Not end(): a half-closed socket makes Node's server abort a request still being handled.
    // `Connection: close` has the server close the socket once it has answered.
    socket.write(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  });
}
