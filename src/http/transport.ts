import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { laneFor, LINGER_MS, type ConnectionLane, type LaneCall } from './connection-lane.js';
import { decodeBody, IDENTITY } from './content-encoding.js';
export { ACCEPT_ENCODING } from './content-encoding.js';
export { DEFAULT_CONNECTIONS_PER_ORIGIN, LINGER_MS, REVOKE_CONNECTIONS_PER_ORIGIN } from './connection-lane.js';

/** One HTTP exchange with a vendor API, as the vendor clients describe it. */
export interface OutgoingRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
  /** The caller's whole budget: time queued for a connection, then the exchange. */
  timeoutMs: number;
  maxBodyBytes: number;
  /** The queue for a connection, and the dispatcher behind it; default the sign-in lane of `dispatcher` for the URL's origin. */
  lane?: ConnectionLane | undefined;
  /** Used only without `lane`: default the process's own pool for the URL's origin. */
  dispatcher?: Dispatcher | undefined;
  /**
   * Called with a response that arrived complete after the caller had given up on it, so a
   * client can undo what the upstream did meanwhile (revoke a key issued too late to be used).
   */
  onLateResponse?: ((res: IncomingResponse) => void) | undefined;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body as text, decoded and capped at `maxBodyBytes`. */
  text: string;
}

export type TransportFailure = 'timeout' | 'network' | 'too-large' | 'encoding';

/**
 * Raised when no complete response arrived. The message names the failure and, for a connection
 * that failed, the host and port tried: never the path, the query, the headers or the body, which
 * hold keys and codes.
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
 * Sends one request and reads the whole, size-capped body. Redirects are never followed (undici's
 * dispatchers do not follow them): a vendor's 3xx comes back as a status for the caller to refuse,
 * because following it would forward key headers and the code in the body to another host.
 *
 * The caller's promise settles by `timeoutMs` whatever happens: a call still waiting for a
 * connection then leaves the queue without ever opening one; a call already sent lets its
 * exchange linger (see `LINGER_MS` and `ConnectionLane`) and hands a late answer to `onLateResponse`.
 */
export function send(req: OutgoingRequest): Promise<IncomingResponse> {
  const lane = req.lane ?? laneFor(req.dispatcher, req.url.origin);
  return new Promise<IncomingResponse>((resolve, reject) => {
    lane.enter(new Exchange(req, lane, resolve, reject));
  });
}

const enum Phase {
  Waiting,
  Sent,
  Lingering,
  Done,
}

const TIMED_OUT = 'no complete response before the timeout';
/** A call that waited for a connection is sent only with this much of its time left (or a tenth of its timeout, if less). */
const MIN_TIME_LEFT_MS = 50;

/**
 * One call: its place in the lane, its one deadline timer, and undici's handler for the response
 * (undici's dispatch interface, which hands over headers and body chunks without a stream or a
 * promise per call). Everything a call needs is in this one object.
 */
class Exchange implements LaneCall, Dispatcher.DispatchHandler {
  private phase = Phase.Waiting;
  private controller: Dispatcher.DispatchController | undefined;
  /** Set when the lane ended this exchange before undici started it. */
  private abandoned = false;
  private status = 0;
  private headers: Record<string, string | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;
  private lingerTimer: NodeJS.Timeout | undefined;
  /** When the caller gives up, read from the clock only for a call that had to wait. */
  private deadlineAt = 0;

  constructor(
    private readonly req: OutgoingRequest,
    private readonly lane: ConnectionLane,
    private readonly resolve: (res: IncomingResponse) => void,
    private readonly reject: (err: TransportError) => void,
  ) {
    this.timer = setTimeout(onDeadline, req.timeoutMs, this);
  }

  queued(): void {
    this.deadlineAt = performance.now() + this.req.timeoutMs;
  }

  /**
   * After a timeout freed the slot, half the timeout must be left: calls queued together expire
   * together, and without this the first to expire freed a connection for the next, which expired
   * a moment later; behind a stalled upstream each such request took a connection for nothing.
   */
  hasTimeLeft(afterTimeout: boolean): boolean {
    const { timeoutMs } = this.req;
    const needed = afterTimeout ? timeoutMs / 2 : Math.min(MIN_TIME_LEFT_MS, timeoutMs / 10);
    return this.phase === Phase.Waiting && this.deadlineAt - performance.now() >= needed;
  }

  start(): void {
    if (this.phase !== Phase.Waiting) return;
    this.phase = Phase.Sent;
    const { req } = this;
    // The linger bound again, as undici's own timers: a safety net should this object's fail.
    const limitMs = req.timeoutMs + LINGER_MS;
    try {
      this.lane.dispatcher.dispatch(
        {
          origin: req.url.origin,
          path: req.url.pathname + req.url.search,
          method: req.method,
          headers: req.headers,
          body: req.body,
          headersTimeout: limitMs,
          bodyTimeout: limitMs,
        },
        this,
      );
    } catch (err) {
      // A dispatcher that throws rather than reporting through the handler (a closed pool, a stand-in).
      this.finish(undefined, toTransportError(err, req.url));
    }
  }

  /** The caller's deadline. */
  expire(): void {
    if (this.phase === Phase.Waiting) {
      this.phase = Phase.Done;
      this.lane.withdraw(this);
      this.reject(new TransportError('timeout', 'no connection became free before the timeout'));
    } else if (this.phase === Phase.Sent) {
      this.phase = Phase.Lingering;
      this.reject(new TransportError('timeout', TIMED_OUT));
      this.lingerTimer = setTimeout(abandonExchange, LINGER_MS, this);
      // It only bounds an exchange nobody waits for, which must not keep a process alive.
      this.lingerTimer.unref();
      this.lane.linger(this);
    }
  }

  abandon(): void {
    if (this.phase !== Phase.Lingering) return;
    if (this.controller) this.controller.abort(new TransportError('timeout', TIMED_OUT));
    else this.abandoned = true;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abandoned) controller.abort(new TransportError('timeout', TIMED_OUT));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    // 1xx interim answers are followed by the real one.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = flattenHeaders(headers);
    const length = this.headers['content-length'];
    const declared = length !== undefined && /^\d{1,15}$/.test(length) ? Number(length) : undefined;
    if (declared !== undefined && declared > this.req.maxBodyBytes) {
      controller.abort(new TransportError('too-large', `response body of ${declared} bytes exceeds the ${this.req.maxBodyBytes}-byte cap`));
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Counted as it arrives, so a body of undeclared length cannot grow past the cap in memory.
    this.size += chunk.length;
    if (this.size > this.req.maxBodyBytes) {
      controller.abort(new TransportError('too-large', `response body exceeds the ${this.req.maxBodyBytes}-byte cap`));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const raw = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const encoding = this.headers['content-encoding'];
    if (encoding === undefined || IDENTITY.test(encoding)) {
      this.finish({ status: this.status, headers: this.headers, text: raw.toString('utf8') }, undefined);
      return;
    }
    void decodeBody(raw, encoding, this.req.maxBodyBytes).then((decoded) => {
      if (decoded.ok) this.finish({ status: this.status, headers: this.headers, text: decoded.text }, undefined);
      else this.finish(undefined, new TransportError(decoded.kind, decoded.message));
    });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.finish(undefined, toTransportError(err, this.req.url));
  }

  private finish(res: IncomingResponse | undefined, err: TransportError | undefined): void {
    if (this.phase === Phase.Sent) {
      this.phase = Phase.Done;
      clearTimeout(this.timer);
      this.lane.leave();
      if (res) this.resolve(res);
      else this.reject(err!);
    } else if (this.phase === Phase.Lingering) {
      this.phase = Phase.Done;
      clearTimeout(this.lingerTimer);
      this.lane.settled(this);
      if (res) this.req.onLateResponse?.(res);
    }
  }
}

// Module functions with the exchange as the timer's argument: no closure per call.
function onDeadline(exchange: Exchange): void {
  exchange.expire();
}

function abandonExchange(exchange: Exchange): void {
  exchange.abandon();
}

function toTransportError(err: unknown, url: URL): TransportError {
  if (err instanceof TransportError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return new TransportError('timeout', TIMED_OUT);
  // Only the error's code and where we tried: undici's messages can quote the request.
  return new TransportError('network', `connection to ${hostAndPort(url)} failed${typeof code === 'string' ? ` (${code})` : ''}`);
}

/** `host:port` of a URL, the port spelt out even when it is the scheme's default. */
export function hostAndPort(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
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
