import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sameState } from './state-value.js';
import type { PendingSignIn, StateCookieSettings, StateStore, TakeResult } from './types.js';

export interface CookieStateStoreOptions {
  /**
   * Secret(s) for the HMAC that signs the cookie, at least 32 characters each. The first signs;
   * all verify, so a secret can be rotated by putting the new one first.
   */
  secret: string | string[];
  /** Cookie name. Default `ultracart_pending`. */
  name?: string;
  /** Send the cookie over https only. Default true; set false only for http on localhost. */
  secure?: boolean;
  /** Cookie path. Default `/`. */
  path?: string;
  /** How many sign-ins one browser may have pending at once. Default 5. */
  maxPending?: number;
}

/** Browsers keep about 4 KB per cookie; stay well under it. */
const MAX_COOKIE_VALUE = 3500;
const MAX_RETURN_TO_IN_COOKIE = 1024;

interface Entry {
  s: string;
  e: number;
  r?: string;
}

type WithResponse = IncomingMessage & { res?: ServerResponse };

/**
 * Keeps pending sign-ins in a signed, expiring, `HttpOnly`, `SameSite=Lax` cookie instead of the
 * session, so the callback can land on any instance, before any shared session exists, and
 * survives Passport's session regeneration (a second tab's sign-in is not lost).
 *
 * The cookie is signed, not encrypted: it holds states and return paths, which the browser sees
 * in URLs anyway. A copy of the cookie taken before the callback still names the state, so single
 * use rests on the strategy's used-state ledger: the default holds within one process; behind a
 * load balancer give every instance one shared ledger (`usedStates: new RedisUsedStateLedger(…)`),
 * or an old cookie replayed to another instance passes the state check until the state expires.
 *
 * @example
 * new UltraCartStrategy({ ..., stateStore: new CookieStateStore({ secret: [process.env.STATE_SECRET] }) }, verify)
 */
export class CookieStateStore implements StateStore {
  private readonly secrets: string[];
  private readonly name: string;
  private readonly attributes: string;
  private readonly maxPending: number;
  private readonly settings: StateCookieSettings;

  constructor(options: CookieStateStoreOptions) {
    if (!options || typeof options !== 'object') throw new TypeError('CookieStateStore requires an options object');
    const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
    if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
      throw new TypeError('CookieStateStore: the secret option must be a string (or array of strings) of at least 32 characters');
    }
    this.secrets = secrets;
    this.name = options.name ?? 'ultracart_pending';
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(this.name))
      throw new TypeError('CookieStateStore: the name option is not a valid cookie name');
    const path = options.path ?? '/';
    if (!/^\/[\x21-\x3a\x3c-\x7e]*$/.test(path))
      throw new TypeError('CookieStateStore: the path option must be a cookie path starting with /');
    this.maxPending = options.maxPending ?? 5;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1 || this.maxPending > 20) {
      throw new TypeError('CookieStateStore: the maxPending option must be an integer from 1 to 20');
    }
    this.attributes = `; Path=${path}; HttpOnly; SameSite=Lax${options.secure === false ? '' : '; Secure'}`;
    this.settings = { secure: options.secure !== false, sameSite: 'lax' };
  }

  cookieSettings(): StateCookieSettings {
    return this.settings;
  }

  ready(req: IncomingMessage): void {
    if (!(req as WithResponse).res) throw new Error('CookieStateStore needs Express (req.res) to set its cookie');
  }

  async save(req: IncomingMessage, pending: PendingSignIn): Promise<void> {
    const now = Date.now();
    const entries = this.read(req).filter((entry) => entry.e > now);
    const returnTo = pending.returnTo !== undefined && pending.returnTo.length <= MAX_RETURN_TO_IN_COOKIE ? pending.returnTo : undefined;
    entries.push({ s: pending.state, e: pending.expiresAt, ...(returnTo !== undefined && { r: returnTo }) });
    this.write(req, entries.slice(-this.maxPending));
  }

  async take(req: IncomingMessage, state: string | undefined): Promise<TakeResult> {
    const entries = this.read(req);
    let match: Entry | undefined;
    for (const entry of entries) {
      if (state !== undefined && sameState(entry.s, state)) match = entry;
    }
    const rest = match ? entries.filter((entry) => entry !== match) : [];
    if (entries.length > 0) this.write(req, rest);
    const pending = match ? { state: match.s, expiresAt: match.e, ...(match.r !== undefined && { returnTo: match.r }) } : undefined;
    return { pending, hadPending: entries.length > 0 };
  }

  private read(req: IncomingMessage): Entry[] {
    const raw = cookieValue(req.headers.cookie, this.name);
    if (!raw) return [];
    const dot = raw.lastIndexOf('.');
    if (dot <= 0) return [];
    const payload = raw.slice(0, dot);
    const signature = Buffer.from(raw.slice(dot + 1), 'base64url');
    const valid = this.secrets.some((secret) => {
      const expected = sign(secret, payload);
      return expected.length === signature.length && timingSafeEqual(expected, signature);
    });
    if (!valid) return [];
    try {
      const list: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!Array.isArray(list)) return [];
      return list.filter(
        (e): e is Entry =>
          !!e &&
          typeof e === 'object' &&
          typeof e.s === 'string' &&
          typeof e.e === 'number' &&
          (e.r === undefined || typeof e.r === 'string'),
      );
    } catch {
      return [];
    }
  }

  private write(req: IncomingMessage, entries: Entry[]): void {
    const res = (req as WithResponse).res;
    if (!res) throw new Error('CookieStateStore needs Express (req.res) to set its cookie');
    let cookie: string;
    if (entries.length === 0) {
      cookie = `${this.name}=${this.attributes}; Max-Age=0`;
    } else {
      let kept = entries;
      let value = this.serialise(kept);
      while (value.length > MAX_COOKIE_VALUE && kept.length > 1) {
        kept = kept.slice(1);
        value = this.serialise(kept);
      }
      const maxAge = Math.max(1, Math.ceil((Math.max(...kept.map((e) => e.e)) - Date.now()) / 1000));
      cookie = `${this.name}=${value}${this.attributes}; Max-Age=${maxAge}`;
    }
    appendSetCookie(res, this.name, cookie);
  }

  private serialise(entries: Entry[]): string {
    const payload = Buffer.from(JSON.stringify(entries), 'utf8').toString('base64url');
    return `${payload}.${sign(this.secrets[0]!, payload).toString('base64url')}`;
  }
}

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest();
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Adds our Set-Cookie beside any other (the session's), replacing an earlier one of ours. */
function appendSetCookie(res: ServerResponse, name: string, cookie: string): void {
  const existing = res.getHeader('set-cookie');
  const list = (Array.isArray(existing) ? existing : existing === undefined ? [] : [String(existing)]).filter(
    (c) => !c.startsWith(`${name}=`),
  );
  res.setHeader('set-cookie', [...list, cookie]);
}
