import { inspect, type InspectOptions } from 'node:util';
import { TransportError } from './transport.js';

/** What every error of this package is built from. */
export interface PassportUltraCartErrorOptions<Code extends string = string> {
  /** A stable identifier for programs (`ULTRACART_RATE_LIMITED`); the message is for people. */
  code: Code;
  /** The HTTP status the application should answer with. */
  status: number;
  /** Seconds the client should wait before trying again; sent as `Retry-After` by frameworks that read `headers`. */
  retryAfter?: number | undefined;
  /** What led to this error. Kept off `JSON.stringify` and shown by `util.inspect` by name and code only. */
  cause?: unknown;
}

/**
 * The base class of every error the package raises, in the shape web frameworks already
 * understand (the `http-errors` convention): `status` and `statusCode` hold the same HTTP status,
 * `expose` is true below 500 (the message may be shown to the browser), `headers` carries
 * `Retry-After` when there is one. Express's default handler, Fastify, Koa and NestJS's
 * `BaseExceptionFilter` answer with that status instead of a 500.
 *
 * Messages never hold a key, code, state or token: the vendors' own words are redacted before they
 * get here.
 *
 * @example
 * app.use((err, req, res, next) => {
 *   if (!(err instanceof PassportUltraCartError)) return next(err);
 *   if (err.headers) res.set(err.headers);
 *   res.status(err.status).send(err.expose ? err.message : 'Sign-in is unavailable just now');
 * });
 */
export class PassportUltraCartError<Code extends string = string> extends Error {
  /** A stable identifier for programs; see the error table in the docs. */
  readonly code: Code;
  /** The HTTP status the application should answer with. */
  readonly status: number;
  /** The same as `status`, under the name Node, Express and Fastify also read. */
  readonly statusCode: number;
  /** True below 500: the message describes the request and may be shown to the user. */
  readonly expose: boolean;
  /** Seconds to wait before trying again, when the vendor said (capped), else undefined. */
  readonly retryAfter: number | undefined;
  /** `{ 'Retry-After': '…' }` when `retryAfter` is set, for handlers that copy an error's headers. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  declare readonly cause: unknown;

  constructor(message: string, options: PassportUltraCartErrorOptions<Code>) {
    super(message);
    this.name = 'PassportUltraCartError';
    this.code = options.code;
    this.status = options.status;
    this.statusCode = options.status;
    this.expose = options.status < 500;
    this.retryAfter = options.retryAfter;
    this.headers = options.retryAfter === undefined ? undefined : { 'Retry-After': String(options.retryAfter) };
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: true, configurable: true });
    }
  }

  /**
   * Node's inspector prints `cause` in full even when it is not enumerable, and another library's
   * error there (openid-client's, undici's) can hold a response body or a token. Shown instead:
   * our own errors as themselves (their messages hold no secret), anything else by its name and code.
   */
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return inspect(displayed(this), { ...options, customInspect: false });
  }
}

/** A copy of `err` for the inspector: the same prototype, fields and stack, with its cause made safe. */
function displayed(err: PassportUltraCartError): Error {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err);
  for (const key of ['stack', 'message'] as const) Object.defineProperty(copy, key, { value: err[key], enumerable: false });
  if (err.cause !== undefined) Object.defineProperty(copy, 'cause', { value: summarise(err.cause), enumerable: false });
  return copy;
}

function summarise(cause: unknown): unknown {
  if (cause instanceof PassportUltraCartError) return displayed(cause);
  // Ours, and its message names the failure only.
  if (cause instanceof TransportError) return cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${cause.name} (${code})` : cause.name;
  }
  return typeof cause;
}
