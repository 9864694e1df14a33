import { Agent, type Dispatcher } from 'undici';

/** One HTTP exchange with a vendor API, as the vendor clients describe it. */
export interface OutgoingRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBodyBytes: number;
  dispatcher?: Dispatcher;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body as text, already capped at `maxBodyBytes`. */
  text: string;
}

export type TransportFailure = 'timeout' | 'network' | 'too-large';

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

let sharedAgent: Agent | undefined;

/**
 * The dispatcher used when a client is given none. One for the process, so every strategy and
 * middleware talking to the same origin shares one bounded pool.
 */
export function defaultDispatcher(): Dispatcher {
  sharedAgent ??= new Agent({
    connections: DEFAULT_CONNECTIONS_PER_ORIGIN,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    pipelining: 1,
  });
  return sharedAgent;
}

/**
 * A total-time limit for one exchange, given to undici as the request's signal. undici accepts an
 * EventEmitter-like signal and uses only `once` and `removeListener` on it, for one `abort`
 * listener; this holds that one listener in a field instead of constructing an EventEmitter per
 * call, and the timer is cleared the moment the exchange ends (issue 5 benchmark).
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
 */
export async function send(req: OutgoingRequest): Promise<IncomingResponse> {
  const deadline = new Deadline(req.timeoutMs);
  try {
    return await exchange(req, deadline);
  } finally {
    deadline.clear();
  }
}

async function exchange(req: OutgoingRequest, deadline: Deadline): Promise<IncomingResponse> {
  let res: Dispatcher.ResponseData;
  try {
    // The dispatcher's own request(), given origin and path, skips the URL re-parsing and option
    // copying of undici's top-level request() on every call.
    res = await (req.dispatcher ?? defaultDispatcher()).request({
      origin: req.url.origin,
      path: req.url.pathname + req.url.search,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: deadline as unknown as Dispatcher.RequestOptions['signal'],
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
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

  // undici fails a body longer than its declared length, so a declared length within the cap lets
  // undici's own text reader do the work; only an undeclared length needs counting as it arrives.
  const text = declared !== undefined ? await readDeclared(res.body, deadline) : await readCapped(res.body, req.maxBodyBytes, deadline);
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
 * The body as text, refused past `cap` bytes. Plain stream events rather than `for await`: the
 * async iterator costs several promises and ticks per call, measurable in a sign-in burst (issue 5).
 */
function readCapped(body: Dispatcher.ResponseData['body'], cap: number, deadline: Deadline): Promise<string> {
  return new Promise<string>((resolve, reject) => {
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
      resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
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
