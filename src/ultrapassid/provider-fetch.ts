import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { isJsonContentType, parseJson, parseRetryAfter, send, TransportError, type IncomingResponse } from '../http/transport.js';
import { log } from '../log.js';
import { UltrapassIdError, type UltrapassIdEndpoint } from './errors.js';

/** Discovery documents, key sets and token responses are a few kilobytes; a megabyte is an attack or a mistake. */
const MAX_BODY_BYTES = 256 * 1024;
const MAX_RETRY_AFTER_SECONDS = 300;

/**
 * UltrapassId documents "an id token and, if requested, an access token", while openid-client
 * (after RFC 6749 §5.1) refuses a token response without `access_token`. For a response that has
 * an ID token and no access token, this stand-in fills the gap on the way in, and the strategy
 * removes it before anything sees it. Random per process, so no provider can send it.
 */
export const NO_ACCESS_TOKEN = `no-access-token.${randomBytes(16).toString('base64url')}`;

const LABELS: Record<UltrapassIdEndpoint, string> = {
  discovery: 'discovery document',
  authorize: 'authorization endpoint',
  token: 'token endpoint',
  jwks: 'key set (jwks_uri)',
};

export interface ProviderFetchOptions {
  timeoutMs: number;
  dispatcher?: Dispatcher;
  /** Which endpoint a URL is, for messages and body rules. */
  endpointOf(url: string): UltrapassIdEndpoint;
}

type FetchInit = { body?: unknown; headers?: Record<string, string>; method?: string };

/**
 * A fetch for openid-client's `customFetch` that goes through the package's transport: a total
 * deadline, the bounded shared pool, capped bodies, redirects never followed. What no OpenID
 * Connect client could use (a redirect, a 5xx, HTML, malformed JSON) becomes an
 * `UltrapassIdError` here, with the status the app should answer; OAuth error bodies (400
 * `invalid_grant`) pass through for openid-client to read.
 */
export function providerFetch(options: ProviderFetchOptions): (url: string, init: FetchInit) => Promise<Response> {
  return async (url, init) => {
    const endpoint = options.endpointOf(url);
    const method = init.method === 'POST' ? 'POST' : 'GET';
    const body = bodyText(init.body);
    let res: IncomingResponse;
    try {
      res = await send({
        method,
        url: new URL(url),
        headers: { ...init.headers, ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }) },
        body,
        timeoutMs: options.timeoutMs,
        maxBodyBytes: MAX_BODY_BYTES,
        dispatcher: options.dispatcher,
      });
    } catch (err) {
      throw transportFailure(endpoint, err);
    }
    if (log.ultrapassid.enabled) log.ultrapassid('%s %s -> %d', method, LABELS[endpoint], res.status);
    const text = refuseUnusable(endpoint, res);
    return new Response(hasNoBody(res.status) ? null : text, {
      status: res.status,
      headers: responseHeaders(res),
    });
  };
}

/** Throws for an answer no client could use; returns the body text to hand on otherwise. */
function refuseUnusable(endpoint: UltrapassIdEndpoint, res: IncomingResponse): string {
  const { status } = res;
  const prefix = `UltrapassId ${LABELS[endpoint]} answered ${status}`;
  if (status >= 300 && status < 400) throw badResponse(endpoint, `${prefix}, a redirect, which is never followed`, status);
  if (status === 429 || status === 503) {
    const after = parseRetryAfter(res.headers['retry-after']);
    throw new UltrapassIdError(`${prefix}: the provider is busy or down`, {
      code: 'ULTRAPASSID_UNAVAILABLE',
      endpoint,
      status: 503,
      upstreamStatus: status,
      ...(after !== undefined && { retryAfter: Math.min(after, MAX_RETRY_AFTER_SECONDS) }),
    });
  }
  if (status >= 500) throw badResponse(endpoint, prefix, status);
  // The token endpoint answers its OAuth errors (invalid_grant, ...) as 400 JSON: openid-client reads those.
  if (status >= 400 && endpoint !== 'token') {
    const hint =
      endpoint === 'discovery' && status === 404 ? ' (no discovery here: set authorizationEndpoint, tokenEndpoint and jwksUri)' : '';
    throw badResponse(endpoint, `${prefix}${hint}`, status);
  }
  if (status < 200) throw badResponse(endpoint, prefix, status);
  const type = res.headers['content-type'];
  if (!isJsonContentType(type)) {
    throw badResponse(endpoint, `${prefix} with ${describeType(type)} instead of JSON`, status);
  }
  const json = parseJson(res.text);
  if (json === undefined || json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw badResponse(endpoint, `${prefix} with a body that is not a JSON object`, status);
  }
  if (endpoint === 'token' && status === 200) return fillAccessToken(json as Record<string, unknown>, res.text);
  return res.text;
}

function fillAccessToken(json: Record<string, unknown>, text: string): string {
  if (json.access_token !== undefined || typeof json.id_token !== 'string') return text;
  return JSON.stringify({ ...json, access_token: NO_ACCESS_TOKEN, token_type: json.token_type ?? 'bearer' });
}

function transportFailure(endpoint: UltrapassIdEndpoint, err: unknown): UltrapassIdError {
  if (err instanceof TransportError && err.kind === 'timeout') {
    return new UltrapassIdError(`UltrapassId ${LABELS[endpoint]} timed out`, { code: 'ULTRAPASSID_TIMEOUT', endpoint, status: 504 });
  }
  if (err instanceof TransportError && err.kind === 'too-large') {
    return badResponse(endpoint, `UltrapassId ${LABELS[endpoint]}: ${err.message}`);
  }
  const why = err instanceof TransportError ? err.message : 'the request could not be sent';
  return new UltrapassIdError(`UltrapassId ${LABELS[endpoint]} is unreachable: ${why}`, {
    code: 'ULTRAPASSID_UNAVAILABLE',
    endpoint,
    status: 503,
  });
}

function badResponse(endpoint: UltrapassIdEndpoint, message: string, upstreamStatus?: number): UltrapassIdError {
  return new UltrapassIdError(message, { code: 'ULTRAPASSID_BAD_RESPONSE', endpoint, status: 502, upstreamStatus });
}

function bodyText(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  // openid-client sends only forms and nothing else in the flows this strategy uses.
  throw new TypeError('UltrapassIdStrategy: unexpected request body type');
}

function hasNoBody(status: number): boolean {
  return status === 204 || status === 205 || status === 304;
}

/** Only what openid-client reads, so a hostile header value cannot make the Response constructor throw. */
function responseHeaders(res: IncomingResponse): Headers {
  const headers = new Headers();
  for (const name of ['content-type', 'www-authenticate', 'dpop-nonce', 'cache-control']) {
    const value = res.headers[name];
    if (value !== undefined) {
      try {
        headers.set(name, value);
      } catch {
        /* an unparsable header is as good as none */
      }
    }
  }
  return headers;
}

function describeType(type: string | undefined): string {
  if (!type) return 'no content type';
  const media = type.split(';', 1)[0]!.trim().toLowerCase();
  return /^[\w.+-]+\/[\w.+-]+$/.test(media) ? media : 'an unknown content type';
}
