import type { Dispatcher } from 'undici';
import { readOptions } from '../option-schema.js';
import { log } from '../log.js';
import { laneFor, type ConnectionLane } from '../http/connection-lane.js';
import { ACCEPT_ENCODING, isJsonContentType, parseJson, send, type IncomingResponse } from '../http/transport.js';
import { USER_AGENT } from '../http/user-agent.js';
import { badResponse, httpFailure, isTextPlain, transportFailure, UAUTH_CALL_LABELS, UAuthApiError, type UAuthEndpoint } from './errors.js';
import { isWorkflowKey, UAUTH_CONNECTION_SCHEMA } from './option-rules.js';
import { readCachedSessionBody, readCreateSessionBody, type CachedWorkflowSession } from './response-shapes.js';

export { UAUTH_DOCUMENTED_BASE_URLS } from './option-rules.js';
/** The documented key header. Later vendor docs name `x-upid-api-key` instead. */
export const UAUTH_DEFAULT_API_KEY_HEADER = 'x-upid-organization-key';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
// The documented session ids are 32 hex characters; allow other URL-safe ids, but nothing that
// could change the path we build.
const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** How to reach UltrapassId's Client API and which organization key to use. */
export interface UAuthConnectionOptions {
  /**
   * The organization's API key. Sent in the `apiKeyHeader` header; never logged or put in an error.
   * May be typed `string | undefined`, as `process.env` gives it: undefined is refused at construction.
   */
  organizationKey: string | undefined;
  /**
   * Required: the Client API base URL UltrapassId gave your organization, or the emulator's `url`
   * in tests. There is no default: the hosts UltrapassId has documented are a development host
   * (`https://dev-clientapi-a53fz2ohf.azurewebsites.net/api`) and `https://api.ultrapassid.com/core`
   * or `/client` from later docs, and a wrong one fails only in production.
   */
  baseURL: string | undefined;
  /** The header carrying `organizationKey`. Default `x-upid-organization-key`; newer docs name `x-upid-api-key`. */
  apiKeyHeader?: string | undefined;
  /** Total time allowed for each call, headers and body included. Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** Largest response body accepted. Default 64 KiB. */
  maxResponseBytes?: number | undefined;
  /** An undici dispatcher (pool, agent, mock) instead of the package's own keep-alive pool; allow it 128 connections per origin. */
  dispatcher?: Dispatcher | undefined;
}

/** A cached workflow instance session: where to send the browser. */
export interface CreatedSession {
  /** The URL UltrapassId returned. Not yet checked against any redirect policy: `uauth()` does that. */
  getSessionUrl: string;
  /**
   * The `sessionId` query parameter of `getSessionUrl` (the documented form), or null when the URL
   * carries none that is URL-safe. That this is the session's id is inferred, not documented.
   */
  sessionId: string | null;
}

export type { CachedWorkflowSession } from './response-shapes.js';
export { isWorkflowKey } from './option-rules.js';

interface Call {
  endpoint: UAuthEndpoint;
  method: 'GET' | 'POST';
  url: URL;
  body?: string;
  /** Values that must not appear in an error message even if UltrapassId echoes them. */
  secrets: string[];
}

/**
 * UltrapassId's UAuth Client API: cache a workflow instance session, and read one back. Each call
 * is made once (a cached session is not idempotent), with a total timeout, a response size cap,
 * and no redirect followed.
 *
 * @example
 * const client = new UAuthClient({ organizationKey: process.env.UPID_ORGANIZATION_KEY!, baseURL });
 * const { getSessionUrl, sessionId } = await client.createSession('322dbc7a-0a8a-452a-ba6d-c3e893f29ecc');
 * const { workflowKey, policyId, clientRedirectUrl } = await client.getSession(sessionId!);
 */
export class UAuthClient {
  readonly baseURL: string;
  readonly apiKeyHeader: string;
  private readonly organizationKey: string;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly lane: ConnectionLane;
  private readonly sessionURL: URL;

  constructor(options: UAuthConnectionOptions) {
    const values = readOptions('UAuthClient', options, UAUTH_CONNECTION_SCHEMA);
    this.organizationKey = values.organizationKey;
    this.apiKeyHeader = values.apiKeyHeader ?? UAUTH_DEFAULT_API_KEY_HEADER;
    this.baseURL = values.baseURL;
    this.timeoutMs = values.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxResponseBytes = values.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.sessionURL = new URL(`${this.baseURL}/uauth/session`);
    this.lane = laneFor(values.dispatcher, this.sessionURL.origin);
  }

  /**
   * `POST /uauth/session`: caches a workflow instance session and returns the URL to send the
   * browser to. Never retried: each call may create (and bill) a session.
   */
  async createSession(workflowKey: string): Promise<CreatedSession> {
    if (!isWorkflowKey(workflowKey)) {
      throw new UAuthApiError('UltrapassId POST /uauth/session not sent: the workflow key is not a UUID', {
        code: 'UAUTH_CONFIGURATION',
        endpoint: 'createSession',
        status: 500,
      });
    }
    const { res, body } = await this.call({
      endpoint: 'createSession',
      method: 'POST',
      url: this.sessionURL,
      body: JSON.stringify({ workflowKey }),
      secrets: [this.organizationKey],
    });
    const getSessionUrl = readCreateSessionBody(body)?.getSessionUrl;
    if (typeof getSessionUrl !== 'string' || getSessionUrl === '') {
      throw badResponse('createSession', 'the response has no getSessionUrl string', res);
    }
    return { getSessionUrl, sessionId: sessionIdOf(getSessionUrl) };
  }

  /** `GET /uauth/session/{sessionId}`: the workflow a cached session runs, in one normalised shape. */
  async getSession(sessionId: string): Promise<CachedWorkflowSession> {
    if (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId)) {
      throw new UAuthApiError('UltrapassId GET /uauth/session/{sessionId} not sent: the session id is not a URL-safe token', {
        code: 'UAUTH_SESSION_INVALID',
        endpoint: 'getSession',
        status: 400,
      });
    }
    const { res, body } = await this.call({
      endpoint: 'getSession',
      method: 'GET',
      url: new URL(`${this.sessionURL.href}/${encodeURIComponent(sessionId)}`),
      secrets: [this.organizationKey, sessionId],
    });
    const session = readCachedSessionBody(body);
    if (!session) throw badResponse('getSession', 'the response has no workflowKey', res);
    return session;
  }

  private async call(call: Call): Promise<{ res: IncomingResponse; body: unknown }> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'accept-encoding': ACCEPT_ENCODING,
      'user-agent': USER_AGENT,
      [this.apiKeyHeader]: this.organizationKey,
    };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    let res: IncomingResponse;
    try {
      res = await send({
        method: call.method,
        url: call.url,
        headers,
        body: call.body,
        timeoutMs: this.timeoutMs,
        maxBodyBytes: this.maxResponseBytes,
        lane: this.lane,
      });
    } catch (err) {
      throw transportFailure(call.endpoint, err);
    }
    if (log.uauth.enabled) log.uauth('%s -> %d', UAUTH_CALL_LABELS[call.endpoint], res.status);
    if (res.status !== 200 && res.status !== 201) throw httpFailure(call.endpoint, res, call.secrets);
    if (!acceptedContentType(res.headers['content-type'])) {
      throw badResponse(call.endpoint, 'the response is not JSON', res);
    }
    const body = parseJson(res.text);
    if (body === undefined) throw badResponse(call.endpoint, 'the response body is not valid JSON', res);
    return { res, body };
  }
}

/**
 * JSON media types, and `text/plain`: the vendor's examples show bodies as JSON text in a string,
 * which is what an ASP.NET action returning a string serves as `text/plain`. HTML and everything
 * else (a captive portal, a WAF page) is refused unread.
 */
function acceptedContentType(value: string | undefined): boolean {
  return isJsonContentType(value) || isTextPlain(value);
}

function sessionIdOf(getSessionUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(getSessionUrl);
  } catch {
    return null;
  }
  const values = url.searchParams.getAll('sessionId');
  return values.length === 1 && SESSION_ID.test(values[0]!) ? values[0]! : null;
}
