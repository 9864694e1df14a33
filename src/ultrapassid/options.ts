import type { IncomingMessage } from 'node:http';
import {
  booleanRule,
  integerRule,
  objectWithMethodsRule,
  optionError,
  readOptions,
  rule,
  stringRule,
  type Fail,
} from '../option-schema.js';
import type { Dispatcher } from 'undici';
import type { UsedStateLedger } from '../sign-in/used-states/ledger.js';
import type { StateStore } from '../sign-in/pending/types.js';
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

/** A URL the browser or the strategy will be sent to: https (http on loopback), no userinfo or fragment. */
function secureURLRule<Required extends boolean = false>(allowQuery: boolean, flags: { required?: Required; missing?: string } = {}) {
  return rule((value: unknown, fail: Fail): URL => {
    if (typeof value !== 'string' || value === '') fail('be a non-empty string');
    if (CONTROL_OR_SPACE.test(value)) fail('not contain whitespace or control characters');
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      fail('be an absolute URL such as https://auth.ultrapassid.com');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
      fail('be https (plain http is allowed only on localhost, 127.0.0.1 or [::1])');
    }
    if (url.username || url.password || url.hash) fail('not carry userinfo or a fragment');
    if (!allowQuery && url.search) fail('not carry a query');
    return url;
  }, flags);
}

/** The option schema of `UltrapassIdStrategy`, checked once at construction. */
const STRATEGY_SCHEMA = {
  clientId: rule(
    (value: unknown, fail: Fail) => {
      if (typeof value !== 'string' || value.length > 256 || CONTROL_OR_SPACE.test(value)) {
        fail('be a string of at most 256 characters, without whitespace or control characters');
      }
      return value;
    },
    { required: true, missing: "the Portal's ClientId" },
  ),
  // openid-client sends the callback URL without its query as redirect_uri, so a query would make
  // the two legs disagree.
  callbackURL: secureURLRule(false, { required: true }),
  issuer: secureURLRule(false),
  scope: rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || !value.split(' ').includes('openid') || /[^\x21\x23-\x5b\x5d-\x7e ]/.test(value)) {
      fail('be a space-separated list of scopes that includes openid');
    }
    return value;
  }),
  responseMode: rule((value: unknown, fail: Fail): UltrapassIdResponseMode => {
    if (value === 'fragment') {
      fail(
        "not be 'fragment', which cannot work in a server-side strategy: the browser never sends a URL fragment to the server. Use 'query' or 'form_post'",
      );
    }
    if (value !== 'query' && value !== 'form_post') fail("be 'query' or 'form_post'");
    return value;
  }),
  authorizationEndpoint: secureURLRule(true),
  tokenEndpoint: secureURLRule(false),
  jwksUri: secureURLRule(false),
  timeoutMs: integerRule(1, 120_000),
  dispatcher: objectWithMethodsRule<Dispatcher>(['dispatch']),
  stateStore: objectWithMethodsRule<StateStore>(['save', 'take']),
  usedStates: objectWithMethodsRule<UsedStateLedger>(['claim']),
  stateTtlMs: integerRule(1000, MAX_STATE_TTL_MS),
  returnToParam: stringRule({ nonEmpty: true }),
  name: stringRule({ nonEmpty: true }),
  passReqToCallback: booleanRule(),
} as const;

export function parseOptions(options: UltrapassIdBaseOptions): ParsedOptions {
  const read = readOptions(OWNER, options, STRATEGY_SCHEMA);
  const callback = read.callbackURL;
  const endpointsGiven = [read.authorizationEndpoint, read.tokenEndpoint, read.jwksUri].filter((v) => v !== undefined).length;
  if (endpointsGiven !== 0 && endpointsGiven !== 3) {
    throw optionError(OWNER, 'give all three of authorizationEndpoint, tokenEndpoint and jwksUri (to skip discovery), or none');
  }
  const endpoints =
    endpointsGiven === 3 ? { authorization: read.authorizationEndpoint!, token: read.tokenEndpoint!, jwks: read.jwksUri! } : undefined;
  return {
    clientId: read.clientId,
    callbackURL: callback.href,
    callbackPath: callback.pathname,
    issuer: read.issuer ?? new URL(ULTRAPASSID_DEFAULT_ISSUER),
    scope: read.scope ?? 'openid',
    responseMode: read.responseMode ?? 'query',
    endpoints,
    timeoutMs: read.timeoutMs ?? 10_000,
    stateTtlMs: read.stateTtlMs ?? MAX_STATE_TTL_MS,
  };
}
