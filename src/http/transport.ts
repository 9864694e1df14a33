import { Agent, type Dispatcher } from 'undici';
import { ConnectionLane, laneFor } from './connection-lane.js';
import { decodeBody, IDENTITY } from './content-encoding.js';
export { ACCEPT_ENCODING } from './content-encoding.js';

/** One HTTP exchange with a vendor API, as the vendor clients describe it. */
export interface OutgoingRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** The caller's whole budget: time queued for a connection, then the exchange. */
  timeoutMs: number;
  maxBodyBytes: number;
  dispatcher?: Dispatcher;
  /** The queue for a connection; default the sign-in lane of `dispatcher` for the URL's origin. */
  lane?: ConnectionLane;
  /**
   * Called with a response that arrived complete after the caller had given up on it, so a
   * client can undo what the upstream did meanwhile (revoke a key issued too late to be used).
   */
  onLateResponse?: (res: IncomingResponse) => void;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body as text, decoded and capped at `maxBodyBytes`. */
  text: string;
}

export type TransportFailure = 'timeout' | 'network' | 'too-large' | 'encoding';

/**
 * Raised when no complete response arrived. The message names the failure only: the request's
 * headers and body hold keys and codes, so neither is kept here.
 */
export class TransportError extends Error {
  readonly kind: TransportFailure;
  constructor(kind: TransportFailure, message: string) {
    super(message);
    this.name = 'TransportError';
    this.kind = kind;
  }
}

/**
 * Keep-alive pool size per vendor origin. A sign-in holds one upstream call open at a time, so a
 * burst needs about as many connections as sign-ins in flight: with 16, 32 concurrent sign-ins at
 * 20 ms upstream latency queued for a connection and managed about 230 flows/s, against about 390
 * with 64 (`npm run bench -- --pool N`, issue 5). Still a bound: never more open at once.
 */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 64;

/**
 * Connections per origin kept for sign-out revocations, apart from the sign-in pool, so a revoke
 * is sent at once even while stalled sign-ins hold every pooled connection (issue 10).
 */
export const REVOKE_CONNECTIONS_PER_ORIGIN = 4;

/**
 * How long an exchange the caller has given up on may keep its connection, waiting for the
 * upstream's answer. Destroying the socket at the caller's deadline would make the next call open
 * a new one, a connection per timed-out call against an upstream already struggling; keeping it
 * holds the number of connections to the pool size, and reuses them once the upstream answers.
 */
export const LINGER_MS = 30_000;

const AGENT_OPTIONS = { keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000, pipelining: 1 } as const;
let sharedAgent: Agent | undefined;
let revokeAgent: Agent | undefined;

/**
 * The dispatcher used when a client is given none. One for the process, so every strategy and
 * middleware talking to the same origin shares one bounded pool.
 */
export function defaultDispatcher(): Dispatcher {
  sharedAgent ??= new Agent({ connections: DEFAULT_CONNECTIONS_PER_ORIGIN, ...AGENT_OPTIONS });
  return sharedAgent;
}

/** The process's own small pool for revocations, used when a client is given no dispatcher. */
export function defaultRevokeDispatcher(): Dispatcher {
  revokeAgent ??= new Agent({ connections: REVOKE_CONNECTIONS_PER_ORIGIN, ...AGENT_OPTIONS });
  return revokeAgent;
}

/** The sign-in lane (`kind` 'call') or the revocation lane of an origin through a dispatcher. */
export function connectionLane(dispatcher: Dispatcher, origin: string, kind: 'call' | 'revoke' = 'call'): ConnectionLane {
  return laneFor(dispatcher, origin, kind, kind === 'revoke' ? REVOKE_CONNECTIONS_PER_ORIGIN : DEFAULT_CONNECTIONS_PER_ORIGIN);
}

/**
 * A time limit given to undici as the request's signal. undici accepts an EventEmitter-like
 * signal and uses only `once` and `removeListener` on it, for one `abort` listener; this holds
 * that one listener in a field instead of constructing an EventEmitter per call, and the timer is
 * cleared the moment the exchange ends (issue 5 benchmark). Unref'd: it only bounds a lingering
 * exchange, which must not keep a process alive.
 */
class Deadline {
  expired = false;
  private listener: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.timer = setTimeout(() => {
      this.expired = true;
      const listener = this.listener;
      this.listener = undefined;
      listener?.();
    }, ms);
    this.timer.unref();
  }

  on(_event: 'abort', listener: () => void): this {
    this.listener = listener;
    return this;
  }

  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = undefined;
    return this;
  }

  clear(): void {
    clearTimeout(this.timer);
    this.listener = undefined;
  }
}

/**
 * Sends one request and reads the whole, size-capped body. Redirects are never followed (undici's
 * `request` does not follow them): a vendor's 3xx comes back as a status for the caller to refuse,
 * because following it would forward key headers and the code in the body to another host.
 *
 * The caller's promise settles by `timeoutMs` whatever happens: a call still waiting for a
 * connection then leaves the queue without ever opening one; a call already sent lets its
 * exchange linger (see `LINGER_MS`) and hands a late answer to `onLateResponse`.
 */
export function send(req: OutgoingRequest): Promise<IncomingResponse> {
  const dispatcher = req.dispatcher ?? defaultDispatcher();
  const lane = req.lane ?? connectionLane(dispatcher, req.url.origin);
  return new Promise<IncomingResponse>((resolve, reject) => {
    let waiting = true;
    let gaveUp = false;
    const start = (): void => {
      waiting = false;
      exchange(req, dispatcher).then(
        (res) => {
          lane.leave();
          if (!gaveUp) {
            clearTimeout(timer);
            resolve(res);
          } else {
            req.onLateResponse?.(res);
          }
        },
        (err: unknown) => {
          lane.leave();
          if (!gaveUp) {
            clearTimeout(timer);
            reject(err);
          }
        },
      );
    };
    const timer = setTimeout(() => {
      gaveUp = true;
      if (waiting) {
        lane.withdraw(start);
        reject(new TransportError('timeout', 'no connection became free before the timeout'));
      } else {
        reject(new TransportError('timeout', 'no complete response before the timeout'));
      }
    }, req.timeoutMs);
    lane.enter(start);
  });
}

async function exchange(req: OutgoingRequest, dispatcher: Dispatcher): Promise<IncomingResponse> {
  const limitMs = req.timeoutMs + LINGER_MS;
  const deadline = new Deadline(limitMs);
  try {
    return await exchangeWithin(req, dispatcher, deadline, limitMs);
  } finally {
    deadline.clear();
  }
}

async function exchangeWithin(
  req: OutgoingRequest,
  dispatcher: Dispatcher,
  deadline: Deadline,
  limitMs: number,
): Promise<IncomingResponse> {
  let res: Dispatcher.ResponseData;
  try {
    // The dispatcher's own request(), given origin and path, skips the URL re-parsing and option
    // copying of undici's top-level request() on every call.
    res = await dispatcher.request({
      origin: req.url.origin,
      path: req.url.pathname + req.url.search,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: deadline as unknown as Dispatcher.RequestOptions['signal'],
      headersTimeout: limitMs,
      bodyTimeout: limitMs,
    });
  } catch (err) {
    throw toTransportError(err, deadline);
  }

  const headers = flattenHeaders(res.headers);
  const length = headers['content-length'];
  const declared = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
  if (declared !== undefined && declared > req.maxBodyBytes) {
    res.body.destroy();
    throw new TransportError('too-large', `response body of ${declared} bytes exceeds the ${req.maxBodyBytes}-byte cap`);
  }
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && !IDENTITY.test(encoding)) {
    const decoded = await decodeBody(await readCapped(res.body, req.maxBodyBytes, deadline), encoding, req.maxBodyBytes);
    if (!decoded.ok) throw new TransportError(decoded.kind, decoded.message);
    return { status: res.statusCode, headers, text: decoded.text };
  }

  // undici fails a body longer than its declared length, so a declared length within the cap lets
  // undici's own text reader do the work; only an undeclared length needs counting as it arrives.
  const text =
    declared !== undefined
      ? await readDeclared(res.body, deadline)
      : (await readCapped(res.body, req.maxBodyBytes, deadline)).toString('utf8');
  return { status: res.statusCode, headers, text };
}

async function readDeclared(body: Dispatcher.ResponseData['body'], deadline: Deadline): Promise<string> {
  try {
    return await body.text();
  } catch (err) {
    throw toTransportError(err, deadline);
  }
}

/**
 * The body's bytes, refused past `cap`. Plain stream events rather than `for await`: the
 * async iterator costs several promises and ticks per call, measurable in a sign-in burst (issue 5).
 */
function readCapped(body: Dispatcher.ResponseData['body'], cap: number, deadline: Deadline): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: TransportError): void => {
      settled = true;
      reject(error);
    };
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > cap) {
        fail(new TransportError('too-large', `response body exceeds the ${cap}-byte cap`));
        body.destroy();
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => {
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    body.once('error', (err) => {
      if (!settled) fail(toTransportError(err, deadline));
    });
    // A body that closes with neither end nor error would otherwise leave the caller waiting.
    body.once('close', () => {
      if (!settled) fail(new TransportError('network', 'connection closed before the response ended'));
    });
  });
}

function toTransportError(err: unknown, deadline: Deadline): TransportError {
  const code = (err as { code?: unknown } | null)?.code;
  if (deadline.expired || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TransportError('timeout', 'no complete response before the timeout');
  }
  // Only the error's code: undici's messages can quote the request.
  return new TransportError('network', `connection failed${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** undici names headers in lower case already; only repeated headers (arrays) need joining. */
function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  let out: Record<string, string | string[] | undefined> | undefined;
  for (const name in raw) {
    const value = raw[name];
    if (Array.isArray(value)) {
      out ??= { ...raw };
      out[name] = value.join(', ');
    }
  }
  return (out ?? raw) as Record<string, string | undefined>;
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** A forbidden key can only be spelt out or hidden behind `\u` escapes; text with neither needs no reviver. */
const MAY_HOLD_FORBIDDEN_KEY = /__proto__|constructor|prototype|\\u/;
const dropForbiddenKeys = (key: string, value: unknown): unknown => (FORBIDDEN_KEYS.has(key) ? undefined : value);

/**
 * JSON.parse that drops keys able to reach an object's prototype once the value is copied or
 * merged by the application. Returns `undefined` for text that is not JSON.
 */
export function parseJson(text: string): unknown {
  try {
    // A reviver makes JSON.parse about three times slower, so it runs only where it could act.
    return MAY_HOLD_FORBIDDEN_KEY.test(text) ? JSON.parse(text, dropForbiddenKeys) : JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** True for `application/json` and `+json` media types, with or without parameters. */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  if (value === 'application/json' || value.startsWith('application/json;')) return true;
  const type = value.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,10}$/.test(trimmed)) return Number(trimmed);
  // An HTTP-date starts with the day name; Date.parse alone would read '-5' as a year.
  if (!/^[A-Za-z]{3}, /.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}
