import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import {
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
import { formPostPage, ultrapassIdLoginPage, type UltrapassIdPerson } from './ultrapassid-login-page.js';

export type { UltrapassIdPerson } from './ultrapassid-login-page.js';

export type UltrapassIdOidcEndpoint = 'discovery' | 'jwks' | 'authorize' | 'login' | 'token';

/** Ways the token endpoint's ID token can be wrong, for tests of the relying party's checks. */
export type IdTokenFault = 'wrong-key' | 'wrong-iss' | 'wrong-aud' | 'wrong-nonce' | 'expired' | 'tampered' | 'alg-none';

/** A fault for one emulator endpoint; on `token`, `idToken` spoils the ID token of an otherwise good answer. */
export interface UltrapassIdOidcFault extends Fault {
  idToken?: IdTokenFault;
}

/** With `publicOrigin` and `tls` (from {@link EmulatorExposure}) it stands in for the vendor behind a proxy or over TLS. */
export interface UltrapassIdOidcEmulatorOptions extends EmulatorExposure {
  /** Port to listen on; default a free one. The server binds 127.0.0.1 only. */
  port?: number;
  /** The name the issuer and its pages use: `localhost` puts them on another site than an app on 127.0.0.1. */
  hostname?: EmulatorHostname;
  /** The ClientId of the registered app. Default `emulator-client-id`. */
  clientId?: string;
  /** Registered Redirect URIs. Default: any http(s) URL is accepted, as an emulator should be easy to point at. */
  redirectUris?: string[];
  /** The people who can be picked on the login page. Default: two. */
  people?: UltrapassIdPerson[];
  /** Salt of the per-organization subject hash. Default `emulator-organization`. */
  organization?: string;
  /** Approve at once as this person (or the first, for `true`), for scripted flows. */
  autoApprove?: boolean | string;
  /** Delay before every API answer (discovery, keys, token). */
  latencyMs?: number;
  /** ID token lifetime in seconds. Default 3600. */
  idTokenLifetimeSec?: number;
  /** How many recorded calls to keep. Default 10 000. */
  maxRecordedCalls?: number;
  /** How many pending authorization requests, and how many unredeemed codes, to keep at most (the oldest go first). Default 10 000. */
  maxPending?: number;
}

/** Where the browser goes after the person decides: a GET to `url`, or (form_post) a POST of `form` to `url`. */
export interface UltrapassIdCallback {
  method: 'GET' | 'POST';
  url: string;
  form?: Record<string, string>;
}

export interface UltrapassIdOidcEmulator {
  /** The issuer identifier (the origin), to pass as `issuer`. */
  issuer: string;
  origin: string;
  clientId: string;
  calls: RecordedCall<UltrapassIdOidcEndpoint>[];
  count(endpoint: UltrapassIdOidcEndpoint): number;
  /** Makes the next `times` requests to `endpoint` misbehave (one-shot by default). */
  inject(endpoint: UltrapassIdOidcEndpoint, fault: UltrapassIdOidcFault, times?: number): void;
  setLatency(ms: number): void;
  /** Approves an authorization request (the provider URL the strategy redirected to) as `personId` (default the first). */
  approve(authorizeUrl: string, personId?: string): Promise<UltrapassIdCallback>;
  /** Cancels it, as the person would: the callback carries `error=access_denied`. */
  deny(authorizeUrl: string): Promise<UltrapassIdCallback>;
  /** The `sub` this emulator gives a person. */
  subjectOf(personId: string): string;
  reset(): void;
  readonly connections: number;
  /** How many authorization requests are pending and how many codes are unredeemed, expired ones not yet dropped included. */
  pending(): { logins: number; codes: number };
  close(): Promise<void>;
}

export const DEFAULT_ULTRAPASSID_PEOPLE: UltrapassIdPerson[] = [
  { id: 'person-ada', name: 'Ada Lovelace' },
  { id: 'person-grace', name: 'Grace Hopper' },
];

const PATHS = {
  discovery: '/.well-known/openid-configuration',
  jwks: '/discovery/v2.0/keys',
  authorize: '/oauth2/v2.0/authorize',
  token: '/oauth2/v2.0/token',
  login: '/login',
} as const;
const RESPONSE_MODES = new Set(['query', 'form_post', 'fragment']);

interface AuthRequest {
  redirectUri: string;
  state: string | undefined;
  nonce: string | undefined;
  scope: string;
  challenge: string;
  responseMode: string;
  expiresAt: number;
}
interface IssuedCode extends AuthRequest {
  personId: string;
}
type Opened = { ok: true; request: AuthRequest } | { ok: false; callback?: UltrapassIdCallback; why: string };

/**
 * Starts an emulator of UltrapassId's OpenID Connect service: discovery, a key set, the
 * documented `/oauth2/v2.0/authorize` and `/oauth2/v2.0/token`, a login page standing in for the
 * face scan, RS256 ID tokens signed with jose, PKCE (S256) checked, single-use codes, `query`,
 * `form_post` and `fragment` answers, and one-shot faults per endpoint.
 *
 * @example
 * const provider = await startUltrapassIdOidcEmulator();
 * passport.use(new UltrapassIdStrategy({ issuer: provider.issuer, clientId: provider.clientId, callbackURL }, verify));
 */
export async function startUltrapassIdOidcEmulator(options: UltrapassIdOidcEmulatorOptions = {}): Promise<UltrapassIdOidcEmulator> {
  const clientId = options.clientId ?? 'emulator-client-id';
  const people = options.people ?? DEFAULT_ULTRAPASSID_PEOPLE;
  const organization = options.organization ?? 'emulator-organization';
  const lifetime = options.idTokenLifetimeSec ?? 3600;
  const maxRecordedCalls = options.maxRecordedCalls ?? 10_000;
  const maxPending = maxPendingOption('startUltrapassIdOidcEmulator', options.maxPending);
  let latencyMs = options.latencyMs ?? 0;
  const calls: RecordedCall<UltrapassIdOidcEndpoint>[] = [];
  const faults = new FaultQueue<UltrapassIdOidcEndpoint>();
  const logins = new Map<string, AuthRequest>();
  const codes = new Map<string, IssuedCode>();
  const { signing, impostor } = await emulatorKeys();
  const server: RunningServer = await startServer(options.port, (req, res) => handle(req, res), options.hostname, {
    ...exposureOf(options),
    owner: 'startUltrapassIdOidcEmulator',
  });
  const issuer = server.origin;

  const subjectOf = (personId: string): string => createHash('sha256').update(`${organization}\u0000${personId}`).digest('base64url');

  /** Checks an authorization request as the provider would. Errors for an unverified redirect_uri are shown, never redirected. */
  function open(params: URLSearchParams): Opened {
    const redirectUri = params.get('redirect_uri') ?? '';
    if (params.get('client_id') !== clientId) return { ok: false, why: 'Unknown client_id.' };
    if (!isHttpUrl(redirectUri) || (options.redirectUris && !options.redirectUris.includes(redirectUri))) {
      return { ok: false, why: 'redirect_uri is not a Redirect URI registered for this app.' };
    }
    const state = params.get('state') ?? undefined;
    const responseMode = params.get('response_mode') ?? 'query';
    const refuse = (error: string, why: string): Opened => ({
      ok: false,
      why,
      callback: answer(redirectUri, RESPONSE_MODES.has(responseMode) ? responseMode : 'query', { error, state }),
    });
    if (!RESPONSE_MODES.has(responseMode)) return refuse('invalid_request', 'Unsupported response_mode.');
    if (params.get('response_type') !== 'code') return refuse('unsupported_response_type', 'response_type must be code.');
    const scope = params.get('scope') ?? '';
    if (!scope.split(' ').includes('openid')) return refuse('invalid_scope', 'scope must include openid.');
    const challenge = params.get('code_challenge') ?? '';
    if (params.get('code_challenge_method') !== 'S256' || !/^[\w-]{43}$/.test(challenge)) {
      return refuse('invalid_request', 'code_challenge with code_challenge_method=S256 is required.');
    }
    const nonce = params.get('nonce') ?? undefined;
    return { ok: true, request: { redirectUri, state, nonce, scope, challenge, responseMode, expiresAt: Date.now() + 10 * 60_000 } };
  }

  function decide(request: AuthRequest, personId: string | undefined): UltrapassIdCallback {
    if (personId === undefined) return answer(request.redirectUri, request.responseMode, { error: 'access_denied', state: request.state });
    const code = randomBytes(32).toString('base64url');
    addPending(codes, code, { ...request, personId, expiresAt: Date.now() + 5 * 60_000 }, maxPending);
    return answer(request.redirectUri, request.responseMode, { code, state: request.state });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer);
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
    if (!endpoint) return sendJson(res, 404, { error: 'not_found' });
    if (endpoint !== 'authorize' && endpoint !== 'login' && latencyMs > 0) await server.delay(latencyMs);
    const fault = faults.take(endpoint) as UltrapassIdOidcFault | undefined;
    if (fault && (await applyFault(res, fault, server, OAUTH_ERRORS))) return;

    switch (endpoint) {
      case 'discovery':
        return sendJson(res, 200, discoveryDocument(issuer));
      case 'jwks':
        return sendJson(res, 200, { keys: [signing.jwk] }, 'application/jwk-set+json');
      case 'authorize': {
        const opened = open(url.searchParams);
        if (!opened.ok)
          return opened.callback
            ? deliver(res, opened.callback)
            : sendHtml(res, 400, ultrapassIdLoginPage({ kind: 'refused', why: opened.why }));
        if (options.autoApprove) {
          const person = options.autoApprove === true ? people[0] : people.find((p) => p.id === options.autoApprove);
          if (person) return deliver(res, decide(opened.request, person.id));
        }
        const requestId = randomBytes(16).toString('base64url');
        addPending(logins, requestId, opened.request, maxPending);
        return sendHtml(res, 200, ultrapassIdLoginPage({ kind: 'login', requestId, people, appName: clientId }));
      }
      case 'login': {
        const form = new URLSearchParams(body);
        const request = logins.get(form.get('request') ?? '');
        const person = people.find((p) => p.id === form.get('person'));
        if (!request || request.expiresAt < Date.now()) return sendHtml(res, 410, ultrapassIdLoginPage({ kind: 'expired' }));
        logins.delete(form.get('request')!);
        const approved = form.get('decision') === 'approve' && person;
        return deliver(res, decide(request, approved ? person.id : undefined));
      }
      case 'token':
        return token(req, res, body, fault?.idToken);
    }
  }

  async function token(req: IncomingMessage, res: ServerResponse, body: string, spoil: IdTokenFault | undefined): Promise<void> {
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return sendJson(res, 400, { error: 'invalid_request', error_description: 'The body must be form-encoded.' });
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== 'authorization_code') return sendJson(res, 400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== clientId) return sendJson(res, 401, { error: 'invalid_client' });
    const code = form.get('code') ?? '';
    const issued = codes.get(code);
    // Used up by any attempt, good or bad, so a code is redeemed at most once.
    codes.delete(code);
    if (!issued || issued.expiresAt < Date.now())
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'The code is invalid, expired or already used.' });
    if (form.get('redirect_uri') !== issued.redirectUri)
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'redirect_uri does not match.' });
    const verifier = form.get('code_verifier');
    if (!verifier) return sendJson(res, 400, { error: 'invalid_request', error_description: 'code_verifier is required.' });
    if (createHash('sha256').update(verifier).digest('base64url') !== issued.challenge) {
      return sendJson(res, 400, { error: 'invalid_grant', error_description: 'PKCE verification failed.' });
    }
    const person = people.find((p) => p.id === issued.personId)!;
    const idToken = await idTokenFor(person, issued, spoil);
    // As documented: an access token only when asked for by naming the client id as a scope.
    const wantsAccess = issued.scope.split(' ').includes(clientId);
    sendJson(res, 200, {
      id_token: idToken,
      token_type: 'Bearer',
      scope: issued.scope,
      ...(wantsAccess && { access_token: randomBytes(32).toString('base64url'), expires_in: lifetime }),
    });
  }

  async function idTokenFor(person: UltrapassIdPerson, issued: IssuedCode, spoil: IdTokenFault | undefined): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      ...person.claims,
      sub: subjectOf(person.id),
      auth_time: now,
      ...(issued.nonce !== undefined && { nonce: issued.nonce }),
    };
    if (spoil === 'wrong-nonce') claims.nonce = randomBytes(16).toString('base64url');
    const key = spoil === 'wrong-key' ? impostor : signing;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(spoil === 'wrong-iss' ? 'https://impostor.example' : issuer)
      .setAudience(spoil === 'wrong-aud' ? 'another-client' : clientId)
      .setIssuedAt(spoil === 'expired' ? now - 2 * lifetime : now)
      .setExpirationTime(spoil === 'expired' ? now - lifetime : now + lifetime);
    const signed = await jwt.sign(key.privateKey);
    const [header, payload, signature] = signed.split('.') as [string, string, string];
    if (spoil === 'tampered') {
      const forged = { ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), sub: subjectOf('someone-else') };
      return `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`;
    }
    if (spoil === 'alg-none') return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    return signed;
  }

  const authRequestOf = (authorizeUrl: string): AuthRequest => {
    const opened = open(new URL(authorizeUrl).searchParams);
    if (!opened.ok) throw new Error(`emulator: the authorization request was refused: ${opened.why}`);
    return opened.request;
  };
  const record = (): void => {
    calls.push({ endpoint: 'login', method: 'POST', path: PATHS.login, headers: {}, body: '' });
  };
  return {
    issuer,
    origin: issuer,
    clientId,
    calls,
    count: (endpoint) => calls.filter((call) => call.endpoint === endpoint).length,
    inject: (endpoint, fault, times = 1) => faults.add(endpoint, fault, times),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    async approve(authorizeUrl, personId) {
      record();
      const person = personId === undefined ? people[0] : people.find((p) => p.id === personId);
      if (!person) throw new Error('emulator: no such person');
      return decide(authRequestOf(authorizeUrl), person.id);
    },
    async deny(authorizeUrl) {
      record();
      return decide(authRequestOf(authorizeUrl), undefined);
    },
    subjectOf,
    reset() {
      calls.length = 0;
      faults.clear();
    },
    pending: () => ({ logins: logins.size, codes: codes.size }),
    get connections() {
      return server.connections;
    },
    close: () => server.close(),
  };
}

function discoveryDocument(issuer: string): Record<string, unknown> {
  return {
    issuer,
    authorization_endpoint: `${issuer}${PATHS.authorize}`,
    token_endpoint: `${issuer}${PATHS.token}`,
    jwks_uri: `${issuer}${PATHS.jwks}`,
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post', 'fragment'],
    grant_types_supported: ['authorization_code'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid'],
    token_endpoint_auth_methods_supported: ['none'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce'],
  };
}

/** The redirect (query, fragment) or self-posting form (form_post) that carries the answer to the app. */
function answer(redirectUri: string, mode: string, params: Record<string, string | undefined>): UltrapassIdCallback {
  const fields = Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined));
  if (mode === 'form_post') return { method: 'POST', url: redirectUri, form: fields };
  const url = new URL(redirectUri);
  if (mode === 'fragment') url.hash = new URLSearchParams(fields).toString();
  else for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  return { method: 'GET', url: url.href };
}

function deliver(res: ServerResponse, callback: UltrapassIdCallback): void {
  if (callback.method === 'GET') {
    res.writeHead(303, { location: callback.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).end();
    return;
  }
  const nonce = randomBytes(16).toString('base64');
  sendHtml(res, 200, formPostPage(callback.url, callback.form ?? {}, nonce), `script-src 'nonce-${nonce}'`);
}

type SigningKey = { kid: string; privateKey: CryptoKey; jwk: JWK };
let keys: Promise<{ signing: SigningKey; impostor: SigningKey }> | undefined;

/** RSA key generation costs tens of milliseconds: one pair per process serves every emulator started in it. */
function emulatorKeys(): Promise<{ signing: SigningKey; impostor: SigningKey }> {
  keys ??= newKey().then(async (signing) => ({ signing, impostor: await newKey(signing.kid) }));
  return keys;
}

async function newKey(kid = randomBytes(8).toString('hex')): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

function routeOf(method: string | undefined, path: string): UltrapassIdOidcEndpoint | undefined {
  if (method === 'GET' && path === PATHS.discovery) return 'discovery';
  if (method === 'GET' && path === PATHS.jwks) return 'jwks';
  if (method === 'GET' && path === PATHS.authorize) return 'authorize';
  if (method === 'POST' && path === PATHS.login) return 'login';
  if (method === 'POST' && path === PATHS.token) return 'token';
  return undefined;
}

/** The body of an injected error status, in OAuth's shape. */
const OAUTH_ERRORS: VendorErrors = {
  body: (status) => JSON.stringify({ error: status >= 500 ? 'server_error' : 'invalid_request', error_description: `Injected ${status}` }),
};

function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function sendHtml(res: ServerResponse, status: number, html: string, script = "script-src 'none'"): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': `default-src 'none'; style-src 'unsafe-inline'; ${script}; form-action *`,
  });
  res.end(html);
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
