import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UltraCartUser } from 'passport-ultracart';
import { readBody, startServer, type RecordedCall, type RunningServer } from '../../src/testing/server-kit.js';

/** A plain OAuth 2.0 authorization server with UltraCart's users, for the passport-oauth2 contender. */
export interface OAuth2Dialect {
  origin: string;
  clientId: string;
  clientSecret: string;
  /** Delay before token and userinfo answers (the pages are browser-facing and answer at once, as UltraCart's login page does). */
  setLatency(ms: number): void;
  /** Forgets recorded calls, as the emulator's `reset()` does. */
  reset(): void;
  readonly connections: number;
  close(): Promise<void>;
}

interface PendingLogin {
  redirectUri: string;
  state: string | undefined;
  expiresAt: number;
}
interface IssuedCode {
  userId: number;
  redirectUri: string;
  expiresAt: number;
}

/**
 * The same sign-in as the UltraCart emulator, spoken as OAuth 2.0 (RFC 6749 authorization code):
 * `GET /oauth2/authorize` -> `GET /oauth2/login` (approves at once as the first user) -> back to
 * `redirect_uri` with `code` and `state`; `POST /oauth2/token` (form) -> `access_token`;
 * `GET /oauth2/userinfo` (Bearer) -> the user. Per-request work mirrors the emulator's (parse the
 * URL, read the body, one map lookup, one random value), so neither contender gets a cheaper upstream.
 */
export async function startOAuth2Dialect(users: UltraCartUser[]): Promise<OAuth2Dialect> {
  const clientId = 'bench-client';
  const clientSecret = 'bench-client-secret';
  const logins = new Map<string, PendingLogin>();
  const codes = new Map<string, IssuedCode>();
  const tokens = new Map<string, { userId: number; expiresAt: number }>();
  const calls: RecordedCall<string>[] = [];
  let latencyMs = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', server.origin);
    const body = await readBody(req);
    const route = `${req.method} ${url.pathname}`;
    calls.push({ endpoint: route, method: req.method ?? '', path: url.pathname + url.search, headers: { ...req.headers }, body });
    if (route === 'GET /oauth2/authorize') return authorize(res, url);
    if (route === 'GET /oauth2/login') return login(res, url);
    if (route !== 'POST /oauth2/token' && route !== 'GET /oauth2/userinfo') return json(res, 404, { error: 'not_found' });
    if (latencyMs > 0) await server.delay(latencyMs);
    if (route === 'POST /oauth2/token') return token(res, new URLSearchParams(body));
    return userinfo(req, res);
  }

  function authorize(res: ServerResponse, url: URL): void {
    const query = url.searchParams;
    const redirectUri = query.get('redirect_uri');
    if (query.get('response_type') !== 'code' || query.get('client_id') !== clientId || !redirectUri) {
      return json(res, 400, { error: 'invalid_request' });
    }
    const requestId = random(16);
    logins.set(requestId, { redirectUri, state: query.get('state') ?? undefined, expiresAt: Date.now() + 10 * 60 * 1000 });
    redirect(res, `${server.origin}/oauth2/login?request=${requestId}`);
  }

  function login(res: ServerResponse, url: URL): void {
    const requestId = url.searchParams.get('request') ?? '';
    const pending = logins.get(requestId);
    if (!pending || pending.expiresAt < Date.now()) return json(res, 410, { error: 'login_expired' });
    logins.delete(requestId);
    const code = random(24);
    codes.set(code, { userId: users[0]!.user_id, redirectUri: pending.redirectUri, expiresAt: Date.now() + 5 * 60 * 1000 });
    const target = new URL(pending.redirectUri);
    target.searchParams.set('code', code);
    if (pending.state !== undefined) target.searchParams.set('state', pending.state);
    redirect(res, target.href);
  }

  function token(res: ServerResponse, form: URLSearchParams): void {
    if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret)
      return json(res, 401, { error: 'invalid_client' });
    const code = form.get('code') ?? '';
    const issued = codes.get(code);
    // Codes are single-use: deleted on first presentation, whatever follows.
    codes.delete(code);
    if (
      form.get('grant_type') !== 'authorization_code' ||
      !issued ||
      issued.expiresAt < Date.now() ||
      issued.redirectUri !== form.get('redirect_uri')
    ) {
      return json(res, 400, { error: 'invalid_grant' });
    }
    const accessToken = random(32);
    tokens.set(accessToken, { userId: issued.userId, expiresAt: Date.now() + 60 * 60 * 1000 });
    json(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600 });
  }

  function userinfo(req: IncomingMessage, res: ServerResponse): void {
    const header = req.headers.authorization ?? '';
    const issued = header.startsWith('Bearer ') ? tokens.get(header.slice(7)) : undefined;
    const user = issued && issued.expiresAt > Date.now() ? users.find((u) => u.user_id === issued.userId) : undefined;
    if (!user) return json(res, 401, { error: 'invalid_token' });
    json(res, 200, user);
  }

  // Declared last: the handlers above read it only once requests arrive.
  const server: RunningServer = await startServer(undefined, handle);
  return {
    origin: server.origin,
    clientId,
    clientSecret,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    reset: () => {
      calls.length = 0;
    },
    get connections() {
      return server.connections;
    },
    close: () => server.close(),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
}

function random(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}
