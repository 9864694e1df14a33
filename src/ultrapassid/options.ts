import { refuseUnknownOptions } from '../option-schema.js';
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { UsedStateLedger } from '../state/used-states.js';
import type { StateStore } from '../ultracart/state/types.js';
import type { UltrapassIdProfile, UltrapassIdTokens } from './profile.js';

/** UltrapassId's OpenID Connect service, as its documentation names it. */
export const ULTRAPASSID_DEFAULT_ISSUER = 'https://auth.ultrapassid.com';

/** The callback a callback-style UltrapassId verify calls. */
export type UltrapassIdVerifyDone = (err: unknown, user?: unknown, info?: object) => void;

/** Called once the ID token is verified: resolve (or call `done` with) the user, or `false` to refuse. */
export type UltrapassIdVerifyFunction = (
  profile: UltrapassIdProfile,
  tokens: UltrapassIdTokens,
  done: UltrapassIdVerifyDone,
) => void | Promise<unknown>;

/** An {@link UltrapassIdVerifyFunction} that takes the request first (`passReqToCallback: true`). */
export type UltrapassIdVerifyFunctionWithRequest = (
  req: IncomingMessage,
  profile: UltrapassIdProfile,
  tokens: UltrapassIdTokens,
  done: UltrapassIdVerifyDone,
) => void | Promise<unknown>;

/** How the provider hands the code back. `fragment` is refused: a fragment never reaches a server. */
export type UltrapassIdResponseMode = 'query' | 'form_post';

export interface UltrapassIdBaseOptions {
  /** The ClientId of the Registered App in the UltraPass Portal. */
  clientId: string;
  /**
   * The absolute URL the provider sends the browser back to (`redirect_uri`), registered as a
   * Redirect URI in the Portal. https, except on a loopback host during development. No query.
   */
  callbackURL: string;
  /**
   * The issuer identifier. Default `https://auth.ultrapassid.com`. Its
   * `/.well-known/openid-configuration` is read on the first sign-in, unless the three endpoint
   * options below are given. Plain http is accepted only for loopback hosts (emulators, tests).
   */
  issuer?: string;
  /** Space-separated scopes; must include `openid`. Default `openid`. */
  scope?: string;
  /** `query` (default) or `form_post`. See the docs before choosing `form_post`: it changes which cookies arrive. */
  responseMode?: UltrapassIdResponseMode;
  /** With `tokenEndpoint` and `jwksUri`: use these endpoints and skip discovery. */
  authorizationEndpoint?: string;
  tokenEndpoint?: string;
  jwksUri?: string;
  /** Total time allowed for each call to the provider (discovery, token, key set). Default 10 000 ms. */
  timeoutMs?: number;
  /** An undici dispatcher for the calls to the provider (proxy, custom pool). Default: the package's shared pool. */
  dispatcher?: Dispatcher;
  /** Where pending sign-ins (state, PKCE verifier, nonce) are kept. Default: a `SessionStateStore`. */
  stateStore?: StateStore;
  /**
   * Where used states are recorded, so each is honoured once. Default: the process-wide in-memory
   * ledger shared by every strategy. Behind a load balancer give every instance one shared ledger
   * (a `RedisUsedStateLedger`); if it cannot be reached the callback fails with a 503.
   */
  usedStates?: UsedStateLedger;
  /** Longest time between the authorize leg and the callback. Default and maximum 10 minutes. */
  stateTtlMs?: number;
  /** A query parameter of the sign-in route whose value, if a safe same-origin path, becomes `returnTo`. Off by default. */
  returnToParam?: string;
  /** Register under another name than `ultrapassid`. */
  name?: string;
}

/** Options of an `UltrapassIdStrategy` whose verify does not take the request. */
export interface UltrapassIdStrategyOptions extends UltrapassIdBaseOptions {
  passReqToCallback?: false;
}

/** Options of an `UltrapassIdStrategy` whose verify takes the request first. */
export interface UltrapassIdStrategyOptionsWithRequest extends UltrapassIdBaseOptions {
  passReqToCallback: true;
}

/** Options passed per route, e.g. `passport.authenticate('ultrapassid', { returnTo: '/orders' })`. */
export interface UltrapassIdAuthenticateOptions {
  /** A same-origin path to come back to; anything else is ignored. Returned as `req.authInfo.returnTo`. */
  returnTo?: string;
  session?: boolean;
  successRedirect?: string;
  successReturnToOrRedirect?: string;
  failureRedirect?: string;
  failureMessage?: boolean | string;
  failWithError?: boolean;
  keepSessionInfo?: boolean;
  authInfo?: boolean;
  /** Set by `passport.authorize()`. */
  assignProperty?: string;
}

/** The options, checked once, in the shape the strategy uses. */
export interface ParsedOptions {
  clientId: string;
  callbackURL: string;
  callbackPath: string;
  issuer: URL;
  scope: string;
  responseMode: UltrapassIdResponseMode;
  endpoints: { authorization: URL; token: URL; jwks: URL } | undefined;
  timeoutMs: number;
  stateTtlMs: number;
}

const OWNER = 'UltrapassIdStrategy';
export const MAX_STATE_TTL_MS = 10 * 60 * 1000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/** True for the hosts where plain http is tolerated: this machine only. */
export function isLoopback(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}

/** An absolute https URL (http on loopback only), without userinfo or fragment. */
export function parseSecureURL(value: unknown, name: string, { allowQuery }: { allowQuery: boolean }): URL {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${OWNER}: the ${name} option must be a non-empty string`);
  if (CONTROL_OR_SPACE.test(value)) throw new TypeError(`${OWNER}: the ${name} option must not contain whitespace or control characters`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`${OWNER}: the ${name} option must be an absolute URL such as https://auth.ultrapassid.com`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new TypeError(`${OWNER}: the ${name} option must be https (plain http is allowed only on localhost, 127.0.0.1 or [::1])`);
  }
  if (url.username || url.password || url.hash) throw new TypeError(`${OWNER}: the ${name} option must not carry userinfo or a fragment`);
  if (!allowQuery && url.search) throw new TypeError(`${OWNER}: the ${name} option must not carry a query`);
  return url;
}

/** Every option `UltrapassIdStrategy` reads: any other key is a typo that would silently change nothing. */
const KNOWN_OPTIONS = [
  'clientId',
  'callbackURL',
  'issuer',
  'scope',
  'responseMode',
  'authorizationEndpoint',
  'tokenEndpoint',
  'jwksUri',
  'timeoutMs',
  'dispatcher',
  'stateStore',
  'usedStates',
  'stateTtlMs',
  'returnToParam',
  'name',
  'passReqToCallback',
] as const;

export function parseOptions(options: UltrapassIdBaseOptions): ParsedOptions {
  refuseUnknownOptions(OWNER, options, KNOWN_OPTIONS);
  const { clientId } = options;
  if (typeof clientId !== 'string' || clientId === '') throw new TypeError(`${OWNER} requires a clientId option (the Portal's ClientId)`);
  if (clientId.length > 256 || CONTROL_OR_SPACE.test(clientId)) {
    throw new TypeError(`${OWNER}: the clientId option must be at most 256 characters, without whitespace or control characters`);
  }
  if (options.callbackURL === undefined) throw new TypeError(`${OWNER} requires a callbackURL option`);
  // openid-client sends the callback URL without its query as redirect_uri, so a query would make
  // the two legs disagree.
  const callback = parseSecureURL(options.callbackURL, 'callbackURL', { allowQuery: false });
  const issuer = parseSecureURL(options.issuer ?? ULTRAPASSID_DEFAULT_ISSUER, 'issuer', { allowQuery: false });

  const scope = options.scope ?? 'openid';
  if (typeof scope !== 'string' || !scope.split(' ').includes('openid') || /[^\x21\x23-\x5b\x5d-\x7e ]/.test(scope)) {
    throw new TypeError(`${OWNER}: the scope option must be a space-separated list of scopes that includes openid`);
  }

  const responseMode = options.responseMode ?? 'query';
  if ((responseMode as string) === 'fragment') {
    throw new TypeError(
      `${OWNER}: responseMode 'fragment' cannot work in a server-side strategy: the browser never sends a URL fragment to the server. Use 'query' or 'form_post'`,
    );
  }
  if (responseMode !== 'query' && responseMode !== 'form_post') {
    throw new TypeError(`${OWNER}: the responseMode option must be 'query' or 'form_post'`);
  }

  const given = [options.authorizationEndpoint, options.tokenEndpoint, options.jwksUri].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) {
    throw new TypeError(`${OWNER}: give all three of authorizationEndpoint, tokenEndpoint and jwksUri (to skip discovery), or none`);
  }
  const endpoints =
    given === 3
      ? {
          authorization: parseSecureURL(options.authorizationEndpoint, 'authorizationEndpoint', { allowQuery: true }),
          token: parseSecureURL(options.tokenEndpoint, 'tokenEndpoint', { allowQuery: false }),
          jwks: parseSecureURL(options.jwksUri, 'jwksUri', { allowQuery: false }),
        }
      : undefined;

  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) {
    throw new TypeError(`${OWNER}: the timeoutMs option must be an integer from 1 to 120000`);
  }
  const stateTtlMs = options.stateTtlMs ?? MAX_STATE_TTL_MS;
  if (typeof stateTtlMs !== 'number' || !Number.isInteger(stateTtlMs) || stateTtlMs < 1000 || stateTtlMs > MAX_STATE_TTL_MS) {
    throw new TypeError(`${OWNER}: the stateTtlMs option must be an integer from 1000 to 600000`);
  }
  if (options.returnToParam !== undefined && (typeof options.returnToParam !== 'string' || options.returnToParam === '')) {
    throw new TypeError(`${OWNER}: the returnToParam option must be a non-empty string`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new TypeError(`${OWNER}: the name option must be a non-empty string`);
  }
  return {
    clientId,
    callbackURL: callback.href,
    callbackPath: callback.pathname,
    issuer,
    scope,
    responseMode,
    endpoints,
    timeoutMs,
    stateTtlMs,
  };
}
