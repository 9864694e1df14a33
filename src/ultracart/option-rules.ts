import { baseURLRule, CONNECTION_RULES } from '../http/connection-options.js';
import {
  booleanRule,
  integerRule,
  objectWithMethodsRule,
  optionError,
  rule,
  stringArrayRule,
  type Fail,
  type OptionValues,
} from '../option-schema.js';
import type { Dispatcher } from 'undici';
import type { UltraCartEndpoint } from './errors.js';
import type { RevokeRetryOptions } from './revocations.js';
import { SIGN_IN_SCHEMA } from '../sign-in/option-rules.js';

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

export const DEFAULT_UNKNOWN_EXPIRY_MAX_AGE_MS = 60 * 60 * 1000;

export const STRATEGY_SCHEMA = {
  ...ULTRACART_CONNECTION_SCHEMA,
  ...SIGN_IN_SCHEMA,
  allowedRedirectOrigins: stringArrayRule(),
  lockToIp: booleanRule(),
  unknownExpiryMaxAgeMs: integerRule(1000),
};
