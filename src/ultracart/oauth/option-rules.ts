import type { Dispatcher } from 'undici';
import { baseURLRule, CONNECTION_RULES } from '../../http/connection-options.js';
import { integerRule, objectWithMethodsRule, rule, type Fail } from '../../option-schema.js';
import { SIGN_IN_SCHEMA } from '../../sign-in/option-rules.js';
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
  ...SIGN_IN_SCHEMA,
  merchantLookup: merchantLookupRule,
};
