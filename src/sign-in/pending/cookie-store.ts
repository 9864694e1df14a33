import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { booleanRule, integerRule, oneOfRule, readOptions, rule, type Fail } from '../../option-schema.js';
import { sameState } from './state-value.js';
import type { PendingSignIn, StateCookieSettings, StateStore, TakeResult, TakeScope } from './types.js';

/** Options of {@link CookieStateStore}; `undefined` counts as absent. */
export interface CookieStateStoreOptions {
  /**
   * Secret(s) for the HMAC that signs the cookie, at least 32 characters each. The first signs;
   * all verify, so a secret can be rotated by putting the new one first.
   */
  secret: string | string[] | undefined;
  /**
   * Cookie name. Default: one cookie per strategy, `<strategy name>_pending` (`ultracart_pending`,
   * `ultrapassid_pending`). With a name given, the strategies that share this store share the
   * cookie, and each still sees only its own entries. In production prefer a `__Host-` name.
   */
  name?: string | undefined;
  /** Send the cookie over https only. Default true; set false only for http on localhost. */
  secure?: boolean | undefined;
  /** Cookie path. Default `/`. */
  path?: string | undefined;
  /** How many sign-ins one browser may have pending at once. Default 5, at most 20. */
  maxPending?: number | undefined;
  /**
   * The cookie's `SameSite`. Default `lax`, which the cross-site GET of a `query` callback
   * carries. A `form_post` callback is a cross-site POST, which only a `none` cookie survives;
   * `none` is always `Secure` (browsers drop it otherwise).
   */
  sameSite?: 'lax' | 'none' | undefined;
}

const SCHEMA = {
  secret: rule(
    (value: unknown, fail: Fail): string[] => {
      const secrets: unknown[] = Array.isArray(value) ? value : [value];
      if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length < 32)) {
        fail('be a string (or array of strings) of at least 32 characters');
      }
      return secrets as string[];
    },
    { required: true, secret: true },
  ),
  name: rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(value)) fail('be a valid cookie name');
    return value;
  }),
  secure: booleanRule(),
  path: rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || !/^\/[\x21-\x3a\x3c-\x7e]*$/.test(value)) fail('be a cookie path starting with /');
    return value;
  }),
  maxPending: integerRule(1, 20),
  sameSite: oneOfRule(['lax', 'none'] as const),
};

/** Where every strategy kept its pending sign-ins before they were kept per strategy. */
const LEGACY_NAME = 'ultracart_pending';
/** Browsers keep about 4 KB per cookie; stay well under it. */
const MAX_COOKIE_VALUE = 3500;
const MAX_RETURN_TO_IN_COOKIE = 1024;

interface Entry {
  s: string;
  /** The strategy that started the sign-in; absent in cookies written before entries were kept per strategy. */
  t?: string;
  e: number;
  r?: string;
  /** The PKCE verifier, encrypted (AES-256-GCM, bound to the state): the browser must not be able to read it. */
  v?: string;
  n?: string;
}

type WithResponse = IncomingMessage & { res?: ServerResponse };

/**
 * Keeps pending sign-ins in a signed, expiring, `HttpOnly`, `SameSite=Lax` cookie instead of the
 * session, so the callback can land on any instance, before any shared session exists, and
 * survives Passport's session regeneration (a second tab's sign-in is not lost).
 *
 * The cookie is signed: it holds states, nonces and return paths, which the browser sees in URLs
 * anyway. The one secret it may hold, an OpenID Connect flow's PKCE verifier, is encrypted with a
 * key derived from the secret, so whoever can read the browser's cookies still cannot redeem a
 * code stolen from the callback URL. A copy of the cookie taken before the callback still names
 * the state, so single use rests on the strategy's used-state ledger: the default holds within one
 * process; behind a load balancer give every instance one shared ledger
 * (`usedStates: new RedisUsedStateLedger(…)`), or an old cookie replayed to another instance passes
 * the state check until the state expires.
 *
 * @example
 * new UltraCartStrategy({ ..., stateStore: new CookieStateStore({ secret: [process.env.STATE_SECRET] }) }, verify)
 */
export class CookieStateStore implements StateStore {
  private readonly secrets: string[];
  /** One AES key per secret, derived once: the first encrypts, all decrypt. */
  private readonly keys: Buffer[];
  private readonly name: string | undefined;
  private readonly attributes: string;
  private readonly maxPending: number;
  private readonly settings: StateCookieSettings;

  constructor(options: CookieStateStoreOptions) {
    const values = readOptions('CookieStateStore', options, SCHEMA);
    this.secrets = values.secret;
    this.keys = this.secrets.map((secret) => Buffer.from(hkdfSync('sha256', secret, '', 'passport-ultracart pending verifier', 32)));
    this.name = values.name;
    const path = values.path ?? '/';
    this.maxPending = values.maxPending ?? 5;
    const sameSite = values.sameSite ?? 'lax';
    if (sameSite === 'none' && values.secure === false) {
      throw new TypeError('CookieStateStore: sameSite none needs a Secure cookie (browsers drop it otherwise); leave secure unset');
    }
    this.attributes = `; Path=${path}; HttpOnly; SameSite=${sameSite === 'none' ? 'None' : 'Lax'}${values.secure === false ? '' : '; Secure'}`;
    // Set by us whatever the app thinks of the request, so a browser really on https gets it back.
    this.settings = { secure: values.secure !== false, notSetOverHttp: false, sameSite };
  }

  cookieSettings(): StateCookieSettings {
    return this.settings;
  }

  ready(req: IncomingMessage): void {
    if (!(req as WithResponse).res) throw new Error('CookieStateStore needs Express (req.res) to set its cookie');
  }

  async save(req: IncomingMessage, pending: PendingSignIn): Promise<void> {
    const name = this.cookieName(pending.strategy);
    const now = Date.now();
    const entries = this.read(req, name).filter((entry) => entry.e > now);
    const returnTo = pending.returnTo !== undefined && pending.returnTo.length <= MAX_RETURN_TO_IN_COOKIE ? pending.returnTo : undefined;
    const mine = entries.filter((entry) => entry.t === pending.strategy);
    // The oldest of this strategy's entries goes first; other strategies' entries are left alone.
    const dropped = new Set(mine.slice(0, Math.max(0, mine.length + 1 - this.maxPending)));
    const kept = entries.filter((entry) => !dropped.has(entry));
    kept.push({
      s: pending.state,
      ...(pending.strategy !== undefined && { t: pending.strategy }),
      e: pending.expiresAt,
      ...(returnTo !== undefined && { r: returnTo }),
      ...(pending.codeVerifier !== undefined && { v: this.encrypt(pending.codeVerifier, pending.state) }),
      ...(pending.nonce !== undefined && { n: pending.nonce }),
    });
    this.write(req, name, kept);
  }

  async take(req: IncomingMessage, state: string | undefined, scope?: TakeScope): Promise<TakeResult> {
    const strategy = scope?.strategy;
    const name = this.cookieName(strategy);
    const entries = this.read(req, name);
    // Entries without an owner were written before pending sign-ins were kept per strategy.
    const mine = entries.filter((entry) => strategy === undefined || entry.t === strategy || entry.t === undefined);
    let match: Entry | undefined;
    for (const entry of mine) {
      if (state !== undefined && sameState(entry.s, state)) match = entry;
    }
    const removed = match || !scope?.keepOthers ? new Set(match ? [match] : mine) : new Set<Entry>();
    if (removed.size > 0)
      this.write(
        req,
        name,
        entries.filter((entry) => !removed.has(entry)),
      );
    if (!match && state !== undefined && name !== LEGACY_NAME && this.name === undefined) match = this.takeLegacy(req, state);
    return { pending: match && this.toPending(match), hadPending: mine.length > 0 };
  }

  /** The cookie a strategy's entries live in: the one named, else one per strategy. */
  private cookieName(strategy: string | undefined): string {
    if (this.name !== undefined) return this.name;
    if (strategy === undefined) return LEGACY_NAME;
    // A strategy's name may hold characters a cookie name cannot; entries are told apart by owner anyway.
    return `${strategy.replace(/[^!#$%&'*+\-.^_`|~0-9A-Za-z]/g, '_')}_pending`;
  }

  /** A sign-in saved before the upgrade in the cookie every strategy shared: handed back without an owner, and removed. */
  private takeLegacy(req: IncomingMessage, state: string): Entry | undefined {
    const entries = this.read(req, LEGACY_NAME);
    const match = entries.find((entry) => entry.t === undefined && sameState(entry.s, state));
    if (match)
      this.write(
        req,
        LEGACY_NAME,
        entries.filter((entry) => entry !== match),
      );
    return match;
  }

  private toPending(entry: Entry): PendingSignIn {
    const codeVerifier = entry.v === undefined ? undefined : this.decrypt(entry.v, entry.s);
    return {
      state: entry.s,
      ...(entry.t !== undefined && { strategy: entry.t }),
      expiresAt: entry.e,
      ...(entry.r !== undefined && { returnTo: entry.r }),
      ...(codeVerifier !== undefined && { codeVerifier }),
      ...(entry.n !== undefined && { nonce: entry.n }),
    };
  }

  private encrypt(plain: string, state: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys[0]!, iv);
    cipher.setAAD(Buffer.from(state, 'latin1'));
    const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return sealed.toString('base64url');
  }

  /** The verifier, or undefined when no key opens it; the strategy then refuses the callback. */
  private decrypt(sealed: string, state: string): string | undefined {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 12 + 16 + 1) return undefined;
    for (const key of this.keys) {
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAAD(Buffer.from(state, 'latin1'));
        decipher.setAuthTag(raw.subarray(raw.length - 16));
        return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        /* not this key */
      }
    }
    return undefined;
  }

  private read(req: IncomingMessage, name: string): Entry[] {
    const raw = cookieValue(req.headers.cookie, name);
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
          (e.t === undefined || typeof e.t === 'string') &&
          typeof e.e === 'number' &&
          (e.r === undefined || typeof e.r === 'string') &&
          (e.v === undefined || typeof e.v === 'string') &&
          (e.n === undefined || typeof e.n === 'string'),
      );
    } catch {
      return [];
    }
  }

  private write(req: IncomingMessage, name: string, entries: Entry[]): void {
    const res = (req as WithResponse).res;
    if (!res) throw new Error('CookieStateStore needs Express (req.res) to set its cookie');
    let cookie: string;
    if (entries.length === 0) {
      cookie = `${name}=${this.attributes}; Max-Age=0`;
    } else {
      let kept = entries;
      let value = this.serialise(kept);
      while (value.length > MAX_COOKIE_VALUE && kept.length > 1) {
        kept = kept.slice(1);
        value = this.serialise(kept);
      }
      const maxAge = Math.max(1, Math.ceil((Math.max(...kept.map((e) => e.e)) - Date.now()) / 1000));
      cookie = `${name}=${value}${this.attributes}; Max-Age=${maxAge}`;
    }
    appendSetCookie(res, name, cookie);
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
