import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import { isSecureOrLoopback } from '../http/loopback.js';
import { integerRule, objectWithMethodsRule, optionError, readOptions, rule, type Fail } from '../option-schema.js';
import { SIGN_IN_SCHEMA, type SignInOptionValues } from '../sign-in/option-rules.js';
import type { SignInOptions } from '../sign-in/options.js';
import type { VerifyDone } from '../sign-in/run-verify.js';
import type { SignInRouteOptions } from '../sign-in/strategy.js';
import type { UltrapassIdProfile, UltrapassIdTokens } from './profile.js';

/** UltrapassId's OpenID Connect service, as its documentation names it. */
export const ULTRAPASSID_DEFAULT_ISSUER = 'https://auth.ultrapassid.com';

/** The callback a callback-style UltrapassId verify calls. */
export type UltrapassIdVerifyDone = VerifyDone;

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

export interface UltrapassIdBaseOptions extends SignInOptions {
  /** The ClientId of the Registered App in the UltraPass Portal. */
  clientId: string | undefined;
  /**
   * The absolute URL the provider sends the browser back to (`redirect_uri`), registered as a
   * Redirect URI in the Portal. https, except on a loopback host during development. No query.
   */
  callbackURL: string | undefined;
  /**
   * The issuer identifier. Default `https://auth.ultrapassid.com`. Its
   * `/.well-known/openid-configuration` is read on the first sign-in, unless the three endpoint
   * options below are given. Plain http is accepted only for loopback hosts (emulators, tests).
   */
  issuer?: string | undefined;
  /** Space-separated scopes; must include `openid`. Default `openid`. */
  scope?: string | undefined;
  /** `query` (default) or `form_post`. See the docs before choosing `form_post`: it changes which cookies arrive. */
  responseMode?: UltrapassIdResponseMode | undefined;
  /** With `tokenEndpoint` and `jwksUri`: use these endpoints and skip discovery. */
  authorizationEndpoint?: string | undefined;
  tokenEndpoint?: string | undefined;
  jwksUri?: string | undefined;
  /** Total time allowed for each call to the provider (discovery, token, key set). Default 10 000 ms. */
  timeoutMs?: number | undefined;
  /** An undici dispatcher for the calls to the provider (proxy, custom pool). Default: the package's shared pool. */
  dispatcher?: Dispatcher | undefined;
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
export interface UltrapassIdAuthenticateOptions extends SignInRouteOptions {
  session?: boolean | undefined;
  successRedirect?: string | undefined;
  successReturnToOrRedirect?: string | undefined;
  failureRedirect?: string | undefined;
  failureMessage?: boolean | string | undefined;
  failWithError?: boolean | undefined;
  keepSessionInfo?: boolean | undefined;
  authInfo?: boolean | undefined;
}

/** The provider's options, checked once, in the shape the strategy and the provider use. */
export interface ParsedOptions {
  clientId: string;
  /** `callbackURL` as the URL parser writes it: openid-client sends it so on the token call. */
  redirectURI: string;
  issuer: URL;
  scope: string;
  responseMode: UltrapassIdResponseMode;
  endpoints: { authorization: URL; token: URL; jwks: URL } | undefined;
  timeoutMs: number;
}

const OWNER = 'UltrapassIdStrategy';
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

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
    if (!isSecureOrLoopback(url)) {
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
  ...SIGN_IN_SCHEMA,
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
} as const;

export function parseOptions(options: UltrapassIdBaseOptions): { provider: ParsedOptions; signIn: SignInOptionValues } {
  const read = readOptions(OWNER, options, STRATEGY_SCHEMA);
  const callback = new URL(read.callbackURL);
  // openid-client sends the callback URL without its query as redirect_uri, so a query would make
  // the two legs disagree.
  if (callback.search) throw optionError(OWNER, 'the callbackURL option must not carry a query');
  const endpointsGiven = [read.authorizationEndpoint, read.tokenEndpoint, read.jwksUri].filter((v) => v !== undefined).length;
  if (endpointsGiven !== 0 && endpointsGiven !== 3) {
    throw optionError(OWNER, 'give all three of authorizationEndpoint, tokenEndpoint and jwksUri (to skip discovery), or none');
  }
  const endpoints =
    endpointsGiven === 3 ? { authorization: read.authorizationEndpoint!, token: read.tokenEndpoint!, jwks: read.jwksUri! } : undefined;
  return {
    provider: {
      clientId: read.clientId,
      redirectURI: callback.href,
      issuer: read.issuer ?? new URL(ULTRAPASSID_DEFAULT_ISSUER),
      scope: read.scope ?? 'openid',
      responseMode: read.responseMode ?? 'query',
      endpoints,
      timeoutMs: read.timeoutMs ?? 10_000,
    },
    signIn: read,
  };
}
