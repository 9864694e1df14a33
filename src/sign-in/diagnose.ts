import type { IncomingMessage } from 'node:http';
import { log } from '../log.js';
import { ConsumedStates } from './used-states/consumed-states.js';
import type { FailureReason } from '../ultracart/messages.js';
import type { StateCookieSettings } from './pending/types.js';

/** How long a finished sign-in is remembered, so a reload of its callback is recognised. */
const FINISHED_MEMORY_MS = 60 * 60 * 1000;
/** Finished sign-ins remembered at most; only states this strategy issued and matched get in. */
const FINISHED_MEMORY_ENTRIES = 10_000;
const LOOPBACK_NAMES = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|[\w.-]+\.localhost)$/;

type DiagnosedRequest = IncomingMessage & {
  secure?: unknown;
  protocol?: unknown;
  hostname?: unknown;
  user?: unknown;
  session?: unknown;
  isAuthenticated?: () => boolean;
  _sessionManager?: { _key?: unknown };
};

/** A mistake the strategy can see in a request, and what to say about it once. */
interface Trap {
  kind: 'secure-cookie-on-http' | 'same-site-strict' | 'host-mismatch' | 'session-not-restored';
  /** Certain mistakes also go to `console.warn`; likely ones only to the debug log. */
  certain: boolean;
  text: string;
}

/**
 * Tells why a callback found no pending sign-in, and warns (once per kind) about the set-up
 * mistakes that make that happen: a `Secure` session cookie over plain http, `SameSite=Strict`,
 * an app opened on another host than `callbackURL`'s, and a session that is never read back into
 * `req.user` (`passport.session()` missing). Nothing it logs or returns holds a secret: only host
 * names and cookie attributes.
 */
export class SignInDiagnostics {
  private readonly warned = new Set<Trap['kind']>();
  private readonly finished = new ConsumedStates(FINISHED_MEMORY_ENTRIES);
  /** When a sign-in last began on a host whose cookies the callback host cannot see. */
  private lastHostMismatchAt = 0;

  constructor(
    private readonly callbackHost: string,
    private readonly stateTtlMs: number,
    private readonly warn: (text: string) => void = (text) => console.warn(text),
  ) {}

  /** At the authorize leg: warns about every trap this request shows. */
  atAuthorize(req: IncomingMessage, cookie: StateCookieSettings | undefined): void {
    const request = req as DiagnosedRequest;
    const host = hostOf(request);
    if (host !== undefined && host !== this.callbackHost) {
      this.lastHostMismatchAt = Date.now();
      this.report({
        kind: 'host-mismatch',
        // Behind a proxy the app may see an internal name; two loopback names are certainly a mistake.
        certain: LOOPBACK_NAMES.test(host) && LOOPBACK_NAMES.test(this.callbackHost),
        text:
          `a sign-in began on host ${host}, but callbackURL is on ${this.callbackHost}: cookies are kept per host, so the ` +
          `callback will not find this browser's sign-in. Open the app at ${this.callbackHost} (or make callbackURL match).`,
      });
    }
    for (const trap of cookieTraps(request, cookie)) this.report(trap);
    if (sessionNotRestored(request)) this.report(SESSION_NOT_RESTORED);
  }

  /** Records a state that matched this browser's pending sign-in and has now been used. */
  recordFinished(state: string): void {
    this.finished.claim(state, Date.now() + Math.max(FINISHED_MEMORY_MS, this.stateTtlMs));
  }

  /**
   * Why a callback carrying `offered` found nothing pending for this browser. Only states this
   * strategy recorded count as used, so random states from an attacker fill nothing.
   */
  noPendingReason(
    req: IncomingMessage,
    offered: string | undefined,
    hadPending: boolean,
    cookie: StateCookieSettings | undefined,
  ): FailureReason {
    const request = req as DiagnosedRequest;
    if (sessionNotRestored(request)) {
      this.report(SESSION_NOT_RESTORED);
      return 'sessionNotRestored';
    }
    if (offered !== undefined && this.finished.has(offered)) return 'alreadyUsed';
    if (hadPending) return 'stateMismatch';
    const traps = cookieTraps(request, cookie);
    for (const trap of traps) this.report(trap);
    if (traps.some((t) => t.kind === 'secure-cookie-on-http')) return 'secureCookieOnHttp';
    if (traps.some((t) => t.kind === 'same-site-strict')) return 'sameSiteStrict';
    if (Date.now() - this.lastHostMismatchAt < this.stateTtlMs) return 'hostMismatch';
    return 'noPendingSignIn';
  }

  private report(trap: Trap): void {
    log.strategy('set-up problem: %s', trap.text);
    if (!trap.certain || this.warned.has(trap.kind)) return;
    this.warned.add(trap.kind);
    this.warn(`passport-ultracart: ${trap.text}`);
  }
}

const SESSION_NOT_RESTORED: Trap = {
  kind: 'session-not-restored',
  certain: true,
  text:
    'the session holds a signed-in user but req.user is not set: passport.session() (or @fastify/passport secureSession()) ' +
    'is missing or comes before the session middleware, so every sign-in looks like it did not happen.',
};

function cookieTraps(req: DiagnosedRequest, cookie: StateCookieSettings | undefined): Trap[] {
  if (!cookie) return [];
  const traps: Trap[] = [];
  if (cookie.secure && !isHttps(req)) {
    traps.push({
      kind: 'secure-cookie-on-http',
      certain: true,
      text:
        'the cookie that keeps the sign-in is Secure, but this request came over plain http, so the browser never sends it ' +
        "back. Serve the app over https (behind a TLS proxy, set Express's trust proxy), or use secure: 'auto' for local http.",
    });
  }
  if (cookie.sameSite === 'strict') {
    traps.push({
      kind: 'same-site-strict',
      certain: true,
      text:
        'the cookie that keeps the sign-in is SameSite=Strict: browsers do not send it on the return from UltraCart, which ' +
        "is a cross-site navigation, so every sign-in fails. Use sameSite: 'lax'.",
    });
  }
  return traps;
}

/** A user stored in the session that nothing read back into `req.user`. */
function sessionNotRestored(req: DiagnosedRequest): boolean {
  if (isSignedIn(req)) return false;
  const session = req.session;
  if (!session || typeof session !== 'object') return false;
  const key = typeof req._sessionManager?._key === 'string' ? req._sessionManager._key : 'passport';
  const stored = readSession(session, key);
  if (stored === undefined || stored === null) return false;
  // Passport keeps `{ user }`; @fastify/passport keeps the serialised user itself.
  if (typeof stored === 'object' && 'user' in stored) {
    const user = (stored as { user?: unknown }).user;
    return user !== undefined && user !== null;
  }
  return true;
}

function readSession(session: object, key: string): unknown {
  const get = (session as { get?: unknown }).get;
  if (typeof get === 'function') return (get as (k: string) => unknown).call(session, key);
  return (session as Record<string, unknown>)[key];
}

function isSignedIn(req: DiagnosedRequest): boolean {
  if (typeof req.isAuthenticated === 'function') return req.isAuthenticated();
  return req.user !== undefined && req.user !== null;
}

/** Express's `req.secure` and Fastify's `request.protocol` honour the app's proxy settings; else the socket. */
function isHttps(req: DiagnosedRequest): boolean {
  if (typeof req.secure === 'boolean') return req.secure;
  if (typeof req.protocol === 'string') return req.protocol === 'https';
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

/** The host name the browser asked for, without the port (cookies ignore ports). */
function hostOf(req: DiagnosedRequest): string | undefined {
  if (typeof req.hostname === 'string' && req.hostname !== '') return stripPort(req.hostname.toLowerCase());
  const header = req.headers?.host;
  return typeof header === 'string' && header !== '' ? stripPort(header.toLowerCase()) : undefined;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
