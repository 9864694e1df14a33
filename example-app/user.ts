import type { UltraCartProfile, UltraCartToken } from 'passport-ultracart';

/** One UltraCart permission as the profile page lists it. */
export interface AppPermission {
  group: string;
  name: string;
  granted: boolean;
}

/**
 * The signed-in user as this app keeps it in the session. The simple key stays server-side (in
 * the session store) so sign-out can revoke it; no page ever shows it.
 */
export interface AppUser {
  id: string;
  login: string | undefined;
  name: string;
  email: string | undefined;
  permissions: AppPermission[];
  simpleKey: string;
  /** ISO-8601, or null when UltraCart gave no expiry. */
  keyExpiresAt: string | null;
}

/** The verify function's work: turn UltraCart's answer into the app's user. */
export function toAppUser(simpleKey: string, token: UltraCartToken, profile: UltraCartProfile): AppUser {
  const user = profile._json;
  return {
    id: profile.id,
    login: profile.username,
    name: profile.displayName,
    email: profile.emails[0]?.value,
    // UltraCart spells it permission_Name, with a capital N.
    permissions: (user.permissions ?? []).map((p) => ({
      group: p.permission_group ?? '',
      name: p.permission_Name ?? '',
      granted: p.selected === true,
    })),
    simpleKey,
    keyExpiresAt: token.expiresAt ? token.expiresAt.toISOString() : null,
  };
}

/** Reads the user from `req.user`, or undefined when nobody is signed in. */
export function currentUser(req: { user?: unknown }): AppUser | undefined {
  const user = req.user as Partial<AppUser> | undefined;
  return user && typeof user.id === 'string' && typeof user.simpleKey === 'string' ? (user as AppUser) : undefined;
}
