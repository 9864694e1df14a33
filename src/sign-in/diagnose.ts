import type { IncomingMessage } from 'node:http';
import { log } from '../log.js';
import { ConsumedStates } from './used-states/consumed-states.js';
import type { StateCookieSettings } from './pending/types.js';
import type { SharedFailureReason } from './reasons.js';
import { isSignedIn, readSession } from './session-access.js';

/** How long a finished sign-in is remembered, so a reload of its callback is recognised. */
const FINISHED_MEMORY_MS = 60 * 60 * 1000;
/** Finished sign-ins remembered at most; only states this strategy issued and matched get in. */
const FINISHED_MEMORY_ENTRIES = 10_000;
const LOOPBACK_NAMES = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|[\w.-]+\.localhost)$/;

type DiagnosedRequest = IncomingMessage & {
  secure?: unknown;
  protocol?: unknown;
  hostname?: unknown;
  session?: unknown;
  _sessionManager?: { _key?: unknown };
};

/** What the diagnosis needs to know about the strategy. */
export interface DiagnosticsSettings {
  /** Where the vendor sends the browser back; without it the host and port are not compared. */
  callbackURL?: URL | undefined;
  stateTtlMs: number;
  /** The vendor's name, for the warnings (`the return from UltraCart`). */
  vendor: string;
  /** Where certain mistakes are reported once each. Default `console.warn`. */
  warn?: (text: string) => void;
}

/** A mistake the strategy can see in a request, and what to say about it once. */
interface Trap {
  kind: 'secure-cookie-on-http' | 'same-site-strict' | 'host-mismatch' | 'port-mismatch' | 'session-not-restored';
  /** Certain mistakes also go to `console.warn`; likely ones only to the debug log. */
  certain: boolean;
  text: string;
}

/**
 * Tells why a callback found no pending sign-in, and warns (once per kind) about the set-up
 * mistakes that make that happen: a `Secure` cookie over plain http, `SameSite=Strict`, an app
 * opened on another host or port than `callbackURL`'s, and a session that is never read back into
 * `req.user` (`passport.session()` missing). What it learns about one sign-in (that it began on
 * another host) is kept with that sign-in's state, so no request can change what another
 * browser is told. Nothing it logs or returns holds a secret: only host names, ports and cookie
 * attributes, quoted as they came.
 */
export class SignInDiagnostics {
  private readonly warned = new Set<Trap['kind']>();
  private readonly finished = new ConsumedStates(FINISHED_MEMORY_ENTRIES);
  /** States of sign-ins that began on a host whose cookies the callback host cannot see. */
  private readonly startedElsewhere = new ConsumedStates(FINISHED_MEMORY_ENTRIES);
  private readonly callbackHost: string | undefined;
  private readonly callbackPort: string;
  private readonly callbackPortNamed: boolean;
  private readonly stateTtlMs: number;
  private readonly vendor: string;
  private readonly warn: (text: string) => void;

  constructor(settings: DiagnosticsSettings) {
    const callback = settings.callbackURL;
    this.callbackHost = callback?.hostname.toLowerCase();
    this.callbackPort = callback ? callback.port || (callback.protocol === 'https:' ? '443' : '80') : '';
    this.callbackPortNamed = callback !== undefined && callback.port !== '';
    this.stateTtlMs = settings.stateTtlMs;
    this.vendor = settings.vendor;
    this.warn = settings.warn ?? ((text) => console.warn(text));
  }

  /**
   * At the authorize leg, before the vendor is called: warns about every trap this request shows
   * and remembers, with `state`, what the callback will need to explain a failure. Returns
   * `secureCookieOnHttp` when the sign-in cannot work at all (the cookie that would carry it back
   * is never set on this request), so the strategy refuses it without a round trip to the vendor.
   */
  atAuthorize(req: IncomingMessage, cookie: StateCookieSettings | undefined, state?: string): 'secureCookieOnHttp' | undefined {
    const request = req as DiagnosedRequest;
    const { host, port } = this.callbackHost === undefined ? { host: undefined, port: undefined } : hostOf(request);
    if (host !== undefined && host !== this.callbackHost) {
      if (state !== undefined) this.startedElsewhere.claim(state, Date.now() + this.stateTtlMs);
      this.report({
        kind: 'host-mismatch',
        // Behind a proxy the app may see an internal name; two loopback names are certainly a mistake.
        certain: LOOPBACK_NAMES.test(host) && LOOPBACK_NAMES.test(this.callbackHost!),
        text:
          `a sign-in began on host ${quote(host)}, but callbackURL is on ${this.callbackHost}: cookies are kept per host, so ` +
          `the callback will not find this browser's sign-in. Open the app at ${this.callbackHost} (or make callbackURL match).`,
      });
    } else if (host !== undefined && port !== undefined && port !== this.callbackPort) {
      // Cookies ignore ports, but the browser will be sent to callbackURL's port: another server, or none.
      this.report({
        kind: 'port-mismatch',
        // Behind a proxy the app sees its own port; on loopback, with a port named in callbackURL, it is a mistake.
        certain: this.callbackPortNamed && LOOPBACK_NAMES.test(host),
        text:
          `a sign-in began on port ${quote(port)}, but callbackURL is on port ${this.callbackPort}: the browser will come back ` +
          'to a server that is not this one. Make callbackURL name the port the app listens on.',
      });
    }
    const traps = cookieTraps(request, cookie, this.vendor);
    for (const trap of traps) this.report(trap);
    if (sessionNotRestored(request)) this.report(SESSION_NOT_RESTORED);
    const cannotWork = cookie?.notSetOverHttp === true && traps.some((t) => t.kind === 'secure-cookie-on-http');
    return cannotWork ? 'secureCookieOnHttp' : undefined;
  }

  /** Records a state that matched this browser's pending sign-in and has now been used. */
  recordFinished(state: string): void {
    this.finished.claim(state, Date.now() + Math.max(FINISHED_MEMORY_MS, this.stateTtlMs));
  }

  /**
   * Why a callback carrying `offered` found nothing pending for this browser. Only states this
   * strategy recorded count as used or as begun elsewhere, so states from an attacker fill nothing.
   */
  noPendingReason(
    req: IncomingMessage,
    offered: string | undefined,
    hadPending: boolean,
    cookie: StateCookieSettings | undefined,
  ): SharedFailureReason {
    const request = req as DiagnosedRequest;
    if (sessionNotRestored(request)) {
      this.report(SESSION_NOT_RESTORED);
      return 'sessionNotRestored';
    }
    if (offered !== undefined && this.finished.has(offered)) return 'alreadyUsed';
    if (hadPending) return 'stateMismatch';
    const traps = cookieTraps(request, cookie, this.vendor);
    for (const trap of traps) this.report(trap);
    if (traps.some((t) => t.kind === 'secure-cookie-on-http')) return 'secureCookieOnHttp';
    if (traps.some((t) => t.kind === 'same-site-strict')) return 'sameSiteStrict';
    if (offered !== undefined && this.startedElsewhere.has(offered)) return 'hostMismatch';
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

function cookieTraps(req: DiagnosedRequest, cookie: StateCookieSettings | undefined, vendor: string): Trap[] {
  if (!cookie) return [];
  const traps: Trap[] = [];
  if (cookie.secure && !isHttps(req)) {
    traps.push({ kind: 'secure-cookie-on-http', certain: true, text: secureCookieText(req) });
  }
  if (cookie.sameSite === 'strict') {
    traps.push({
      kind: 'same-site-strict',
      certain: true,
      text:
        `the cookie that keeps the sign-in is SameSite=Strict: browsers do not send it on the return from ${vendor}, which ` +
        "is a cross-site navigation, so every sign-in fails. Use sameSite: 'lax'.",
    });
  }
  return traps;
}

/** Says which of the usual causes this request shows: no proxy header, or a proxy Express does not trust. */
function secureCookieText(req: DiagnosedRequest): string {
  const start = 'the cookie that keeps the sign-in is Secure, but the app sees this request as plain http (req.secure is false), ';
  const forwarded = req.headers?.['x-forwarded-proto'];
  if (forwarded === undefined) {
    return (
      start +
      'and it carries no X-Forwarded-Proto header. Serve the app over https; behind a TLS proxy, make the proxy send ' +
      "X-Forwarded-Proto and set Express's trust proxy to trust it. For local http use the cookie option secure: 'auto'."
    );
  }
  return (
    start +
    `although it carries X-Forwarded-Proto: ${quote(String(forwarded))}. Express's trust proxy does not trust the proxy that ` +
    'sent it: set trust proxy to that proxy (its address, or the number of proxies in front of the app).'
  );
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

/** Express's `req.secure` and Fastify's `request.protocol` honour the app's proxy settings; else the socket. */
function isHttps(req: DiagnosedRequest): boolean {
  if (typeof req.secure === 'boolean') return req.secure;
  if (typeof req.protocol === 'string') return req.protocol === 'https';
  return (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
}

/** The host name the browser asked for (cookies ignore the port) and the port, if the Host header names one. */
function hostOf(req: DiagnosedRequest): { host: string | undefined; port: string | undefined } {
  const header = req.headers?.host;
  const port = typeof header === 'string' ? portOf(header) : undefined;
  // Express's hostname differs from the Host header only through X-Forwarded-Host; its getter is not free.
  const hostname = req.headers?.['x-forwarded-host'] === undefined ? undefined : req.hostname;
  if (typeof hostname === 'string' && hostname !== '') return { host: stripPort(hostname.toLowerCase()), port };
  return { host: typeof header === 'string' && header !== '' ? stripPort(header.toLowerCase()) : undefined, port };
}

function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function portOf(host: string): string | undefined {
  const match = /:(\d{1,5})$/.exec(host);
  return match ? match[1] : undefined;
}

/** Text that came with the request, quoted so that it cannot pass for the log line's own words. */
function quote(text: string): string {
  return JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
}
