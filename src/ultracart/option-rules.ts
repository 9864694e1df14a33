import { baseURLRule, CONNECTION_RULES } from '../http/connection-options.js';
import { safeReturnTo } from '../http/return-to.js';
import {
  booleanRule,
  functionRule,
  integerRule,
  objectWithMethodsRule,
  optionError,
  rule,
  stringArrayRule,
  stringRule,
  type Fail,
  type OptionValues,
} from '../option-schema.js';
import type { Dispatcher } from 'undici';
import type { UsedStateLedger } from '../sign-in/used-states/ledger.js';
import type { UltraCartEndpoint } from './errors.js';
import type { RevokeRetryOptions } from './revocations.js';
import type { StateStore } from '../sign-in/pending/types.js';

/** The option schemas of `UltraCartClient` and `UltraCartStrategy`, checked once at construction. */

/** A credential sent in a header: a line break there would start another header. */
const credentialRule = rule(
  (value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || value.trim() === '' || /[\r\n]/.test(value)) fail('be a non-empty string without line breaks');
    return value;
  },
  { secret: true },
);

const ENDPOINTS: readonly UltraCartEndpoint[] = ['authorize', 'token', 'user', 'revoke'];
const isPositiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

/** One bound for every endpoint, or some endpoints' bounds (the others keep their defaults). */
const maxResponseBytesRule = rule((value: unknown, fail: Fail): number | Partial<Record<UltraCartEndpoint, number>> => {
  if (isPositiveInteger(value)) return value;
  const must = 'be a positive integer, or an object of them per endpoint (authorize, token, user, revoke)';
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(must);
  const bounds: Partial<Record<UltraCartEndpoint, number>> = {};
  for (const [endpoint, bound] of Object.entries(value)) {
    if (!ENDPOINTS.includes(endpoint as UltraCartEndpoint))
      fail(`not name ${JSON.stringify(endpoint.slice(0, 40))}, which is not an endpoint (authorize, token, user, revoke)`);
    if (!isPositiveInteger(bound)) fail(must);
    bounds[endpoint as UltraCartEndpoint] = bound;
  }
  return bounds;
});

const REVOKE_RETRY_KEYS = ['attempts', 'withinMs', 'firstDelayMs'];
const revokeRetryRule = rule((value: unknown, fail: Fail): RevokeRetryOptions | false => {
  if (value === false) return false;
  const must = 'be false, or an object { attempts, withinMs, firstDelayMs } of positive integers';
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(must);
  const retry: Record<string, number> = {};
  for (const [key, setting] of Object.entries(value)) {
    if (setting === undefined) continue;
    if (!REVOKE_RETRY_KEYS.includes(key) || !isPositiveInteger(setting)) fail(must);
    retry[key] = setting;
  }
  return retry as RevokeRetryOptions;
});

export const ULTRACART_CONNECTION_SCHEMA = {
  simpleKey: credentialRule,
  accessToken: credentialRule,
  baseURL: baseURLRule,
  ...CONNECTION_RULES,
  maxResponseBytes: maxResponseBytesRule,
  revokeDispatcher: objectWithMethodsRule<Dispatcher>(['request']),
  revokeRetry: revokeRetryRule,
};

export type UltraCartConnectionValues = OptionValues<typeof ULTRACART_CONNECTION_SCHEMA>;

/** The application's credential and the header it goes in; `owner` names the class the user called. */
export function credentialOf(owner: string, values: UltraCartConnectionValues): { simpleKey: string } | { accessToken: string } {
  const { simpleKey, accessToken } = values;
  if (simpleKey !== undefined && accessToken !== undefined) {
    throw optionError(owner, 'takes exactly one of the simpleKey and accessToken options, not both');
  }
  if (simpleKey !== undefined) return { simpleKey };
  if (accessToken !== undefined) return { accessToken };
  throw new TypeError(`${owner} requires a simpleKey option (or an accessToken option)`);
}

export const MAX_STATE_TTL_MS = 10 * 60 * 1000;
export const DEFAULT_VERIFY_TIMEOUT_MS = 30_000;
export const DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS = 60 * 60 * 1000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Sent verbatim as `redirect_uri`, so the string is checked and kept as written. */
const callbackURLRule = rule(
  (value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || value === '') fail('be an absolute https URL');
    if (value.trim() !== value || /[\u0000-\u001f\u007f]/.test(value)) fail('not contain whitespace or control characters');
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail('be an absolute URL such as https://shop.example.com/auth/ultracart/callback');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
      fail('be https (plain http is allowed only on localhost)');
    }
    if (url.username || url.password || url.hash) fail('not carry userinfo or a fragment');
    return value;
  },
  { required: true },
);

/** A same-origin path the already signed-in user is sent to, or `false` to fail the callback instead. */
const signedInRedirectRule = rule((value: unknown, fail: Fail): string | false => {
  if (value === false) return false;
  const path = safeReturnTo(value);
  if (path === undefined || path !== value) fail('be false or a same-origin path such as /account (starting with a single /)');
  return path;
});

export const STRATEGY_SCHEMA = {
  ...ULTRACART_CONNECTION_SCHEMA,
  callbackURL: callbackURLRule,
  passReqToCallback: booleanRule(),
  name: stringRule({ nonEmpty: true }),
  allowedRedirectOrigins: stringArrayRule(),
  stateStore: objectWithMethodsRule<StateStore>(['save', 'take']),
  usedStates: objectWithMethodsRule<UsedStateLedger>(['claim']),
  stateTtlMs: integerRule(1000, MAX_STATE_TTL_MS),
  lockToIp: booleanRule(),
  returnToParam: stringRule({ nonEmpty: true }),
  signedInRedirect: signedInRedirectRule,
  verifyTimeoutMs: integerRule(1, MAX_STATE_TTL_MS),
  unknownExpiryMaxAgeMs: integerRule(1000),
};

/** The verify function, checked with the options. */
export const verifyRule = functionRule({ required: true });
