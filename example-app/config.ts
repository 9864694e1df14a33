import { randomBytes } from 'node:crypto';
import type { StoreSettings } from './store-config.js';
import { isIP } from 'node:net';

/**
 * The Client API hosts UltrapassId has documented so far, named in the error when UPID_BASE_URL is
 * missing. The first is a development host, which is why none of them is a default.
 */
const DOCUMENTED_UPID_BASE_URLS = [
  'https://dev-clientapi-a53fz2ohf.azurewebsites.net/api',
  'https://api.ultrapassid.com/core',
  'https://api.ultrapassid.com/client',
];

/** Where UltrapassId's hosted pages live, besides the API's own origin. */
export const UPID_PAGES_ORIGIN = 'https://auth.ultrapassid.com';

const MIN_SECRET_BYTES = 32;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** How the app reaches UltraCart. */
export interface UltraCartSettings {
  /** The application's simple key (needs the "Single Sign-on write" permission). Exactly one of this and `accessToken`. */
  simpleKey?: string;
  accessToken?: string;
  /** Absolute URL of `/auth/ultracart/callback` as the browser sees it. */
  callbackURL: string;
  /** Default: the package's (UltraCart production). */
  baseURL?: string;
}

/** How the app reaches UltrapassId. */
export interface UAuthSettings {
  organizationKey: string;
  workflowKey: string;
  baseURL: string;
  /** Origins the browser may be sent to for the workflow; also allowed as CSP `form-action` targets. */
  allowedRedirectOrigins: string[];
  /** Header carrying the organization key, when UltrapassId wants the newer `x-upid-api-key`. */
  apiKeyHeader?: string;
}

/** How the app reaches UltrapassId's OpenID Connect sign-in (the flow UltrapassId documents today). */
export interface OidcSettings {
  /** The ClientId of the Registered App in the UltraPass Portal. */
  clientId: string;
  /** Absolute URL of `/verify/oidc/callback` as the browser sees it, registered as a Redirect URI. */
  callbackURL: string;
  /** Default: the package's (`https://auth.ultrapassid.com`). */
  issuer?: string;
}

/** Everything the app needs except the vendors, which `main.ts` may replace with emulators. */
export interface BaseSettings {
  production: boolean;
  /**
   * Express `trust proxy`: a hop count, or the proxies' addresses as Express reads them (a
   * comma-separated list of IPs, CIDR ranges and the names `loopback`, `linklocal`,
   * `uniquelocal`); undefined means no proxy is trusted.
   */
  trustProxy: number | string | undefined;
  /** HSTS `includeSubDomains` in production; off for a shop on an apex domain shared with http-only sites. */
  hstsIncludeSubDomains: boolean;
  /** The first signs new cookies; the others are still accepted (rotation). */
  sessionSecrets: string[];
  /** Set when no SESSION_SECRET was given and a random one was made for this run. */
  sessionSecretGenerated: boolean;
  redis: { url: string; prefix: string } | undefined;
  /**
   * Where pending sign-ins live: in the session (default), or in a signed cookie, so the callback
   * can land on any instance without a shared session store.
   */
  stateStore: 'session' | 'cookie';
  rateLimit: { windowMs: number; limit: number };
  /** Longest signed-in session; it also ends when the user's simple key expires. */
  sessionMaxAgeMs: number;
  /** Lifetime of a session that holds only a pending sign-in, so abandoned ones go quickly. */
  pendingSessionMaxAgeMs: number;
  /** How long sign-out waits for UltraCart to revoke the key before logging out anyway. */
  revokeTimeoutMs: number;
  /** Shown on the pages when the app talks to emulators. */
  emulated: boolean;
}

/** What `loadConfig` reads from the environment. An absent vendor means: run its emulator. */
export interface Config extends BaseSettings {
  port: number;
  /** The address the app listens on: loopback unless the operator opens it (only the proxy may reach it). */
  bindAddress: string;
  ultracart: UltraCartSettings | undefined;
  uauth: UAuthSettings | undefined;
  oidc: OidcSettings | undefined;
}

/** What `createApp` needs: every vendor resolved, real or emulated. */
export interface AppSettings extends BaseSettings {
  ultracart: UltraCartSettings;
  uauth: UAuthSettings;
  oidc: OidcSettings;
  /** "Connect your UltraCart store" (OAuth 2.0); the page is left out without it. See store-config.ts. */
  store?: StoreSettings | undefined;
}

/** A configuration mistake; `variable` names the environment variable to fix. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  readonly status = 500;
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and checks the environment once, at start-up. Every mistake throws a `ConfigError` whose
 * message starts with the variable's name; no value is ever echoed, since some are secrets.
 */
export function loadConfig(env: Env = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const secrets = sessionSecrets(env, production);
  const trustProxy = trustedProxies(env.TRUST_PROXY);
  if (production && (trustProxy === undefined || trustProxy === 0)) {
    throw new ConfigError(
      'TRUST_PROXY',
      `must be set in production to the proxy's address (e.g. loopback, or 10.0.0.5) or the number of proxies in front of the app${trustProxy === 0 ? ', not 0' : ''}: TLS ends at the proxy, and without trusting its X-Forwarded-Proto the app never sees https, so the Secure session cookie is never set and no sign-in can work`,
    );
  }
  const ultracart = ultracartSettings(env, production);
  const oidc = oidcSettings(env, production);
  const uauth = uauthSettings(env, production, oidc?.issuer);
  return {
    production,
    port: port(env.PORT),
    bindAddress: bindAddress(env.BIND_ADDRESS),
    trustProxy,
    hstsIncludeSubDomains: flag(env, 'HSTS_INCLUDE_SUBDOMAINS', true),
    sessionSecrets: secrets.values,
    sessionSecretGenerated: secrets.generated,
    redis: redisSettings(env),
    stateStore: stateStoreKind(env.ULTRACART_STATE_STORE),
    rateLimit: { windowMs: 60_000, limit: positiveInteger(env, 'RATE_LIMIT_PER_MINUTE', 20) },
    sessionMaxAgeMs: 8 * 60 * 60 * 1000,
    pendingSessionMaxAgeMs: 15 * 60 * 1000,
    revokeTimeoutMs: 3000,
    emulated: ultracart === undefined || uauth === undefined || oidc === undefined,
    ultracart,
    uauth,
    oidc,
  };
}

function sessionSecrets(env: Env, production: boolean): { values: string[]; generated: boolean } {
  const raw = present(env.SESSION_SECRET);
  if (raw === undefined) {
    if (production) {
      throw new ConfigError(
        'SESSION_SECRET',
        `is required in production: at least ${MIN_SECRET_BYTES} random bytes, e.g. from \`openssl rand -base64 48\``,
      );
    }
    return { values: [randomBytes(48).toString('base64url')], generated: true };
  }
  const values = raw.split(',').map((s) => s.trim());
  if (values.some((s) => Buffer.byteLength(s) < MIN_SECRET_BYTES)) {
    throw new ConfigError('SESSION_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes (each one, in a comma-separated rotation list)`);
  }
  return { values, generated: false };
}

function ultracartSettings(env: Env, production: boolean): UltraCartSettings | undefined {
  const simpleKey = present(env.ULTRACART_SIMPLE_KEY);
  const accessToken = present(env.ULTRACART_ACCESS_TOKEN);
  const callback = present(env.ULTRACART_CALLBACK_URL);
  const baseURL = present(env.ULTRACART_BASE_URL);
  if (simpleKey === undefined && accessToken === undefined) {
    if (callback !== undefined || baseURL !== undefined) {
      throw new ConfigError(
        'ULTRACART_SIMPLE_KEY',
        'is missing: ULTRACART_CALLBACK_URL or ULTRACART_BASE_URL is set, so set ULTRACART_SIMPLE_KEY (or ULTRACART_ACCESS_TOKEN) too',
      );
    }
    if (production) {
      throw new ConfigError(
        'ULTRACART_SIMPLE_KEY',
        'is required in production (or ULTRACART_ACCESS_TOKEN): the emulator is for development only',
      );
    }
    return undefined;
  }
  if (simpleKey !== undefined && accessToken !== undefined) {
    throw new ConfigError('ULTRACART_ACCESS_TOKEN', 'cannot be set together with ULTRACART_SIMPLE_KEY: choose one credential');
  }
  if (callback === undefined) {
    throw new ConfigError(
      'ULTRACART_CALLBACK_URL',
      'is required with an UltraCart credential, e.g. https://shop.example.com/auth/ultracart/callback',
    );
  }
  const callbackURL = parseUrl('ULTRACART_CALLBACK_URL', callback);
  if (production ? callbackURL.protocol !== 'https:' : !isHttps(callbackURL) && !isLoopbackHttp(callbackURL)) {
    throw new ConfigError(
      'ULTRACART_CALLBACK_URL',
      production ? 'must be https in production' : 'must be https (plain http only on localhost)',
    );
  }
  if (callbackURL.pathname !== '/auth/ultracart/callback' || callbackURL.search || callbackURL.hash) {
    throw new ConfigError('ULTRACART_CALLBACK_URL', 'must end in /auth/ultracart/callback, with no query or fragment');
  }
  if (baseURL !== undefined) httpsUnlessLoopback('ULTRACART_BASE_URL', baseURL, production);
  return {
    ...(simpleKey !== undefined ? { simpleKey } : { accessToken }),
    callbackURL: callbackURL.href,
    ...(baseURL !== undefined && { baseURL }),
  };
}

function uauthSettings(env: Env, production: boolean, oidcIssuer: string | undefined): UAuthSettings | undefined {
  const organizationKey = present(env.UPID_ORGANIZATION_KEY);
  const workflowKey = present(env.UPID_WORKFLOW_KEY);
  const base = present(env.UPID_BASE_URL);
  const origins = present(env.UPID_ALLOWED_REDIRECT_ORIGINS);
  const apiKeyHeader = present(env.UPID_API_KEY_HEADER);
  if (organizationKey === undefined) {
    const other = [
      ['UPID_WORKFLOW_KEY', workflowKey],
      ['UPID_BASE_URL', base],
      ['UPID_ALLOWED_REDIRECT_ORIGINS', origins],
      ['UPID_API_KEY_HEADER', apiKeyHeader],
    ].find(([, v]) => v !== undefined);
    if (other) throw new ConfigError('UPID_ORGANIZATION_KEY', `is missing: ${other[0]} is set, so set UPID_ORGANIZATION_KEY too`);
    if (production) throw new ConfigError('UPID_ORGANIZATION_KEY', 'is required in production: the emulator is for development only');
    return undefined;
  }
  if (workflowKey === undefined) throw new ConfigError('UPID_WORKFLOW_KEY', 'is required with UPID_ORGANIZATION_KEY');
  if (!UUID.test(workflowKey)) throw new ConfigError('UPID_WORKFLOW_KEY', 'must be a UUID such as 322dbc7a-0a8a-452a-ba6d-c3e893f29ecc');
  if (base === undefined) {
    // No default: the hosts UltrapassId documented include a development one, which would fail only in production.
    throw new ConfigError(
      'UPID_BASE_URL',
      `is required with UPID_ORGANIZATION_KEY: set the Client API base URL UltrapassId gave you (documented so far: ${DOCUMENTED_UPID_BASE_URLS.join(', ')})`,
    );
  }
  const baseURL = httpsUnlessLoopback('UPID_BASE_URL', base, production);
  // UltrapassId's hosted pages live on its issuer's host: a configured issuer replaces the default one.
  const pagesOrigin = oidcIssuer !== undefined ? new URL(oidcIssuer).origin : UPID_PAGES_ORIGIN;
  const allowedRedirectOrigins =
    origins === undefined
      ? [...new Set([pagesOrigin, baseURL.origin])]
      : origins.split(',').map((o) => originOf('UPID_ALLOWED_REDIRECT_ORIGINS', o.trim()));
  if (apiKeyHeader !== undefined && !/^x-[a-z0-9-]{1,60}$/i.test(apiKeyHeader)) {
    throw new ConfigError('UPID_API_KEY_HEADER', 'must be a header name such as x-upid-api-key');
  }
  return {
    organizationKey,
    workflowKey,
    baseURL: baseURL.href.replace(/\/+$/, ''),
    allowedRedirectOrigins,
    ...(apiKeyHeader !== undefined && { apiKeyHeader }),
  };
}

function oidcSettings(env: Env, production: boolean): OidcSettings | undefined {
  const clientId = present(env.ULTRAPASSID_CLIENT_ID);
  const callback = present(env.ULTRAPASSID_CALLBACK_URL);
  const issuer = present(env.ULTRAPASSID_ISSUER);
  if (clientId === undefined) {
    const other = [
      ['ULTRAPASSID_CALLBACK_URL', callback],
      ['ULTRAPASSID_ISSUER', issuer],
    ].find(([, v]) => v !== undefined);
    if (other) throw new ConfigError('ULTRAPASSID_CLIENT_ID', `is missing: ${other[0]} is set, so set ULTRAPASSID_CLIENT_ID too`);
    if (production) throw new ConfigError('ULTRAPASSID_CLIENT_ID', 'is required in production: the emulator is for development only');
    return undefined;
  }
  if (!/^[\x21-\x7e]{1,256}$/.test(clientId))
    throw new ConfigError('ULTRAPASSID_CLIENT_ID', 'must be the ClientId shown in the UltraPass Portal');
  if (callback === undefined) {
    throw new ConfigError(
      'ULTRAPASSID_CALLBACK_URL',
      'is required with ULTRAPASSID_CLIENT_ID, e.g. https://shop.example.com/verify/oidc/callback (registered as a Redirect URI in the Portal)',
    );
  }
  const callbackURL = httpsUnlessLoopback('ULTRAPASSID_CALLBACK_URL', callback, production);
  if (callbackURL.pathname !== '/verify/oidc/callback' || callbackURL.search || callbackURL.hash) {
    throw new ConfigError('ULTRAPASSID_CALLBACK_URL', 'must end in /verify/oidc/callback, with no query or fragment');
  }
  if (issuer !== undefined) httpsUnlessLoopback('ULTRAPASSID_ISSUER', issuer, production);
  return { clientId, callbackURL: callbackURL.href, ...(issuer !== undefined && { issuer }) };
}

function redisSettings(env: Env): BaseSettings['redis'] {
  const url = present(env.REDIS_URL);
  if (url === undefined) return undefined;
  const parsed = parseUrl('REDIS_URL', url);
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  const prefix = present(env.REDIS_PREFIX) ?? 'ultracart-example:';
  if (!/^[\w:.-]{1,64}$/.test(prefix)) throw new ConfigError('REDIS_PREFIX', 'may hold only letters, digits and _ : . - (64 at most)');
  return { url, prefix };
}

function stateStoreKind(value: string | undefined): BaseSettings['stateStore'] {
  const raw = present(value) ?? 'session';
  if (raw !== 'session' && raw !== 'cookie') throw new ConfigError('ULTRACART_STATE_STORE', 'must be session or cookie');
  return raw;
}

const TRUST_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * A hop count, or a list of addresses in the forms Express's `trust proxy` (proxy-addr) accepts,
 * checked here so a typo stops start-up with the variable's name rather than deep in Express.
 */
function trustedProxies(value: string | undefined): number | string | undefined {
  const raw = present(value);
  if (raw === undefined) return undefined;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  // `true` would trust any X-Forwarded-For a client sends; only our own proxies may be trusted.
  if (entries.some((entry) => !isTrustEntry(entry))) {
    throw new ConfigError(
      'TRUST_PROXY',
      "must be the proxies' addresses (loopback, an IP, a CIDR range such as 10.0.0.0/8, comma-separated) or their number (an integer such as 1), never true",
    );
  }
  return entries.join(',');
}

function isTrustEntry(entry: string): boolean {
  if (TRUST_NAMES.has(entry)) return true;
  const [address = '', range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  // proxy-addr also takes an IPv4 netmask (10.0.0.0/255.0.0.0).
  return family === 4 && isIP(range) === 4;
}

function bindAddress(value: string | undefined): string {
  const raw = present(value);
  if (raw === undefined) return '127.0.0.1';
  if (isIP(raw) === 0) throw new ConfigError('BIND_ADDRESS', 'must be an IP address such as 127.0.0.1 (the default) or 0.0.0.0');
  return raw;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = present(env[name]);
  if (raw === undefined) return fallback;
  if (raw !== 'true' && raw !== 'false') throw new ConfigError(name, 'must be true or false');
  return raw === 'true';
}

function port(value: string | undefined): number {
  const raw = present(value);
  if (raw === undefined) return 3000;
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new ConfigError('PORT', 'must be a port number from 0 to 65535 (0 picks a free one)');
  return n;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = present(env[name]);
  if (raw === undefined) return fallback;
  const n = /^\d{1,6}$/.test(raw) ? Number(raw) : 0;
  if (n < 1) throw new ConfigError(name, 'must be a positive integer');
  return n;
}

function httpsUnlessLoopback(variable: string, value: string, production: boolean): URL {
  const url = parseUrl(variable, value);
  if (url.username || url.password) throw new ConfigError(variable, 'must not carry a user name or password');
  if (!isHttps(url) && (production || !isLoopbackHttp(url))) throw new ConfigError(variable, 'must be an https URL');
  return url;
}

function originOf(variable: string, value: string): string {
  const url = parseUrl(variable, value);
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) throw new ConfigError(variable, 'must list https origins, comma-separated');
  return url.origin;
}

function parseUrl(variable: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new ConfigError(variable, 'must be an absolute URL');
  }
}

const isHttps = (url: URL): boolean => url.protocol === 'https:';
const isLoopbackHttp = (url: URL): boolean => url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);

function present(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
