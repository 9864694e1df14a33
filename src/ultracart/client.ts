import type { Dispatcher } from 'undici';
import { log } from '../log.js';
import { isJsonContentType, parseJson, send, type IncomingResponse } from '../http/transport.js';
import { parseBaseURL, positiveInteger } from '../http/connection-options.js';
import { badResponse, httpFailure, transportFailure, vendorText, type UltraCartEndpoint } from './errors.js';
import { toUltraCartUser, type UltraCartUser } from './user.js';

export const DEFAULT_BASE_URL = 'https://secure.ultracart.com/rest/v2';
export const API_VERSION = '2017-03-01';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/** How to reach UltraCart and which application credential to use. */
export interface UltraCartConnectionOptions {
  /** The application's simple key, sent as `x-ultracart-simple-key`. Exactly one of this and `accessToken`. */
  simpleKey?: string;
  /** An OAuth access token, sent as `Authorization: Bearer`. Exactly one of this and `simpleKey`. */
  accessToken?: string;
  /** Default `https://secure.ultracart.com/rest/v2`; the emulator's `url` in tests. */
  baseURL?: string;
  /** Total time allowed for each call, headers and body included. Default 10 000 ms. */
  timeoutMs?: number;
  /** Largest response body accepted. Default 64 KiB. */
  maxResponseBytes?: number;
  /** An undici dispatcher (pool, agent, mock) instead of the shared keep-alive agent. */
  dispatcher?: Dispatcher;
}

export interface AuthorizeResponse {
  /** Where UltraCart wants the browser to go. Not yet checked against any redirect policy. */
  loginUrl: string;
  /** When this login attempt times out at UltraCart, or null when it was absent or unreadable. */
  expiresAt: Date | null;
}

export interface TokenResponse {
  /** The user's simple key: it acts as that UltraCart user. */
  simpleKey: string;
  expiresAt: Date | null;
  /** `expiration_dts` as sent, so a caller can tell "absent" from "unreadable". */
  expirationDts: string | undefined;
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
  private readonly maxResponseBytes: number;
  private readonly dispatcher: Dispatcher | undefined;
  private readonly urls: Record<UltraCartEndpoint, URL>;

  constructor(options: UltraCartConnectionOptions) {
    if (!options || typeof options !== 'object') throw new TypeError('UltraCartClient requires an options object');
    const { simpleKey, accessToken } = options;
    if (simpleKey !== undefined && accessToken !== undefined) {
      throw new TypeError('UltraCartClient takes exactly one of the simpleKey and accessToken options, not both');
    }
    const credential = simpleKey ?? accessToken;
    if (typeof credential !== 'string' || credential.trim() === '') {
      throw new TypeError('UltraCartClient requires a simpleKey option (or an accessToken option)');
    }
    if (/[\r\n]/.test(credential)) throw new TypeError('UltraCartClient: the credential contains a line break');
    this.baseURL = parseBaseURL(options.baseURL ?? DEFAULT_BASE_URL, 'UltraCartClient');
    this.timeoutMs = positiveInteger(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'UltraCartClient', 'timeoutMs');
    this.maxResponseBytes = positiveInteger(options.maxResponseBytes, DEFAULT_MAX_RESPONSE_BYTES, 'UltraCartClient', 'maxResponseBytes');
    this.dispatcher = options.dispatcher;
    this.appSecret = credential;
    this.appJsonHeaders = {
      accept: 'application/json',
      'x-ultracart-api-version': API_VERSION,
      'content-type': 'application/json; charset=UTF-8',
      ...(simpleKey !== undefined ? { 'x-ultracart-simple-key': simpleKey } : { authorization: `Bearer ${credential}` }),
    };
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
    return { loginUrl, expiresAt: parseDateTime(body.expiration_dts) };
  }

  /** `PUT /sso/token`: trades the code from the callback for the user's simple key. Never retried. */
  async token(code: string): Promise<TokenResponse> {
    const body = await this.call({
      endpoint: 'token',
      method: 'PUT',
      url: this.urls.token,
      headers: this.appJsonHeaders,
      body: JSON.stringify({ code, grant_type: 'simple_key' }),
      secrets: [this.appSecret, code],
    });
    // A 200 is not success on its own (CVE-2021-41580): without a key there is no sign-in.
    const simpleKey = body.simple_key;
    if (typeof simpleKey !== 'string' || simpleKey === '') {
      throw badResponse('token', 'the token response has no simple_key');
    }
    const expirationDts = typeof body.expiration_dts === 'string' ? body.expiration_dts : undefined;
    const ipAddress = typeof body.ip_address === 'string' && body.ip_address !== '' ? body.ip_address : null;
    return { simpleKey, expiresAt: parseDateTime(expirationDts), expirationDts, ipAddress };
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

  /** `DELETE /sso/session/revoke`: ends the UltraCart session behind the simple key. */
  async revokeSession(userSimpleKey: string): Promise<void> {
    await this.call({
      endpoint: 'revoke',
      method: 'DELETE',
      url: this.urls.revoke,
      headers: this.userHeaders(userSimpleKey),
      secrets: [this.appSecret, userSimpleKey],
    });
  }

  private userHeaders(userSimpleKey: string): Record<string, string> {
    if (typeof userSimpleKey !== 'string' || userSimpleKey === '' || /[\r\n]/.test(userSimpleKey)) {
      throw new TypeError('a user simple key is required');
    }
    return { accept: 'application/json', 'x-ultracart-api-version': API_VERSION, 'x-ultracart-simple-key': userSimpleKey };
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
        maxBodyBytes: this.maxResponseBytes,
        dispatcher: this.dispatcher,
      });
    } catch (err) {
      throw transportFailure(call.endpoint, err);
    }
    log.ultracart('%s %s -> %d', call.method, call.url.pathname, res.status);
    if (res.status < 200 || res.status > 299) throw httpFailure(call.endpoint, res, call.secrets);
    if (call.endpoint === 'revoke') return {};

    if (!isJsonContentType(res.headers['content-type'])) {
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

/** UltraCart's date-times are ISO-8601 in practice; anything unreadable becomes null. */
export function parseDateTime(value: unknown): Date | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : new Date(at);
}
