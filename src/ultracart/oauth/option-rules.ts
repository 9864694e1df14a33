import type { Dispatcher } from 'undici';
import { baseURLRule, CONNECTION_RULES } from '../../http/connection-options.js';
import { booleanRule, integerRule, objectWithMethodsRule, rule, stringRule, type Fail } from '../../option-schema.js';
import type { UsedStateLedger } from '../../state/used-states.js';
import { MAX_STATE_TTL_MS } from '../option-rules.js';
import type { StateStore } from '../state/types.js';
import type { MerchantLookup } from './profile.js';

/** The option schemas of `UltraCartOAuthClient` and `UltraCartOAuthStrategy`, checked once at construction. */

/** A value sent in a form body or a header: printable, no line breaks, bounded. */
const formValueRule = <Required extends boolean = false>(flags: { required?: Required; secret?: boolean; missing?: string } = {}) =>
  rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || !/^[\x21-\x7e]{1,512}$/.test(value))
      fail('be a non-empty string of printable characters without spaces');
    return value;
  }, flags);

export const OAUTH_CLIENT_SCHEMA = {
  clientId: formValueRule({ required: true, missing: 'the Client ID of your UltraCart Developer Application' }),
  /** Absent for a public client, which then sends no secret at all (never an empty one). */
  clientSecret: formValueRule({ secret: true }),
  baseURL: baseURLRule,
  ...CONNECTION_RULES,
  maxResponseBytes: integerRule(1024),
  revokeDispatcher: objectWithMethodsRule<Dispatcher>(['request']),
};

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Sent verbatim as `redirect_uri` on both legs: UltraCart compares it with the registered one. */
const callbackURLRule = rule(
  (value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || value === '') fail('be an absolute https URL');
    if (value.trim() !== value || /[\u0000-\u001f\u007f]/.test(value)) fail('not contain whitespace or control characters');
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return fail('be an absolute URL such as https://app.example.com/connect/ultracart/callback');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
      fail('be https (plain http is allowed only on localhost)');
    }
    if (url.username || url.password || url.hash) fail('not carry userinfo or a fragment');
    return value;
  },
  { required: true },
);

/** A path under `baseURL` whose JSON answer carries `merchant_id`, or an object saying how to read it. */
const merchantLookupRule = rule((value: unknown, fail: Fail): MerchantLookup | false => {
  if (value === false) return false;
  const must = 'be false, a path such as /item/items?_limit=1, or { path, read? }';
  const lookup = typeof value === 'string' ? { path: value } : value;
  if (!lookup || typeof lookup !== 'object' || Array.isArray(lookup)) fail(must);
  const { path, read, ...rest } = lookup as { path?: unknown; read?: unknown };
  if (Object.keys(rest).length > 0) fail(must);
  if (typeof path !== 'string' || !/^\/[\x21-\x7e]*$/.test(path) || path.startsWith('//') || path.includes('..')) fail(must);
  if (read !== undefined && typeof read !== 'function') fail(`${must}, read being a function`);
  return { path, ...(read !== undefined && { read: read as MerchantLookup['read'] }) };
});

export const OAUTH_STRATEGY_SCHEMA = {
  ...OAUTH_CLIENT_SCHEMA,
  callbackURL: callbackURLRule,
  passReqToCallback: booleanRule(),
  name: stringRule({ nonEmpty: true }),
  stateStore: objectWithMethodsRule<StateStore>(['save', 'take']),
  usedStates: objectWithMethodsRule<UsedStateLedger>(['claim']),
  stateTtlMs: integerRule(1000, MAX_STATE_TTL_MS),
  returnToParam: stringRule({ nonEmpty: true }),
  verifyTimeoutMs: integerRule(1, MAX_STATE_TTL_MS),
  merchantLookup: merchantLookupRule,
};
