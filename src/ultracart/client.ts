import type { Dispatcher } from 'undici';
import { log } from '../log.js';
import { laneFor, type ConnectionLane } from '../http/connection-lane.js';
import { ACCEPT_ENCODING, isJsonContentType, parseJson, send, type IncomingResponse } from '../http/transport.js';
import { readOptions } from '../option-schema.js';
import { USER_AGENT } from '../http/user-agent.js';
import { readExpiry, type ExpiryReading } from './date-time.js';
import { badResponse, httpFailure, transportFailure, vendorText, type UltraCartEndpoint } from './errors.js';
import { credentialOf, ULTRACART_CONNECTION_SCHEMA } from './option-rules.js';
import { DEFAULT_REVOKE_RETRY, Revocations, type RevocationOutcome, type RevokeRetryOptions } from './revocations.js';
import { toUltraCartUser, type UltraCartUser } from './user.js';

export const DEFAULT_BASE_URL = 'https://secure.ultracart.com/rest/v2';
export const API_VERSION = '2017-03-01';
const DEFAULT_TIMEOUT_MS = 10_000;
/**
 * Response bounds per endpoint, from the schema. `/sso/session/user` returns the whole `User`:
 * 90 days of `login_histories` (about 450 bytes each), permissions and notifications make
 * 100-300 KB plausible for a busy merchant user, so it gets 2 MiB. The other answers are a few
 * short strings or an ErrorResponse; 32 KiB is already generous.
 */
export const DEFAULT_MAX_RESPONSE_BYTES: Readonly<Record<UltraCartEndpoint, number>> = {
  authorize: 32 * 1024,
  token: 32 * 1024,
  user: 2 * 1024 * 1024,
  revoke: 32 * 1024,
};

/**
 * The application's credential: exactly one of a simple key and an OAuth access token, so giving
 * both, or neither key, does not type-check. The one given may be typed `string | undefined`, as
 * `process.env` gives it; an undefined value is refused at construction ("requires a simpleKey
 * option").
 */
export type UltraCartCredential =
  | {
      /** The application's simple key, sent as `x-ultracart-simple-key`. */
      simpleKey: string | undefined;
      accessToken?: undefined;
    }
  | {
      /** An OAuth access token, sent as `Authorization: Bearer`. */
      accessToken: string | undefined;
      simpleKey?: undefined;
    };

/** How to reach UltraCart, besides the credential. `undefined` counts as absent for every key. */
export interface UltraCartConnectionSettings {
  /** Default `https://secure.ultracart.com/rest/v2`; the emulator's `url` in tests. */
  baseURL?: string | undefined;
  /** Total time allowed for each call, headers and body included. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /**
   * Largest response body accepted, after any decoding: one number for every endpoint, or per
   * endpoint. Default 2 MiB for `user` (a whole `User`, login history included), 32 KiB for the others.
   */
  maxResponseBytes?: number | Partial<Record<UltraCartEndpoint, number>> | undefined;
  /**
   * An undici dispatcher (pool, agent, mock) instead of the package's own keep-alive pool per
   * origin. It is handed at most 64 calls per origin at once, plus up to 64 exchanges that linger
   * for a late answer after their call timed out: allow it 128 connections per origin (undici's
   * `Agent` sets no limit by default).
   */
  dispatcher?: Dispatcher | undefined;
  /**
   * The dispatcher for `DELETE /sso/session/revoke`. Default: with no `dispatcher`, a small pool
   * of its own (4 calls per origin, 8 connections with lingering ones), so a sign-out is sent at
   * once even while stalled sign-ins hold every pooled connection; with a `dispatcher`, that one.
   */
  revokeDispatcher?: Dispatcher | undefined;
  /** How `revokeWithRetry` retries in the background, or `false` for a single attempt. Default 5 attempts within 60 s. */
  revokeRetry?: RevokeRetryOptions | false | undefined;
}

/** How to reach UltraCart and which application credential to use. */
export type UltraCartConnectionOptions = UltraCartCredential & UltraCartConnectionSettings;

/** What `PUT /sso/authorize` answered: where to send the browser, and until when. */
export interface AuthorizeResponse {
  /** Where UltraCart wants the browser to go. Not yet checked against any redirect policy. */
  loginUrl: string;
  /** When this login attempt times out at UltraCart, or null when it was absent or unreadable. */
  expiresAt: Date | null;
}

/** What `PUT /sso/token` answered: the user's simple key, its expiry and the IP UltraCart saw. */
export interface TokenResponse {
  /** The user's simple key: it acts as that UltraCart user. */
  simpleKey: string;
  expiresAt: Date | null;
  /** `expiration_dts` as sent. */
  expirationDts: string | undefined;
  /** Whether `expiration_dts` was absent, unreadable (bad syntax, or no zone) or a known instant. */
  expiry: ExpiryReading['kind'];
  /** The IP UltraCart saw approve the login, which it recommends locking the key to. */
  ipAddress: string | null;
}

interface Call {
  endpoint: UltraCartEndpoint;
  method: 'GET' | 'PUT' | 'DELETE';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  /** Values that must not appear in an error message even if UltraCart echoes them. */
  secrets: string[];
  onLateResponse?: (res: IncomingResponse) => void;
}

/**
 * The four UltraCart Single Sign-On calls. `authorize` and `token` use the application's
 * credential; `sessionUser` and `revokeSession` use the simple key that `token` returned.
 *
 * @example
 * const client = new UltraCartClient({ simpleKey: process.env.ULTRACART_SIMPLE_KEY });
 * const user = await client.sessionUser(req.user.simpleKey);
 */
export class UltraCartClient {
  readonly baseURL: string;
  /** Headers of the app-credential calls (authorize, token), built once rather than per call. */
  private readonly appJsonHeaders: Record<string, string>;
  private readonly appSecret: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: Record<UltraCartEndpoint, number>;
  private readonly callLane: ConnectionLane;
  private readonly revokeLane: ConnectionLane;
  private readonly urls: Record<UltraCartEndpoint, URL>;
  /** Added to a 404's message: UltraCart answers 404 for a baseURL without its `/rest/v2` prefix. */
  private readonly notFoundHint: string;
  /**
   * Where `revokeWithRetry` keeps failed revocations until they succeed or run out of attempts;
   * it emits a `revocation` event for each attempt.
   */
  readonly revocations: Revocations;

  constructor(options: UltraCartConnectionOptions) {
    const values = readOptions('UltraCartClient', options, ULTRACART_CONNECTION_SCHEMA);
    const credential = credentialOf('UltraCartClient', values);
    this.baseURL = values.baseURL ?? DEFAULT_BASE_URL;
    this.timeoutMs = values.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const bounds = values.maxResponseBytes;
    this.maxResponseBytes =
      typeof bounds === 'number'
        ? { authorize: bounds, token: bounds, user: bounds, revoke: bounds }
        : { ...DEFAULT_MAX_RESPONSE_BYTES, ...bounds };
    const origin = new URL(this.baseURL).origin;
    this.callLane = laneFor(values.dispatcher, origin);
    this.revokeLane = laneFor(values.revokeDispatcher ?? values.dispatcher, origin, 'revoke');
    const retry = values.revokeRetry;
    this.revocations = new Revocations(
      (key) => this.revokeSession(key),
      retry === false ? { ...DEFAULT_REVOKE_RETRY, attempts: 1 } : { ...DEFAULT_REVOKE_RETRY, ...retry },
    );
    this.appJsonHeaders = {
      accept: 'application/json',
      'accept-encoding': ACCEPT_ENCODING,
      'user-agent': USER_AGENT,
      'x-ultracart-api-version': API_VERSION,
      'content-type': 'application/json; charset=UTF-8',
      ...('simpleKey' in credential
        ? { 'x-ultracart-simple-key': credential.simpleKey }
        : { authorization: `Bearer ${credential.accessToken}` }),
    };
    this.appSecret = 'simpleKey' in credential ? credential.simpleKey : credential.accessToken;
    const path = new URL(this.baseURL).pathname;
    this.notFoundHint = /\/rest\/v2$/.test(path)
      ? ''
      : ` (the baseURL ${JSON.stringify(this.baseURL)} does not end in /rest/v2, where UltraCart's REST API is: ${DEFAULT_BASE_URL})`;
    this.urls = {
      authorize: new URL(`${this.baseURL}/sso/authorize`),
      token: new URL(`${this.baseURL}/sso/token`),
      user: new URL(`${this.baseURL}/sso/session/user`),
      revoke: new URL(`${this.baseURL}/sso/session/revoke`),
    };
  }

  /** `PUT /sso/authorize`: starts a sign-in and returns the login page to send the browser to. */
  async authorize(redirectUri: string, state: string): Promise<AuthorizeResponse> {
    const body = await this.call({
      endpoint: 'authorize',
      method: 'PUT',
      url: this.urls.authorize,
      headers: this.appJsonHeaders,
      body: JSON.stringify({ redirect_uri: redirectUri, state }),
      secrets: [this.appSecret, state],
    });
    const loginUrl = body.login_url;
    if (typeof loginUrl !== 'string' || loginUrl === '') {
      throw badResponse('authorize', 'the authorize response has no login_url');
    }
    const expiry = readExpiry(body.expiration_dts);
    return { loginUrl, expiresAt: expiry.kind === 'known' ? expiry.at : null };
  }

  /**
   * `PUT /sso/token`: trades the code from the callback for the user's simple key. Never retried.
   * A key that arrives after the call timed out is revoked, since nobody will ever use it.
   */
  async token(code: string): Promise<TokenResponse> {
    const body = await this.call({
      endpoint: 'token',
      method: 'PUT',
      url: this.urls.token,
      headers: this.appJsonHeaders,
      body: JSON.stringify({ code, grant_type: 'simple_key' }),
      secrets: [this.appSecret, code],
      onLateResponse: (res) => this.revokeLateKey(res),
    });
    // A 200 is not success on its own (CVE-2021-41580): without a key there is no sign-in.
    const simpleKey = body.simple_key;
    if (typeof simpleKey !== 'string' || simpleKey === '') {
      throw badResponse('token', 'the token response has no simple_key');
    }
    const expirationDts = typeof body.expiration_dts === 'string' ? body.expiration_dts : undefined;
    const expiry = readExpiry(body.expiration_dts);
    const ipAddress = typeof body.ip_address === 'string' && body.ip_address !== '' ? body.ip_address : null;
    return { simpleKey, expiresAt: expiry.kind === 'known' ? expiry.at : null, expirationDts, expiry: expiry.kind, ipAddress };
  }

  /** `GET /sso/session/user`: the UltraCart user the simple key acts as. */
  async sessionUser(userSimpleKey: string): Promise<UltraCartUser> {
    const body = await this.call({
      endpoint: 'user',
      method: 'GET',
      url: this.urls.user,
      headers: this.userHeaders(userSimpleKey),
      secrets: [this.appSecret, userSimpleKey],
    });
    const user = toUltraCartUser(body);
    if (!user) throw badResponse('user', 'the session user has no usable user_id');
    return user;
  }

  /**
   * `DELETE /sso/session/revoke`: ends the UltraCart session behind the simple key, in one attempt
   * that rejects on failure. It goes through the revocation pool, apart from sign-ins.
   */
  async revokeSession(userSimpleKey: string): Promise<void> {
    await this.call({
      endpoint: 'revoke',
      method: 'DELETE',
      url: this.urls.revoke,
      headers: this.userHeaders(userSimpleKey),
      secrets: [this.appSecret, userSimpleKey],
    });
  }

  /**
   * Revokes the simple key now and, if UltraCart could not be reached (timeout, network, 429,
   * 5xx), keeps retrying in the background within the `revokeRetry` bounds. Resolves to how the
   * first attempt went; never rejects. Use it at sign-out, after or alongside ending the local
   * session; watch `revocations` for the outcome of the retries.
   *
   * @example
   * app.post('/logout', (req, res, next) => {
   *   const key = req.user?.simpleKey;
   *   req.logout((err) => {
   *     if (err) return next(err);
   *     if (key) void strategy.client.revokeWithRetry(key);
   *     res.redirect(303, '/');
   *   });
   * });
   */
  revokeWithRetry(userSimpleKey: string): Promise<RevocationOutcome> {
    return this.revocations.revoke(userSimpleKey);
  }

  /** A simple key UltraCart issued after `token` gave up waiting: nobody holds it, so it is revoked. */
  private revokeLateKey(res: IncomingResponse): void {
    if (res.status < 200 || res.status > 299) return;
    const body = parseJson(res.text) as { simple_key?: unknown } | undefined;
    const key = body && typeof body === 'object' ? body.simple_key : undefined;
    if (typeof key !== 'string' || key === '' || /[\r\n]/.test(key)) return;
    log.ultracart('a simple key arrived after the token call timed out: revoking it');
    void this.revokeWithRetry(key);
  }

  private userHeaders(userSimpleKey: string): Record<string, string> {
    if (typeof userSimpleKey !== 'string' || userSimpleKey === '' || /[\r\n]/.test(userSimpleKey)) {
      throw new TypeError('a user simple key is required');
    }
    return {
      accept: 'application/json',
      'accept-encoding': ACCEPT_ENCODING,
      'user-agent': USER_AGENT,
      'x-ultracart-api-version': API_VERSION,
      'x-ultracart-simple-key': userSimpleKey,
    };
  }

  private async call(call: Call): Promise<Record<string, unknown>> {
    let res: IncomingResponse;
    try {
      res = await send({
        method: call.method,
        url: call.url,
        headers: call.headers,
        body: call.body,
        timeoutMs: this.timeoutMs,
        maxBodyBytes: this.maxResponseBytes[call.endpoint],
        lane: call.endpoint === 'revoke' ? this.revokeLane : this.callLane,
        onLateResponse: call.onLateResponse,
      });
    } catch (err) {
      throw transportFailure(call.endpoint, err);
    }
    // Checked first: a disabled debug logger still costs a call and its arguments on every request.
    if (log.ultracart.enabled) log.ultracart('%s %s -> %d', call.method, call.url.pathname, res.status);
    if (res.status < 200 || res.status > 299) {
      throw httpFailure(call.endpoint, res, call.secrets, res.status === 404 ? this.notFoundHint : '');
    }
    if (call.endpoint === 'revoke') return {};

    if (!mayHoldJson(res.headers['content-type'])) {
      throw badResponse(call.endpoint, 'the response is not JSON', res);
    }
    const body = parseJson(res.text);
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw badResponse(call.endpoint, 'the response body is not a JSON object', res);
    }
    const record = body as Record<string, unknown>;
    if (record.success === false || (record.error && typeof record.error === 'object')) {
      const vendor = vendorText(record, res, call.secrets);
      throw badResponse(call.endpoint, `UltraCart reported an error with status ${res.status}${vendor.summary}`, res);
    }
    return record;
  }
}

/**
 * A JSON media type, `text/plain`, or none: UltraCart's TypeScript SDK parses any 200 as JSON, so
 * a gateway that drops or rewrites the type must not refuse a real sign-in. The body must still
 * parse as a JSON object. HTML and every other type (a captive portal, a WAF page) is refused unread.
 */
function mayHoldJson(type: string | undefined): boolean {
  if (type === undefined || type.trim() === '') return true;
  return isJsonContentType(type) || /^\s*text\/plain\s*(;|$)/i.test(type);
}
