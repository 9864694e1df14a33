/** UltraCart's `User`, as returned by `GET /sso/session/user`. Keys are UltraCart's own (snake_case). */
export interface UltraCartUser {
  user_id: number;
  login?: string;
  email?: string;
  full_name?: string;
  phone?: string;
  otp_serial_number?: string;
  api_ip_address_masks?: string[];
  groups?: Array<{ group_oid?: number; member?: boolean; name?: string }>;
  linked_accounts?: Array<{ company?: string; merchant_id?: string; selected?: boolean }>;
  login_histories?: Array<{ ip_address?: string; login?: string; login_dts?: string; user_agent?: string }>;
  notifications?: Array<Record<string, string | boolean | string[]>>;
  /** Note UltraCart's capital N in `permission_Name`. */
  permissions?: Array<{ permission_group?: string; permission_Name?: string; selected?: boolean }>;
}

/** Passport's normalized profile for an UltraCart user, with the user itself in `_json`. */
export interface UltraCartProfile {
  provider: 'ultracart';
  id: string;
  username?: string;
  displayName: string;
  emails: Array<{ value: string }>;
  _json: UltraCartUser;
}

type Shape = Record<string, 'string' | 'number' | 'boolean' | 'string[]'>;

const GROUP: Shape = { group_oid: 'number', member: 'boolean', name: 'string' };
const LINKED_ACCOUNT: Shape = { company: 'string', merchant_id: 'string', selected: 'boolean' };
const LOGIN_HISTORY: Shape = { ip_address: 'string', login: 'string', login_dts: 'string', user_agent: 'string' };
const PERMISSION: Shape = { permission_group: 'string', permission_Name: 'string', selected: 'boolean' };
const NOTIFICATION: Shape = {
  name: 'string',
  notification_group: 'string',
  selected: 'boolean',
  can_filter_by_distribution_centers: 'boolean',
  can_include_affiliate: 'boolean',
  can_include_order: 'boolean',
  can_include_order_plain_text: 'boolean',
  distribution_center_filters: 'string[]',
  include_affiliate: 'boolean',
  include_order: 'boolean',
  include_order_plain_text: 'boolean',
};
const SCALARS: Shape = {
  login: 'string',
  email: 'string',
  full_name: 'string',
  phone: 'string',
  otp_serial_number: 'string',
  api_ip_address_masks: 'string[]',
};
const LISTS: Record<string, Shape> = {
  groups: GROUP,
  linked_accounts: LINKED_ACCOUNT,
  login_histories: LOGIN_HISTORY,
  notifications: NOTIFICATION,
  permissions: PERMISSION,
};
const MAX_LIST_LENGTH = 1000;

/**
 * Copies the documented User fields, with the documented types, out of an untrusted body. Anything
 * else (unknown keys, `__proto__`, wrong types) is left behind. Returns undefined without a
 * usable `user_id`.
 */
export function toUltraCartUser(body: unknown): UltraCartUser | undefined {
  if (!isRecord(body)) return undefined;
  const userId = toUserId(body.user_id);
  if (userId === undefined) return undefined;
  const user = pick(body, SCALAR_FIELDS, { user_id: userId });
  for (const [key, shape] of LIST_FIELDS) {
    const list = body[key];
    if (Array.isArray(list))
      user[key] = list
        .slice(0, MAX_LIST_LENGTH)
        .filter(isRecord)
        .map((item) => pick(item, shape));
  }
  return user as unknown as UltraCartUser;
}

/** Builds Passport's normalized profile. */
export function toProfile(user: UltraCartUser): UltraCartProfile {
  return {
    provider: 'ultracart',
    id: String(user.user_id),
    username: user.login,
    displayName: user.full_name ?? user.login ?? String(user.user_id),
    emails: user.email ? [{ value: user.email }] : [],
    _json: user,
  };
}

function toUserId(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  return undefined;
}

type Fields = ReadonlyArray<readonly [string, Shape[string]]>;
// Listed once at load rather than on every sign-in.
const SCALAR_FIELDS: Fields = Object.entries(SCALARS);
const LIST_FIELDS = Object.entries(LISTS).map(([key, shape]) => [key, Object.entries(shape) as Fields] as const);

function pick(source: Record<string, unknown>, fields: Fields, out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, type] of fields) {
    const value = source[key];
    if (type === 'string[]') {
      if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === 'string').slice(0, MAX_LIST_LENGTH);
    } else if (typeof value === type) {
      out[key] = value;
    }
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
