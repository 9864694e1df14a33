import { baseURLRule, CONNECTION_RULES } from '../http/connection-options.js';
import { functionRule, integerRule, rule, stringArrayRule, stringRule, type Fail } from '../option-schema.js';

/** The option schemas of `UAuthClient` and `uauth()`, checked once at construction. */

const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set([
  'host',
  'accept',
  'accept-encoding',
  'user-agent',
  'content-type',
  'content-length',
  'connection',
  'transfer-encoding',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a workflow key in the documented form, a UUID. */
export function isWorkflowKey(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The Client API hosts UltrapassId has documented: the v1.0 document's (a development host), then
 * the two its later docs moved the REST API to. None is known to be the production host for your
 * organization, so `baseURL` is required rather than defaulted to one of them.
 */
export const UAUTH_DOCUMENTED_BASE_URLS = [
  'https://dev-clientapi-a53fz2ohf.azurewebsites.net/api',
  'https://api.ultrapassid.com/core',
  'https://api.ultrapassid.com/client',
] as const;

const BASE_URL_HELP =
  'the UltrapassId Client API base URL given to your organization ' +
  `(UltrapassId has documented ${UAUTH_DOCUMENTED_BASE_URLS.join(', ')}; the first is a development host), ` +
  "or the emulator's url in tests";

/** Required, with no default: a default that is a development host would fail only in production. */
const uauthBaseURLRule = rule(
  (value: unknown, fail: Fail) => {
    if (value === '') fail(`be ${BASE_URL_HELP}`);
    return baseURLRule.read(value, fail);
  },
  { required: true, missing: BASE_URL_HELP },
);

export const UAUTH_CONNECTION_SCHEMA = {
  organizationKey: rule(
    (value: unknown, fail: Fail) => {
      if (typeof value !== 'string' || value.trim() === '') fail('be a non-empty string');
      if (/[\u0000-\u001f\u007f]/.test(value)) fail('not contain control characters');
      return value;
    },
    { required: true, secret: true },
  ),
  baseURL: uauthBaseURLRule,
  apiKeyHeader: rule((value: unknown, fail: Fail) => {
    if (typeof value !== 'string' || !HEADER_TOKEN.test(value)) fail('be an HTTP header name such as x-upid-api-key');
    const name = value.toLowerCase();
    if (RESERVED_HEADERS.has(name)) fail(`not be ${name}, a header the client sets itself`);
    return name;
  }),
  ...CONNECTION_RULES,
  maxResponseBytes: integerRule(1),
};

export const UAUTH_MIDDLEWARE_SCHEMA = {
  ...UAUTH_CONNECTION_SCHEMA,
  workflowKey: rule(
    (value: unknown, fail: Fail) => {
      if (typeof value === 'function') return value as (req: never) => unknown;
      if (!isWorkflowKey(value)) fail('be a UUID such as 322dbc7a-0a8a-452a-ba6d-c3e893f29ecc, or a function returning one');
      return value;
    },
    { required: true },
  ),
  allowedRedirectOrigins: stringArrayRule(),
  sessionKey: stringRule({ nonEmpty: true }),
  onSession: functionRule(),
};
