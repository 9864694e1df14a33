import type { Dispatcher } from 'undici';
import { log } from '../../log.js';
import { ACCEPT_ENCODING, isJsonContentType, parseJson, send, type IncomingResponse } from '../../http/transport.js';
import { laneFor, type ConnectionLane } from '../../http/connection-lane.js';
import { USER_AGENT } from '../../http/user-agent.js';
import { readOptions } from '../../option-schema.js';
import { API_VERSION, DEFAULT_BASE_URL } from '../client.js';
import { badResponse, failureOf, oauthErrorOf, transportFailure, type UltraCartOAuthEndpoint } from './errors.js';
import { OAUTH_CLIENT_SCHEMA } from './option-rules.js';
import { isTokenValue, readTokens, type UltraCartOAuthTokens } from './tokens.js';

const DEFAULT_TIMEOUT_MS = 10_000;
/** Token and revoke answers are a few short strings; API answers (a page of items) get more room. */
const TOKEN_MAX_BYTES = 32 * 1024;
export const DEFAULT_API_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

/** Options of {@link UltraCartOAuthClient}; `undefined` counts as absent for every optional key. */
export interface UltraCartOAuthClientOptions {
  /** The Client ID of your UltraCart Developer Application. */
  clientId: string | undefined;
  /**
   * The application's client secret, if it has one: sent in the token form (`client_secret`).
   * Leave it out for a public client, which sends no secret field at all.
   */
  clientSecret?: string | undefined;
  /** Default `https://secure.ultracart.com/rest/v2`; the emulator's `url` in tests. */
  baseURL?: string | undefined;
  /** Total time allowed for each call, headers and body included. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** Largest API answer accepted, after decoding. Default 2 MiB (token and revoke answers: 32 KiB). */
  maxResponseBytes?: number | undefined;
  /** An undici dispatcher (pool, agent, mock) instead of the shared keep-alive agent. */
  dispatcher?: Dispatcher | undefined;
  /** The dispatcher for revocations. Default: a small pool of its own, so a disconnect is sent even while other calls stall. */
  revokeDispatcher?: Dispatcher | undefined;
}

/** What `POST /oauth/revoke` answered. */
export interface UltraCartOAuthRevocation {
  /** UltraCart's `successful`: false when it no longer knew the token (nothing left to revoke). */
  successful: boolean;
  /** UltraCart's `message`, cleaned for printing, if any. */
  message: string | undefined;
}

interface Call {
  endpoint: UltraCartOAuthEndpoint;
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
  secrets: string[];
  onLateResponse?: (res: IncomingResponse) => void;
}

/**
 * UltraCart's OAuth 2.0 token endpoints, and API calls made with the access token they grant.
 * Token and revoke calls are form-encoded; the client secret is sent in the form only when one
 * is configured. Never follows a redirect, bounds every call in time and size, and keeps every
 * token, code and the secret out of its errors and logs.
 *
 * @example
 * const client = new UltraCartOAuthClient({ clientId: process.env.ULTRACART_CLIENT_ID, clientSecret: process.env.ULTRACART_CLIENT_SECRET });
 * const tokens = await client.refresh(stored.refreshToken);
 * const items = await client.get('/item/items?_limit=10', tokens.accessToken);
 */
export class UltraCartOAuthClient {
  readonly baseURL: string;
  readonly clientId: string;
  private readonly clientSecret: string | undefined;
  /** Each call's deadline, in milliseconds. */
  readonly timeoutMs: number;
  private readonly apiMaxBytes: number;
  private readonly callLane: ConnectionLane;
  private readonly revokeLane: ConnectionLane;
  private readonly tokenURL: URL;
  private readonly revokeURL: URL;

  constructor(options: UltraCartOAuthClientOptions) {
    const values = readOptions('UltraCartOAuthClient', options, OAUTH_CLIENT_SCHEMA);
    this.clientId = values.clientId;
    this.clientSecret = values.clientSecret;
    this.baseURL = values.baseURL ?? DEFAULT_BASE_URL;
    this.timeoutMs = values.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.apiMaxBytes = values.maxResponseBytes ?? DEFAULT_API_MAX_RESPONSE_BYTES;
    const origin = new URL(this.baseURL).origin;
    this.callLane = laneFor(values.dispatcher, origin);
    this.revokeLane = laneFor(values.revokeDispatcher ?? values.dispatcher, origin, 'revoke');
    this.tokenURL = new URL(`${this.baseURL}/oauth/token`);
    this.revokeURL = new URL(`${this.baseURL}/oauth/revoke`);
  }

  /** Where the browser is sent to approve the app (`GET /oauth/authorize`). */
  get authorizeURL(): string {
    return `${this.baseURL}/oauth/authorize`;
  }

  /**
   * `POST /oauth/token` with `grant_type=authorization_code`: trades the code from the callback for
   * the merchant's tokens. `redirectUri` must be the one the authorize leg sent. Never retried.
   */
  async exchangeCode(code: string, redirectUri: string): Promise<UltraCartOAuthTokens> {
    if (!isTokenValue(code)) throw new TypeError('UltraCartOAuthClient.exchangeCode: the code must be a non-empty printable string');
    const form = this.form({ grant_type: 'authorization_code', code, redirect_uri: redirectUri });
    return this.tokenCall('exchange', form, [code], null, (res) => this.revokeLateGrant(res));
  }

  /**
   * `POST /oauth/token` with `grant_type=refresh_token`. Resolves to the new tokens; when UltraCart
   * sends no new refresh token, the one given is kept in the result. A refused refresh (revoked,
   * app disabled) rejects with code `ULTRACART_OAUTH_RECONNECT_NEEDED`.
   */
  async refresh(refreshToken: string): Promise<UltraCartOAuthTokens> {
    if (!isTokenValue(refreshToken))
      throw new TypeError('UltraCartOAuthClient.refresh: the refresh token must be a non-empty printable string');
    const form = this.form({ grant_type: 'refresh_token', refresh_token: refreshToken });
    return this.tokenCall('refresh', form, [refreshToken], refreshToken);
  }

  /**
   * `POST /oauth/revoke` (`client_id`, `token`): ends the merchant's authorization of the app. Pass
   * the access token, as UltraCart documents. Rejects on failure, with the usual codes.
   */
  async revoke(token: string): Promise<UltraCartOAuthRevocation> {
    if (!isTokenValue(token)) throw new TypeError('UltraCartOAuthClient.revoke: the token must be a non-empty printable string');
    const body = await this.call({
      endpoint: 'revoke',
      method: 'POST',
      url: this.revokeURL,
      headers: this.formHeaders,
      // UltraCart documents no secret here; the client id and the token are all it takes.
      body: new URLSearchParams({ client_id: this.clientId, token }).toString(),
      secrets: this.secretsWith([token]),
    });
    const message = typeof body.message === 'string' ? body.message.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 300) : undefined;
    return { successful: body.successful !== false, message: message?.split(token).join('[redacted]') };
  }

  /**
   * One REST call with the merchant's access token (`Authorization: Bearer`), e.g.
   * `get('/item/items?_limit=10', accessToken)`. Resolves to the JSON object UltraCart answered.
   * A refused token rejects with code `ULTRACART_OAUTH_TOKEN_REJECTED` (refresh and retry once),
   * a disabled app with `ULTRACART_OAUTH_RECONNECT_NEEDED`.
   */
  async get(path: string, accessToken: string): Promise<Record<string, unknown>> {
    if (typeof path !== 'string' || !/^\/[\x21-\x7e]*$/.test(path) || path.startsWith('//')) {
      throw new TypeError('UltraCartOAuthClient.get: the path must start with a single / and hold no spaces, e.g. /item/items');
    }
    if (!isTokenValue(accessToken)) throw new TypeError('UltraCartOAuthClient.get: the access token must be a non-empty printable string');
    const url = new URL(`${this.baseURL}${path}`);
    // A path that climbs out of the base (`/../..`) would send the token elsewhere on the host.
    if (url.origin !== new URL(this.baseURL).origin || !url.pathname.startsWith(new URL(this.baseURL).pathname)) {
      throw new TypeError('UltraCartOAuthClient.get: the path must stay under baseURL');
    }
    return this.call({
      endpoint: 'api',
      method: 'GET',
      url,
      headers: { ...this.baseHeaders, authorization: `Bearer ${accessToken}` },
      secrets: this.secretsWith([accessToken]),
    });
  }

  private readonly baseHeaders: Readonly<Record<string, string>> = {
    accept: 'application/json',
    'accept-encoding': ACCEPT_ENCODING,
    'user-agent': USER_AGENT,
    'x-ultracart-api-version': API_VERSION,
  };

  private readonly formHeaders: Readonly<Record<string, string>> = {
    ...this.baseHeaders,
    'content-type': 'application/x-www-form-urlencoded',
  };

  /**
   * Tokens UltraCart granted after `exchangeCode` gave up waiting: nobody will ever hold them, and
   * they act for the merchant's whole account, so they are revoked (once; a failure is only logged).
   */
  private revokeLateGrant(res: IncomingResponse): void {
    if (res.status < 200 || res.status > 299) return;
    const body = parseJson(res.text) as { access_token?: unknown } | undefined;
    const token = body && typeof body === 'object' ? body.access_token : undefined;
    if (!isTokenValue(token)) return;
    log.ultracart('OAuth tokens arrived after the code exchange timed out: revoking them');
    this.revoke(token).catch(() => log.ultracart('revoking the late OAuth tokens failed'));
  }

  /** The token form: the client id, the grant's fields, and the secret only when there is one. */
  private form(fields: Record<string, string>): string {
    const form = new URLSearchParams({ client_id: this.clientId, ...fields });
    if (this.clientSecret !== undefined) form.set('client_secret', this.clientSecret);
    return form.toString();
  }

  private secretsWith(values: string[]): string[] {
    return this.clientSecret === undefined ? values : [...values, this.clientSecret];
  }

  private async tokenCall(
    endpoint: 'exchange' | 'refresh',
    form: string,
    secrets: string[],
    previousRefreshToken: string | null,
    onLateResponse?: (res: IncomingResponse) => void,
  ): Promise<UltraCartOAuthTokens> {
    const body = await this.call({
      endpoint,
      method: 'POST',
      url: this.tokenURL,
      headers: this.formHeaders,
      body: form,
      secrets: this.secretsWith(secrets),
      onLateResponse,
    });
    const tokens = readTokens(body, Date.now(), previousRefreshToken);
    // A 200 is not success on its own (CVE-2021-41580): without a token there is no connection.
    if ('problem' in tokens) throw badResponse(endpoint, tokens.problem);
    return tokens;
  }

  private async call(call: Call): Promise<Record<string, unknown>> {
    let res: IncomingResponse;
    const revoke = call.endpoint === 'revoke';
    try {
      res = await send({
        method: call.method,
        url: call.url,
        headers: call.headers,
        body: call.body,
        timeoutMs: this.timeoutMs,
        maxBodyBytes: call.endpoint === 'api' ? this.apiMaxBytes : TOKEN_MAX_BYTES,
        lane: revoke ? this.revokeLane : this.callLane,
        onLateResponse: call.onLateResponse,
      });
    } catch (err) {
      throw transportFailure(call.endpoint, err);
    }
    // The path only: an API call's query may name records, and never holds a secret here, but stays out anyway.
    log.ultracart('OAuth %s %s -> %d', call.method, call.url.pathname, res.status);
    if (res.status < 200 || res.status > 299) throw failureOf(call.endpoint, res, call.secrets);
    if (revoke && res.text.trim() === '') return {};
    if (!mayHoldJson(res.headers['content-type'])) throw badResponse(call.endpoint, 'the response is not JSON', res);
    const body = parseJson(res.text);
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw badResponse(call.endpoint, 'the response body is not a JSON object', res);
    const record = body as Record<string, unknown>;
    // Both error shapes can come with a 200: OAuth's `error` string, and UltraCart's `{error: {...}}` or `success: false`.
    if (oauthErrorOf(record) !== undefined || record.success === false || (record.error && typeof record.error === 'object')) {
      throw failureOf(call.endpoint, res, call.secrets);
    }
    return record;
  }
}

/** A JSON media type, `text/plain`, or none, as the SSO client accepts; HTML (a portal, a WAF page) is refused unread. */
function mayHoldJson(type: string | undefined): boolean {
  if (type === undefined || type.trim() === '') return true;
  return isJsonContentType(type) || /^\s*text\/plain\s*(;|$)/i.test(type);
}
