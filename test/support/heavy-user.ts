import type { UltraCartUser } from '../../src/index.js';

/** The shape of a busy merchant user, for testing response bounds with realistic sizes. */
export interface HeavyUserOptions {
  userId?: number;
  login?: string;
  /** Days of `login_histories`. Default 90, the window UltraCart keeps. */
  days?: number;
  /** Sign-ins per day, each one `login_histories` entry. Default 8. */
  loginsPerDay?: number;
  /** `permissions` entries. Default 250. */
  permissions?: number;
  /** `notifications` entries. Default 60. */
  notifications?: number;
}

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
];

/**
 * A `User` as `GET /sso/session/user` would return it for a busy merchant user: 90 days of
 * `login_histories`, a long permission list and many notifications. With the defaults the JSON
 * is about 200 KB, three times the 64 KiB one might guess for a user record.
 *
 * @example
 * const emulator = await startUltraCartEmulator({ users: [...DEFAULT_EMULATOR_USERS, heavyUltraCartUser()] });
 */
export function heavyUltraCartUser(options: HeavyUserOptions = {}): UltraCartUser {
  const { userId = 2001, login = 'margaret', days = 90, loginsPerDay = 8, permissions = 250, notifications = 60 } = options;
  const now = Date.UTC(2026, 11, 1, 9, 0, 0);
  const login_histories = Array.from({ length: days * loginsPerDay }, (_, i) => ({
    ip_address: `203.0.113.${(i % 250) + 1}`,
    login,
    // The local-offset form UltraCart uses for its date-times.
    login_dts: `${new Date(now - i * (86_400_000 / loginsPerDay) - 4 * 3_600_000).toISOString().slice(0, 19)}-04:00`,
    user_agent: USER_AGENTS[i % USER_AGENTS.length]!,
  }));
  return {
    user_id: userId,
    login,
    email: `${login}@example.com`,
    full_name: 'Margaret Hamilton',
    phone: '+1 555 0100',
    api_ip_address_masks: ['203.0.113.0/24'],
    groups: Array.from({ length: 12 }, (_, i) => ({ group_oid: 500 + i, member: i % 2 === 0, name: `Group ${i + 1}` })),
    linked_accounts: Array.from({ length: 5 }, (_, i) => ({ company: `Company ${i + 1}`, merchant_id: `DEMO${i + 1}`, selected: i === 0 })),
    login_histories,
    permissions: Array.from({ length: permissions }, (_, i) => ({
      permission_group: `Group ${(i % 25) + 1}`,
      permission_Name: `Permission number ${i + 1} of the merchant back office`,
      selected: i % 3 !== 0,
    })),
    notifications: Array.from({ length: notifications }, (_, i) => ({
      name: `Notification ${i + 1}`,
      notification_group: `Group ${(i % 6) + 1}`,
      selected: i % 2 === 0,
      can_filter_by_distribution_centers: true,
      can_include_affiliate: true,
      can_include_order: true,
      can_include_order_plain_text: true,
      distribution_center_filters: ['DFLT', 'EAST', 'WEST'],
      include_affiliate: false,
      include_order: i % 2 === 1,
      include_order_plain_text: false,
    })),
  };
}
