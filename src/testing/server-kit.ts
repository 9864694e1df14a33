import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request an emulator received, for tests to assert the upstream calls made. */
export interface RecordedCall<E extends string> {
  endpoint: E | 'unknown';
  method: string;
  /** Path and query as received. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * How an emulator endpoint should misbehave, once. With only `status`, the vendor's own error body
 * for that status is sent.
 */
export interface Fault {
  status?: number;
  /** A JSON value to send (a string is sent as it is). */
  body?: unknown;
  /** Default `application/json; charset=UTF-8`; `null` sends no Content-Type at all. */
  contentType?: string | null;
  headers?: Record<string, string>;
  /** Wait this long before answering. */
  delayMs?: number;
  /**
   * - `malformed`: 200 with truncated JSON
   * - `html`: 200 `text/html`, as a captive portal or WAF would
   * - `endless`: 200 JSON whose body never ends
   * - `reset`: the connection is destroyed without an answer
   * - `redirect`: 307 to another origin
   * - `hang`: no answer at all until the client gives up
   */
  behaviour?: 'malformed' | 'html' | 'endless' | 'reset' | 'redirect' | 'hang';
}

export class FaultQueue<E extends string> {
  private readonly queue = new Map<E, Fault[]>();

  add(endpoint: E, fault: Fault, times: number): void {
    const list = this.queue.get(endpoint) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.queue.set(endpoint, list);
  }

  take(endpoint: E): Fault | undefined {
    return this.queue.get(endpoint)?.shift();
  }

  clear(): void {
    this.queue.clear();
  }
}

/**
 * The name an emulator puts in its URLs. It always binds 127.0.0.1; `localhost` names the same
 * socket from another site, so an app on 127.0.0.1 sees the return from the login page as a
 * cross-site navigation, as it is from the real vendor (SameSite cookies then behave as in production).
 */
export type EmulatorHostname = '127.0.0.1' | 'localhost';

/** A certificate and its private key, PEM, for an emulator that serves https itself. */
export interface EmulatorTls {
  cert: string | Buffer;
  key: string | Buffer;
}

/** How an emulator is reached when it stands in for a vendor behind a proxy or over TLS (staging). */
export interface EmulatorExposure {
  /**
   * The origin apps and browsers use to reach the emulator when it is not its own socket, e.g.
   * `https://ultracart.staging.example` with a TLS proxy in front. Every URL the emulator hands
   * out uses it, and the OpenID Connect emulator's issuer is it (discovery and every ID token's
   * `iss`). Default: the emulator's own origin, `http://<hostname>:<port>` (`https://` with `tls`).
   */
  publicOrigin?: string;
  /**
   * Serve https with this certificate instead of plain http. A self-signed certificate needs
   * `NODE_EXTRA_CA_CERTS=<its file>` in the Node process that calls the emulator.
   */
  tls?: EmulatorTls;
}

export interface RunningServer {
  /** The origin handed out in URLs: `publicOrigin`, else `http(s)://<hostname>:<port>`. */
  origin: string;
  /** TCP connections accepted since start. */
  connections: number;
  /** TCP connections open now. */
  readonly openConnections: number;
  /** A delay that `close()` cuts short, so no timer keeps the process alive. */
  delay(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a loopback HTTP (or, with `exposure.tls`, HTTPS) server whose handler errors become 500s
 * rather than crashes. `owner` names the emulator in option errors.
 */
export async function startServer(
  port: number | undefined,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  hostname: EmulatorHostname = '127.0.0.1',
  exposure: EmulatorExposure & { owner?: string } = {},
): Promise<RunningServer> {
  const publicOrigin = exposure.publicOrigin === undefined ? undefined : checkedOrigin(exposure.owner ?? 'emulator', exposure.publicOrigin);
  if (exposure.tls !== undefined && !(isPem(exposure.tls.cert) && isPem(exposure.tls.key))) {
    throw new TypeError(`${exposure.owner ?? 'emulator'}: the tls option must hold a PEM cert and key`);
  }
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const sockets = new Set<Socket>();
  const respond = (req: IncomingMessage, res: ServerResponse): void => {
    // Browsers ask for it by themselves on the emulators' pages; an empty answer keeps their consoles clean.
    if (req.url === '/favicon.ico') {
      res.writeHead(204, { 'cache-control': 'public, max-age=86400' }).end();
      return;
    }
    handler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('emulator error');
    });
  };
  const server = exposure.tls ? createTlsServer({ cert: exposure.tls.cert, key: exposure.tls.key }, respond) : createServer(respond);
  // Like the load balancers in front of real APIs, keep idle connections for a minute rather than
  // Node's 5 s default, so a client's keep-alive pool is reused across pauses in traffic.
  server.keepAliveTimeout = 60_000;
  const running: RunningServer = {
    origin: '',
    connections: 0,
    get openConnections() {
      return sockets.size;
    },
    delay: (ms) =>
      new Promise<void>((resolve) => {
        const entry = {
          timer: setTimeout(() => {
            timers.delete(entry);
            resolve();
          }, ms),
          resolve,
        };
        timers.add(entry);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const entry of timers) {
          clearTimeout(entry.timer);
          entry.resolve();
        }
        timers.clear();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  // With TLS, 'connection' is the raw socket, before the handshake: counted and closed the same way.
  server.on('connection', (socket: Socket) => {
    running.connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port ?? 0, '127.0.0.1', () => resolve());
  });
  running.origin = publicOrigin ?? `${exposure.tls ? 'https' : 'http'}://${hostname}:${(server.address() as AddressInfo).port}`;
  return running;
}

/** The exposure options an emulator was given, without keys set to undefined. */
export function exposureOf(options: EmulatorExposure): EmulatorExposure {
  return {
    ...(options.publicOrigin !== undefined && { publicOrigin: options.publicOrigin }),
    ...(options.tls !== undefined && { tls: options.tls }),
  };
}

/** `value` as an origin (`https://host[:port]`), or a TypeError naming the option. */
function checkedOrigin(owner: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const bare =
    url !== undefined && (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
  if (!url || !bare || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError(
      `${owner}: the publicOrigin option must be an http(s) origin with no path, such as https://ultracart.staging.example`,
    );
  }
  return url.origin;
}

function isPem(value: unknown): boolean {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('latin1') : '';
  return text.includes('-----BEGIN ');
}

export async function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) break;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Answers with `fault` if it decides the response. Returns false when the fault only delayed the
 * request, so the endpoint answers normally afterwards.
 */
/** How a vendor words its errors: the body, and any headers that go with it (UltraCart's `UC-REST-ERROR`). */
export interface VendorErrors {
  body(status: number): string;
  headers?(status: number): Record<string, string>;
}

export async function applyFault(res: ServerResponse, fault: Fault, server: RunningServer, errors: VendorErrors): Promise<boolean> {
  if (fault.delayMs) await server.delay(fault.delayMs);
  switch (fault.behaviour) {
    case 'reset':
      res.socket?.destroy();
      return true;
    case 'hang':
      await server.delay(10 * 60 * 1000);
      res.socket?.destroy();
      return true;
    case 'redirect':
      res.writeHead(307, { location: 'http://127.0.0.1:9/elsewhere' }).end();
      return true;
    case 'malformed':
      res.writeHead(fault.status ?? 200, { 'content-type': 'application/json' }).end('{"simple_key": "abc');
      return true;
    case 'html':
      res.writeHead(fault.status ?? 200, { 'content-type': 'text/html' }).end('<html><body>Please sign in to the Wi-Fi</body></html>');
      return true;
    case 'endless': {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) {
          /* keep writing until the socket pushes back */
        }
      };
      res.on('drain', pump);
      pump();
      await new Promise<void>((resolve) => res.on('close', () => resolve()));
      return true;
    }
  }
  if (fault.status === undefined && fault.body === undefined) return false;
  const status = fault.status ?? 200;
  // A fault with only a status is answered exactly as the vendor answers its own errors.
  const vendorError = fault.body === undefined;
  const body = vendorError ? errors.body(status) : typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=UTF-8',
    ...(vendorError && errors.headers?.(status)),
    ...fault.headers,
  };
  if (fault.contentType === null) delete headers['content-type'];
  else if (fault.contentType !== undefined) headers['content-type'] = fault.contentType;
  res.writeHead(status, headers);
  res.end(body);
  return true;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** An emulator page: HTML that runs no script, is never cached, and may post its form anywhere (the vendor's own). */
export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action *",
  });
  res.end(html);
}

/** A redirect that carries a code or a state: kept out of caches and Referer headers, as the vendors' are. */
export function redirect(res: ServerResponse, status: number, location: string): void {
  res.writeHead(status, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
}

/** `base` with the defined `params` set in its query. */
export function withParams(base: string, params: Record<string, string | undefined>): string {
  const url = new URL(base);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url.href;
}
