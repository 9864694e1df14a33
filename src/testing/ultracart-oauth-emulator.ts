import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { API_VERSION } from '../ultracart/client.js';
import {
  withParams,
  redirect,
  sendHtml,
  applyFault,
  FaultQueue,
  readBody,
  type Fault,
  type RecordedCall,
  type RunningServer,
  type VendorErrors,
} from './server-kit.js';
import { approvalPage } from './ultracart-oauth-page.js';

/** The OAuth endpoints the emulator serves, the approval form, and the one API call it answers. */
export type UltraCartOAuthEmulatorEndpoint = 'authorize' | 'approve' | 'token' | 'revoke' | 'api';

/** A Developer Application registered with the emulator. */
export interface UltraCartOAuthApp {
  clientId: string;
  /** Absent for a public client, which must then send no `client_secret` at all. */
  clientSecret?: string;
  /**
   * Its "Authorization redirect URL"s, compared exactly. Absent: any http(s) URL on a loopback
   * host (127.0.0.1, localhost), an emulator convenience for tests on free ports.
   */
  redirectUris?: string[];
  /** The permissions ticked at registration, granted on approval. Default `item_read order_read webhook_read`. */
  scopes?: string[];
  /** Shown on the approval page. */
  name?: string;
}

/** How a refused grant (bad code, used or revoked refresh token) is answered: UltraCart does not say which. */
export type GrantErrorShape =
  /** 400 `{error: "invalid_grant", error_description}`, as RFC 6749 has it. */
  | 'oauth'
  /** 200 `{error: "invalid_grant", ...}`, a shape the SDKs' models allow. */
  | 'oauth-200'
  /** 400 UltraCart's ErrorResponse `{error: {developer_message, user_message}, success: false}` with `UC-REST-ERROR`. */
  | 'ultracart';

export interface UltraCartOAuthEmulatorOptions {
  /** Registered apps. Default: a confidential one (`emulator-oauth-client`) and a public one (`emulator-public-client`). */
  apps?: UltraCartOAuthApp[];
  /** The merchant account that approves. Default `DEMO1`. */
  merchantId?: string;
  /** Issue a new refresh token on every refresh and retire the old one. Default true. */
  rotateRefreshTokens?: boolean;
  /** Access token lifetime. Default 3600 s. */
  accessTokenLifetimeSeconds?: number;
  /** How `expires_in` is written: as a string (as the SDKs declare it, default), a number, or left out. */
  expiresIn?: 'string' | 'number' | 'absent';
  /** Default `oauth`. */
  grantErrorShape?: GrantErrorShape;
  /** The approval page approves at once, for scripted flows. */
  autoApprove?: boolean;
  /** Whether error callbacks (`access_denied`, `invalid_request`) carry `state` back. Default true (not documented by UltraCart). */
  stateOnErrors?: boolean;
}

/** The OAuth side of the UltraCart emulator, at `emulator.oauth`. */
export interface UltraCartOAuthEmulator {
  /** The confidential default app's client id and secret, and the public default app's id. */
  clientId: string;
  clientSecret: string;
  publicClientId: string;
  /** `GET /oauth/authorize` on this emulator. */
  authorizeURL: string;
  /** Every OAuth request received, oldest first. */
  calls: RecordedCall<UltraCartOAuthEmulatorEndpoint>[];
  count(endpoint: UltraCartOAuthEmulatorEndpoint): number;
  /** Makes the next `times` requests to `endpoint` misbehave. A status alone answers in UltraCart's own error shape. */
  inject(endpoint: UltraCartOAuthEmulatorEndpoint, fault: Fault, times?: number): void;
  /** Approves an authorize URL as the merchant would; resolves to the callback URL with `code` and `state`. */
  approve(authorizeUrl: string): Promise<string>;
  /** Declines it; resolves to the callback URL with `error=access_denied`. */
  deny(authorizeUrl: string): Promise<string>;
  /** Makes every approval page now open expire: approving one then returns `error=invalid_request`. */
  expireApprovals(): void;
  /** Registers another app. */
  register(app: UltraCartOAuthApp): void;
  /** Switches refresh token rotation. */
  setRotation(rotate: boolean): void;
  /** Switches how refused grants are answered. */
  setGrantErrorShape(shape: GrantErrorShape): void;
  /** Expires every access token issued so far (refresh tokens stay good). */
  expireAccessTokens(): void;
  /** Disables (UltraCart's 410) or re-enables an app. */
  setDisabled(clientId: string, disabled: boolean): void;
  /** Whether an access token would be accepted by the API now. */
  isLive(accessToken: string): boolean;
  /** Whether a refresh token would be accepted now. */
  isLiveRefreshToken(refreshToken: string): boolean;
  /** Grants (approved connections) neither revoked nor disabled. */
  liveGrants(): number;
  /** Forgets recorded calls and pending faults. */
  reset(): void;
}

/** What the emulator's server hands to this part. */
export interface OAuthMount {
  handles(path: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  controls: UltraCartOAuthEmulator;
}

interface App extends Required<Pick<UltraCartOAuthApp, 'clientId' | 'scopes' | 'name'>> {
  clientSecret: string | undefined;
  redirectUris: string[] | undefined;
  disabled: boolean;
}
interface Approval {
  clientId: string;
  redirectUri: string;
  state: string;
  expiresAt: number;
}
interface Grant {
  clientId: string;
  scopes: string[];
  refreshToken: string;
  revoked: boolean;
}
interface IssuedCode {
  grant: Grant;
  redirectUri: string;
  expiresAt: number;
}

const API_PREFIX = '/rest/v2';
const APPROVAL_TTL_MS = 10 * 60 * 1000;
const CODE_TTL_MS = 60 * 1000;
const MAX_ENTRIES = 10_000;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

const DEFAULT_APPS: UltraCartOAuthApp[] = [
  { clientId: 'emulator-oauth-client', clientSecret: 'emulator-oauth-secret', name: 'Emulator Demo App' },
  { clientId: 'emulator-public-client', name: 'Emulator Public App' },
];

const DEMO_ITEMS = (merchantId: string) => [
  { merchant_id: merchantId, merchant_item_id: 'BOOK-001', description: 'Notes on the Analytical Engine', cost: 24.5 },
  { merchant_id: merchantId, merchant_item_id: 'MUG-002', description: 'Difference Engine mug', cost: 12 },
  { merchant_id: merchantId, merchant_item_id: 'CARD-003', description: 'Punched card set', cost: 8.75 },
];

/**
 * The OAuth 2.0 flow of the UltraCart emulator ("Connect your UltraCart store"): the approval
 * page, `POST /oauth/token` (authorization_code, refresh_token), `POST /oauth/revoke`, and
 * `GET /item/items` answered for a bearer token. Mounted by `startUltraCartEmulator`, reached as
 * `emulator.oauth`.
 */
export function createOAuthEmulator(options: UltraCartOAuthEmulatorOptions = {}, server: RunningServer): OAuthMount {
  const merchantId = options.merchantId ?? 'DEMO1';
  const lifetimeS = options.accessTokenLifetimeSeconds ?? 3600;
  let rotate = options.rotateRefreshTokens ?? true;
  let grantErrorShape: GrantErrorShape = options.grantErrorShape ?? 'oauth';
  const stateOnErrors = options.stateOnErrors ?? true;
  const apps = new Map<string, App>();
  const register = (app: UltraCartOAuthApp): void => {
    apps.set(app.clientId, {
      clientId: app.clientId,
      clientSecret: app.clientSecret,
      redirectUris: app.redirectUris,
      scopes: app.scopes ?? ['item_read', 'order_read', 'webhook_read'],
      name: app.name ?? app.clientId,
      disabled: false,
    });
  };
  for (const app of options.apps ?? DEFAULT_APPS) register(app);
  const calls: RecordedCall<UltraCartOAuthEmulatorEndpoint>[] = [];
  const faults = new FaultQueue<UltraCartOAuthEmulatorEndpoint>();
  const approvals = new Map<string, Approval>();
  const codes = new Map<string, IssuedCode>();
  const grantsByRefresh = new Map<string, Grant>();
  const accessTokens = new Map<string, { grant: Grant; expiresAt: number }>();

  const redirectAllowed = (app: App, uri: string): boolean => {
    if (app.redirectUris) return app.redirectUris.includes(uri);
    try {
      const url = new URL(uri);
      return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK.has(url.hostname) && !url.hash;
    } catch {
      return false;
    }
  };

  /** Checks an authorize request as UltraCart would before showing its page; a problem is shown, never redirected. */
  function readAuthorize(params: URLSearchParams): { approval: Approval } | { problem: string; redirect?: string } {
    const app = apps.get(params.get('client_id') ?? '');
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!app) return { problem: 'Unknown client_id: this application is not registered.' };
    if (!redirectAllowed(app, redirectUri)) return { problem: 'The redirect_uri is not the one registered for this application.' };
    const state = params.get('state') ?? '';
    if (params.get('response_type') !== 'code') {
      return { problem: 'response_type must be code', redirect: withParams(redirectUri, { error: 'unsupported_response_type', state }) };
    }
    if (state === '') return { problem: 'state is required', redirect: withParams(redirectUri, { error: 'invalid_request' }) };
    return { approval: { clientId: app.clientId, redirectUri, state, expiresAt: Date.now() + APPROVAL_TTL_MS } };
  }

  function decide(approval: Approval, decision: 'approve' | 'deny'): string {
    const errorState = stateOnErrors ? approval.state : undefined;
    if (approval.expiresAt <= Date.now()) {
      return withParams(approval.redirectUri, {
        error: 'invalid_request',
        error_description: 'The authorization request has expired',
        state: errorState,
      });
    }
    if (decision === 'deny') {
      return withParams(approval.redirectUri, { error: 'access_denied', error_description: 'The merchant declined', state: errorState });
    }
    const app = apps.get(approval.clientId)!;
    const code = token(24);
    bounded(codes);
    codes.set(code, {
      grant: { clientId: app.clientId, scopes: app.scopes, refreshToken: '', revoked: false },
      redirectUri: approval.redirectUri,
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return withParams(approval.redirectUri, { code, state: approval.state });
  }

  function issueTokens(grant: Grant, withRefreshToken: boolean): Record<string, unknown> {
    const accessToken = token(32);
    bounded(accessTokens);
    accessTokens.set(accessToken, { grant, expiresAt: Date.now() + lifetimeS * 1000 });
    const body: Record<string, unknown> = { access_token: accessToken, token_type: 'bearer', scope: grant.scopes.join(' ') };
    if (options.expiresIn !== 'absent') body.expires_in = options.expiresIn === 'number' ? lifetimeS : String(lifetimeS);
    if (withRefreshToken) {
      if (grant.refreshToken !== '') grantsByRefresh.delete(grant.refreshToken);
      grant.refreshToken = token(32);
      bounded(grantsByRefresh);
      grantsByRefresh.set(grant.refreshToken, grant);
      body.refresh_token = grant.refreshToken;
    }
    return body;
  }

  function refusedGrant(res: ServerResponse, description: string): void {
    if (grantErrorShape === 'ultracart') return sendUltraCartError(res, 400, description);
    sendJson(res, grantErrorShape === 'oauth-200' ? 200 : 400, { error: 'invalid_grant', error_description: description });
  }

  function tokenEndpoint(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'The body must be form-encoded' });
    }
    const form = new URLSearchParams(body);
    const app = apps.get(form.get('client_id') ?? '');
    if (!app) return sendJson(res, 401, { error: 'invalid_client', error_description: 'Unknown client_id' });
    if (app.disabled) return sendUltraCartError(res, 410, 'Authorized application disabled');
    const secret = form.get('client_secret');
    if (app.clientSecret === undefined && secret !== null) {
      // A public client has no secret; an empty field is the bug this catches.
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'A public client must not send client_secret' });
    }
    if (app.clientSecret !== undefined && secret !== app.clientSecret) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'Client authentication failed' });
    }
    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const issued = codes.get(code);
      // Single use: the code is gone whatever happens next.
      codes.delete(code);
      if (!issued || issued.expiresAt <= Date.now() || issued.grant.clientId !== app.clientId)
        return refusedGrant(res, 'Invalid or expired code');
      if (form.get('redirect_uri') !== issued.redirectUri)
        return refusedGrant(res, 'redirect_uri does not match the authorization request');
      return sendJson(res, 200, issueTokens(issued.grant, true));
    }
    if (grantType === 'refresh_token') {
      const grant = grantsByRefresh.get(form.get('refresh_token') ?? '');
      if (!grant || grant.revoked || grant.clientId !== app.clientId) return refusedGrant(res, 'Invalid refresh token');
      return sendJson(res, 200, issueTokens(grant, rotate));
    }
    sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'grant_type must be authorization_code or refresh_token' });
  }

  function revokeEndpoint(req: IncomingMessage, res: ServerResponse, body: string): void {
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'The body must be form-encoded' });
    }
    const form = new URLSearchParams(body);
    const app = apps.get(form.get('client_id') ?? '');
    if (!app) return sendJson(res, 401, { error: 'invalid_client', error_description: 'Unknown client_id' });
    const value = form.get('token') ?? '';
    const grant = accessTokens.get(value)?.grant ?? grantsByRefresh.get(value);
    if (!grant || grant.revoked || grant.clientId !== app.clientId)
      return sendJson(res, 200, { successful: false, message: 'Token not found' });
    grant.revoked = true;
    grantsByRefresh.delete(grant.refreshToken);
    for (const [key, issued] of accessTokens) if (issued.grant === grant) accessTokens.delete(key);
    sendJson(res, 200, { successful: true, message: 'The application was revoked' });
  }

  function apiEndpoint(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers['x-ultracart-api-version'] !== API_VERSION)
      return sendUltraCartError(res, 400, 'Missing or unsupported X-UltraCart-Api-Version header');
    const match = /^Bearer ([\x21-\x7e]+)$/.exec(req.headers.authorization ?? '');
    const issued = match ? accessTokens.get(match[1]!) : undefined;
    if (!issued || issued.grant.revoked) return sendUltraCartError(res, 401, 'Invalid or expired access token');
    if (apps.get(issued.grant.clientId)?.disabled) return sendUltraCartError(res, 410, 'Authorized application disabled');
    if (issued.expiresAt <= Date.now()) return sendUltraCartError(res, 401, 'Invalid or expired access token');
    if (!issued.grant.scopes.includes('item_read')) return sendUltraCartError(res, 403, 'Permission item_read is required');
    const all = DEMO_ITEMS(merchantId);
    const limit = Math.min(Math.max(Number(url.searchParams.get('_limit') ?? 100) || 100, 1), 200);
    const items = all.slice(0, limit);
    sendJson(res, 200, {
      items,
      metadata: { result_set: { count: items.length, limit, offset: 0, more: items.length < all.length, total_records: all.length } },
      success: true,
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const endpoint = routeOf(req.method, url.pathname);
    const body = await readBody(req);
    if (calls.length >= MAX_ENTRIES) calls.splice(0, MAX_ENTRIES / 10);
    calls.push({
      endpoint: endpoint ?? 'unknown',
      method: req.method ?? '',
      path: url.pathname + url.search,
      headers: { ...req.headers },
      body,
    });
    if (!endpoint) return sendUltraCartError(res, 404, 'Not found');
    const fault = faults.take(endpoint);
    if (fault && (await applyFault(res, fault, server, ULTRACART_ERRORS))) return;
    switch (endpoint) {
      case 'authorize': {
        const read = readAuthorize(url.searchParams);
        if ('problem' in read) {
          if (read.redirect) return redirect(res, 302, read.redirect);
          return sendHtml(res, 400, approvalPage({ requestId: null, appName: '', merchantId, scopes: [], problem: read.problem }));
        }
        if (options.autoApprove) return redirect(res, 302, decide(read.approval, 'approve'));
        const requestId = token(16);
        bounded(approvals);
        approvals.set(requestId, read.approval);
        const app = apps.get(read.approval.clientId)!;
        return sendHtml(res, 200, approvalPage({ requestId, appName: app.name, merchantId, scopes: app.scopes }));
      }
      case 'approve': {
        const form = new URLSearchParams(body);
        const requestId = form.get('request') ?? '';
        const approval = approvals.get(requestId);
        approvals.delete(requestId);
        if (!approval)
          return sendHtml(
            res,
            410,
            approvalPage({ requestId: null, appName: '', merchantId, scopes: [], problem: 'This request was already answered.' }),
          );
        return redirect(res, 303, decide(approval, form.get('decision') === 'deny' ? 'deny' : 'approve'));
      }
      case 'token':
        return tokenEndpoint(req, res, body);
      case 'revoke':
        return revokeEndpoint(req, res, body);
      case 'api':
        return apiEndpoint(req, res, url);
    }
  }

  /** Set by `expireApprovals()`: the next scripted answer finds its request expired, as a page left open would. */
  let expireNextScripted = false;
  /** The same checks as the page, then the merchant's answer, for scripted tests. */
  function answer(authorizeUrl: string, decision: 'approve' | 'deny'): Promise<string> {
    calls.push({ endpoint: 'approve', method: 'POST', path: '/oauth/approve', headers: {}, body: '' });
    const read = readAuthorize(new URL(authorizeUrl).searchParams);
    if ('problem' in read) return Promise.reject(new Error(`emulator: ${read.problem}`));
    const expired = expireNextScripted;
    expireNextScripted = false;
    return Promise.resolve(decide(expired ? { ...read.approval, expiresAt: 0 } : read.approval, decision));
  }

  const defaults = options.apps === undefined;
  const controls: UltraCartOAuthEmulator = {
    clientId: defaults ? 'emulator-oauth-client' : (options.apps![0]?.clientId ?? ''),
    clientSecret: defaults ? 'emulator-oauth-secret' : (options.apps![0]?.clientSecret ?? ''),
    publicClientId: defaults ? 'emulator-public-client' : (options.apps!.find((a) => a.clientSecret === undefined)?.clientId ?? ''),
    get authorizeURL() {
      return `${server.origin}${API_PREFIX}/oauth/authorize`;
    },
    calls,
    count: (endpoint) => calls.filter((call) => call.endpoint === endpoint).length,
    inject: (endpoint, fault, times = 1) => faults.add(endpoint, fault, times),
    approve: (authorizeUrl) => answer(authorizeUrl, 'approve'),
    deny: (authorizeUrl) => answer(authorizeUrl, 'deny'),
    expireApprovals() {
      for (const approval of approvals.values()) approval.expiresAt = 0;
      expireNextScripted = true;
    },
    register,
    setRotation(value) {
      rotate = value;
    },
    setGrantErrorShape(shape) {
      grantErrorShape = shape;
    },
    expireAccessTokens() {
      for (const issued of accessTokens.values()) issued.expiresAt = 0;
    },
    setDisabled(clientId, disabled) {
      const app = apps.get(clientId);
      if (!app) throw new Error('emulator: no such app');
      app.disabled = disabled;
    },
    isLive(accessToken) {
      const issued = accessTokens.get(accessToken);
      return !!issued && !issued.grant.revoked && issued.expiresAt > Date.now() && !apps.get(issued.grant.clientId)?.disabled;
    },
    isLiveRefreshToken(refreshToken) {
      const grant = grantsByRefresh.get(refreshToken);
      return !!grant && !grant.revoked && !apps.get(grant.clientId)?.disabled;
    },
    liveGrants() {
      let live = 0;
      for (const grant of grantsByRefresh.values()) if (!grant.revoked && !apps.get(grant.clientId)?.disabled) live += 1;
      return live;
    },
    reset() {
      calls.length = 0;
      faults.clear();
    },
  };
  return {
    handles: (path) => path.startsWith(`${API_PREFIX}/oauth/`) || path === '/oauth/approve' || path === `${API_PREFIX}/item/items`,
    handle,
    controls,
  };
}

function routeOf(method: string | undefined, path: string): UltraCartOAuthEmulatorEndpoint | undefined {
  if (method === 'GET' && path === `${API_PREFIX}/oauth/authorize`) return 'authorize';
  if (method === 'POST' && path === '/oauth/approve') return 'approve';
  if (method === 'POST' && path === `${API_PREFIX}/oauth/token`) return 'token';
  if (method === 'POST' && path === `${API_PREFIX}/oauth/revoke`) return 'revoke';
  if (method === 'GET' && path === `${API_PREFIX}/item/items`) return 'api';
  return undefined;
}

/** Drops the oldest entries past a bound, so a long-running emulator stays small. */
function bounded(map: Map<string, unknown>): void {
  if (map.size < MAX_ENTRIES) return;
  let drop = MAX_ENTRIES / 10;
  for (const key of map.keys()) {
    if (drop-- <= 0) break;
    map.delete(key);
  }
}

function ucErrorBody(status: number, message: string): string {
  return JSON.stringify({ error: { developer_message: message, user_message: message, error_code: String(status) }, success: false });
}

const FAULT_MESSAGES: Record<number, string> = {
  401: 'Invalid credentials',
  410: 'Authorized application disabled',
  429: 'Rate limit exceeded',
  500: 'Internal server error',
  503: 'Service unavailable',
};

/** Injected status-only faults answer in UltraCart's own shape, with `UC-REST-ERROR`. */
const ULTRACART_ERRORS: VendorErrors = {
  body: (status) => ucErrorBody(status, FAULT_MESSAGES[status] ?? `Error ${status}`),
  headers: (status): Record<string, string> => (status >= 400 ? { 'uc-rest-error': FAULT_MESSAGES[status] ?? `Error ${status}` } : {}),
};

function sendUltraCartError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'uc-rest-error': message });
  res.end(ucErrorBody(status, message));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function token(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
