import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_VERSION } from '../ultracart/client.js';
import type { UltraCartUser } from '../ultracart/user.js';
import {
  withParams,
  redirect,
  sendHtml,
  applyFault,
  FaultQueue,
  readBody,
  startServer,
  type EmulatorExposure,
  type EmulatorHostname,
  type Fault,
  type RecordedCall,
  type RunningServer,
  type VendorErrors,
  exposureOf,
} from './server-kit.js';
import { addPending, maxPendingOption } from './pending-entries.js';
import { loginPage } from './ultracart-login-page.js';
import { createOAuthEmulator, type UltraCartOAuthEmulator, type UltraCartOAuthEmulatorOptions } from './ultracart-oauth-emulator.js';

export type UltraCartEmulatorEndpoint = 'authorize' | 'token' | 'user' | 'revoke' | 'login';

/**
 * How `expiration_dts` is written: `offset` as UltraCart was seen to send it
 * (`2021-05-18T12:10:19-04:00`, a local offset, no milliseconds), `utc` as
 * `2021-05-18T16:10:19.000Z`, or any text a function returns (to test unreadable expiries).
 */
export type ExpiryFormat = 'offset' | 'utc' | ((at: Date) => string);

/** With `publicOrigin` and `tls` (from {@link EmulatorExposure}) it stands in for the vendor behind a proxy or over TLS. */
export interface UltraCartEmulatorOptions extends EmulatorExposure {
  /** Port to listen on; default a free one. The server binds 127.0.0.1 only. */
  port?: number;
  /**
   * The host name in the emulator's URLs (`url`, `origin`, the login page). Default `127.0.0.1`;
   * `localhost` puts the emulator on another site than an app served on 127.0.0.1, as the real
   * vendor is, so cross-site cookie rules (SameSite) apply to the return from its login page.
   */
  hostname?: EmulatorHostname;
  /** How `expiration_dts` is written. Default `offset`, the form UltraCart was seen to send. */
  expiryFormat?: ExpiryFormat;
  /** Users that can sign in on the login page. Default: two merchant users. */
  users?: UltraCartUser[];
  /** The application credential accepted as `x-ultracart-simple-key` or `Bearer`. Default `emulator-app-key`. */
  appKey?: string;
  /** The login page approves at once as this login (or the first user, for `true`), for scripted flows. */
  autoApprove?: boolean | string;
  /** Delay before every API answer, to imitate a distant UltraCart. */
  latencyMs?: number;
  /** How long an issued simple key lives. Default one hour. */
  keyLifetimeMs?: number;
  /** How many recorded calls to keep (the oldest go first). Default 100 000. */
  maxRecordedCalls?: number;
  /** The OAuth 2.0 flow's apps, rotation and answers (see `ultracart-oauth-emulator.ts`). */
  oauth?: UltraCartOAuthEmulatorOptions;
  /** How many pending logins, and how many unredeemed codes, to keep at most (the oldest go first). Default 10 000. */
  maxPending?: number;
}

export interface UltraCartEmulator {
  /** The REST base URL to pass as `baseURL`, e.g. `http://127.0.0.1:40123/rest/v2`. */
  url: string;
  /** The emulator's origin, where the login page lives. */
  origin: string;
  /** The application credential it accepts. */
  appKey: string;
  /** Every request received, oldest first. */
  calls: RecordedCall<UltraCartEmulatorEndpoint>[];
  /** How many requests reached `endpoint`. */
  count(endpoint: UltraCartEmulatorEndpoint): number;
  /** Makes the next `times` requests to `endpoint` misbehave (one-shot by default). */
  inject(endpoint: UltraCartEmulatorEndpoint, fault: Fault, times?: number): void;
  /** Delay before every API answer from now on. */
  setLatency(ms: number): void;
  /** Approves a login as a user would on the login page; resolves to the callback URL with `code` and `state`. */
  approve(loginUrl: string, login?: string, ipAddress?: string): Promise<string>;
  /** Denies a login; resolves to the callback URL with `error=access_denied`. */
  deny(loginUrl: string): Promise<string>;
  /** Forgets recorded calls and pending faults. */
  reset(): void;
  /** TCP connections accepted since start. */
  readonly connections: number;
  /** TCP connections open now: with `connections`, how many a client holds against a stalled UltraCart. */
  readonly openConnections: number;
  /** Simple keys issued and neither revoked nor expired: after a sign-out, or a failed sign-in, this should not grow. */
  liveKeys(): number;
  /** Whether `simpleKey` would still be accepted. */
  isLive(simpleKey: string): boolean;
  /** How many logins are pending and how many codes are unredeemed, expired ones not yet dropped included. */
  pending(): { logins: number; codes: number };
  close(): Promise<void>;
  /** The OAuth 2.0 flow ("Connect your UltraCart store"): its apps, calls, faults and switches. */
  oauth: UltraCartOAuthEmulator;
}

export const DEFAULT_EMULATOR_USERS: UltraCartUser[] = [
  {
    user_id: 1001,
    login: 'ada',
    email: 'ada@example.com',
    full_name: 'Ada Lovelace',
    permissions: [
      { permission_group: 'Orders', permission_Name: 'View orders', selected: true },
      { permission_group: 'Orders', permission_Name: 'Edit orders', selected: true },
      { permission_group: 'Settings', permission_Name: 'Edit settings', selected: false },
    ],
    linked_accounts: [{ company: 'Analytical Engines Ltd', merchant_id: 'DEMO1', selected: true }],
  },
  {
    user_id: 1002,
    login: 'grace',
    email: 'grace@example.com',
    full_name: 'Grace Hopper',
    permissions: [{ permission_group: 'Orders', permission_Name: 'View orders', selected: true }],
  },
];

interface LoginRequest {
  redirectUri: string;
  state: string | undefined;
  expiresAt: number;
}
interface IssuedCode {
  userId: number;
  ipAddress: string;
  expiresAt: number;
}
interface IssuedKey {
  userId: number;
  expiresAt: number;
}

const API_PREFIX = '/rest/v2';

/**
 * Starts an UltraCart Single Sign-On emulator: the four REST endpoints with UltraCart's status
 * codes and error bodies, a login page that approves or denies, single-use codes, and one-shot
 * fault injection per endpoint. For this package's tests, the example app, and users' own tests.
 *
 * @example
 * const emulator = await startUltraCartEmulator();
 * passport.use(new UltraCartStrategy({ baseURL: emulator.url, simpleKey: emulator.appKey, callbackURL }, verify));
 */
export async function startUltraCartEmulator(options: UltraCartEmulatorOptions = {}): Promise<UltraCartEmulator> {
  const users = options.users ?? DEFAULT_EMULATOR_USERS;
  const appKey = options.appKey ?? 'emulator-app-key';
  const keyLifetimeMs = options.keyLifetimeMs ?? 60 * 60 * 1000;
  const maxRecordedCalls = options.maxRecordedCalls ?? 100_000;
  const maxPending = maxPendingOption('startUltraCartEmulator', options.maxPending);
  const writeExpiry = expiryWriter(options.expiryFormat ?? 'offset');
  let latencyMs = options.latencyMs ?? 0;
  const calls: RecordedCall<UltraCartEmulatorEndpoint>[] = [];
  const faults = new FaultQueue<UltraCartEmulatorEndpoint>();
  const logins = new Map<string, LoginRequest>();
  const codes = new Map<string, IssuedCode>();
  const keys = new Map<string, IssuedKey>();
  const server: RunningServer = await startServer(options.port, (req, res) => handle(req, res), options.hostname, {
    ...exposureOf(options),
    owner: 'startUltraCartEmulator',
  });
  const oauth = createOAuthEmulator(options.oauth, server);

  const findUser = (login?: string) => (login === undefined ? users[0] : users.find((u) => u.login === login));

  function approveLogin(requestId: string, login: string | undefined, ipAddress: string): string | undefined {
    const pending = logins.get(requestId);
    const user = findUser(login);
    if (!pending || pending.expiresAt < Date.now() || !user) return undefined;
    logins.delete(requestId);
    const code = token(24);
    addPending(codes, code, { userId: user.user_id, ipAddress, expiresAt: Date.now() + 5 * 60 * 1000 }, maxPending);
    return withParams(pending.redirectUri, { code, state: pending.state });
  }

  function denyLogin(requestId: string): string | undefined {
    const pending = logins.get(requestId);
    if (!pending) return undefined;
    logins.delete(requestId);
    return withParams(pending.redirectUri, { error: 'access_denied', state: pending.state });
  }

  function appCredentialOk(req: IncomingMessage): boolean {
    return req.headers['x-ultracart-simple-key'] === appKey || req.headers.authorization === `Bearer ${appKey}`;
  }

  function userKey(req: IncomingMessage): IssuedKey | undefined {
    const key = req.headers['x-ultracart-simple-key'];
    const issued = typeof key === 'string' ? keys.get(key) : undefined;
    return issued && issued.expiresAt > Date.now() ? issued : undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', server.origin);
    if (oauth.handles(url.pathname)) return oauth.handle(req, res, url);
    const endpoint = routeOf(req.method, url.pathname);
    const body = await readBody(req);
    if (calls.length >= maxRecordedCalls) calls.splice(0, Math.ceil(maxRecordedCalls / 10));
    calls.push({
      endpoint: endpoint ?? 'unknown',
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: { ...req.headers },
      body,
    });
    if (!endpoint) return sendError(res, 404, 'Not found');

    if (endpoint === 'login') return handleLogin(req, res, url, body);
    if (latencyMs > 0) await server.delay(latencyMs);
    const fault = faults.take(endpoint);
    if (fault && (await applyFault(res, fault, server, ULTRACART_ERRORS))) return;

    if (req.headers['x-ultracart-api-version'] !== API_VERSION) {
      return sendError(res, 400, 'Missing or unsupported X-UltraCart-Api-Version header');
    }
    switch (endpoint) {
      case 'authorize': {
        if (!appCredentialOk(req)) return sendError(res, 401, 'Invalid credentials');
        const input = parseObject(body);
        if (!input || typeof input.redirect_uri !== 'string' || !isAbsoluteUrl(input.redirect_uri)) {
          return sendError(res, 400, 'redirect_uri is required');
        }
        const requestId = token(16);
        const expiresAt = Date.now() + 10 * 60 * 1000;
        const state = typeof input.state === 'string' ? input.state : undefined;
        addPending(logins, requestId, { redirectUri: input.redirect_uri, state, expiresAt }, maxPending);
        return sendJson(res, 200, {
          login_url: `${server.origin}/login?request=${requestId}`,
          expiration_dts: writeExpiry(new Date(expiresAt)),
        });
      }
      case 'token': {
        if (!appCredentialOk(req)) return sendError(res, 401, 'Invalid credentials');
        const input = parseObject(body);
        if (!input || input.grant_type !== 'simple_key' || typeof input.code !== 'string')
          return sendError(res, 400, 'Invalid token request');
        const issued = codes.get(input.code);
        if (!issued || issued.expiresAt < Date.now()) return sendError(res, 400, 'Invalid or expired code');
        // Used codes are forgotten: a replay then finds no code at all, which answers the same 400.
        codes.delete(input.code);
        const simpleKey = token(32);
        const expiresAt = Date.now() + keyLifetimeMs;
        pruneExpired(keys);
        keys.set(simpleKey, { userId: issued.userId, expiresAt });
        return sendJson(res, 200, {
          simple_key: simpleKey,
          expiration_dts: writeExpiry(new Date(expiresAt)),
          ip_address: issued.ipAddress,
        });
      }
      case 'user': {
        const issued = userKey(req);
        if (!issued) return sendError(res, 401, 'Invalid credentials');
        const user = users.find((u) => u.user_id === issued.userId);
        return user ? sendJson(res, 200, user) : sendError(res, 401, 'Invalid credentials');
      }
      case 'revoke': {
        const key = req.headers['x-ultracart-simple-key'];
        if (!userKey(req) || typeof key !== 'string') return sendError(res, 401, 'Invalid credentials');
        keys.delete(key);
        res.writeHead(204).end();
        return;
      }
    }
  }

  async function handleLogin(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const fault = faults.take('login');
    if (fault && (await applyFault(res, fault, server, ULTRACART_ERRORS))) return;
    const ip = clientIp(req);
    if (req.method === 'GET') {
      const requestId = url.searchParams.get('request') ?? '';
      if (!logins.has(requestId)) return sendHtml(res, 410, loginPage({ expired: true, requestId: '', users }));
      if (options.autoApprove) {
        const target = approveLogin(requestId, options.autoApprove === true ? undefined : options.autoApprove, ip);
        if (target) return redirect(res, 302, target);
      }
      return sendHtml(res, 200, loginPage({ expired: false, requestId, users }));
    }
    const form = new URLSearchParams(body);
    const requestId = form.get('request') ?? '';
    const target = form.get('decision') === 'deny' ? denyLogin(requestId) : approveLogin(requestId, form.get('login') ?? undefined, ip);
    if (!target) return sendHtml(res, 410, loginPage({ expired: true, requestId: '', users }));
    redirect(res, 303, target);
  }

  const requestIdOf = (loginUrl: string): string => new URL(loginUrl).searchParams.get('request') ?? '';
  return {
    url: `${server.origin}${API_PREFIX}`,
    origin: server.origin,
    appKey,
    calls,
    count: (endpoint) => calls.filter((call) => call.endpoint === endpoint).length,
    inject: (endpoint, fault, times = 1) => faults.add(endpoint, fault, times),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    async approve(loginUrl, login, ipAddress = '127.0.0.1') {
      calls.push({ endpoint: 'login', method: 'POST', path: '/login', headers: {}, body: '' });
      const target = approveLogin(requestIdOf(loginUrl), login, ipAddress);
      if (!target) throw new Error('emulator: no such pending login (expired, already used, or unknown user)');
      return target;
    },
    async deny(loginUrl) {
      calls.push({ endpoint: 'login', method: 'POST', path: '/login', headers: {}, body: '' });
      const target = denyLogin(requestIdOf(loginUrl));
      if (!target) throw new Error('emulator: no such pending login');
      return target;
    },
    reset() {
      calls.length = 0;
      faults.clear();
      oauth.controls.reset();
    },
    get connections() {
      return server.connections;
    },
    get openConnections() {
      return server.openConnections;
    },
    liveKeys() {
      const now = Date.now();
      let live = 0;
      for (const issued of keys.values()) if (issued.expiresAt > now) live += 1;
      return live;
    },
    pending: () => ({ logins: logins.size, codes: codes.size }),
    isLive(simpleKey) {
      const issued = keys.get(simpleKey);
      return issued !== undefined && issued.expiresAt > Date.now();
    },
    close: () => server.close(),
    oauth: oauth.controls,
  };
}

/** Drops expired entries, so a long-running emulator (the example app, the benchmark) stays bounded. */
function pruneExpired(map: Map<string, { expiresAt: number }>, now = Date.now()): void {
  // Each map's entries share one lifetime, so insertion order is expiry order: stop at the first live one.
  for (const [key, entry] of map) {
    if (entry.expiresAt >= now) return;
    map.delete(key);
  }
}

function routeOf(method: string | undefined, path: string): UltraCartEmulatorEndpoint | undefined {
  if (path === '/login' && (method === 'GET' || method === 'POST')) return 'login';
  if (method === 'PUT' && path === `${API_PREFIX}/sso/authorize`) return 'authorize';
  if (method === 'PUT' && path === `${API_PREFIX}/sso/token`) return 'token';
  if (method === 'GET' && path === `${API_PREFIX}/sso/session/user`) return 'user';
  if (method === 'DELETE' && path === `${API_PREFIX}/sso/session/revoke`) return 'revoke';
  return undefined;
}

/** UltraCart's ErrorResponse, sparse the way real bodies are. */
function vendorErrorBody(status: number, message: string): string {
  return JSON.stringify({ error: { developer_message: message, user_message: message, error_code: String(status) }, success: false });
}

/** What the emulator says for a status when a test injects only the status. */
const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad request',
  401: 'Invalid credentials',
  403: 'Permission denied',
  404: 'Not found',
  410: 'Authorized application disabled',
  429: 'Rate limit exceeded',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

const messageFor = (status: number): string => STATUS_MESSAGES[status] ?? `Error ${status}`;

/** Injected errors carry the same ErrorResponse body and `UC-REST-ERROR` header as the emulator's own. */
const ULTRACART_ERRORS: VendorErrors = {
  body: (status) => vendorErrorBody(status, messageFor(status)),
  headers: (status): Record<string, string> => (status >= 400 ? { 'uc-rest-error': messageFor(status) } : {}),
};

function sendError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'uc-rest-error': message });
  res.end(vendorErrorBody(status, message));
}

function expiryWriter(format: ExpiryFormat): (at: Date) => string {
  if (typeof format === 'function') return format;
  if (format === 'utc') return (at) => at.toISOString();
  if (format !== 'offset') throw new TypeError("startUltraCartEmulator: the expiryFormat option must be 'offset', 'utc' or a function");
  // The offset UltraCart's servers were seen to use (US Eastern daylight time), seconds only.
  return (at) => `${new Date(at.getTime() - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(body));
}

function parseObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isAbsoluteUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

function clientIp(req: IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? '';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
