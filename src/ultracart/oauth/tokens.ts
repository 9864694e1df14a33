/**
 * What UltraCart's token endpoint granted for one merchant's connection, as the package hands it
 * to the app. Every field is a secret except `expiresAt` and the scopes: keep them server-side.
 */
export interface UltraCartOAuthTokens {
  /** Sent as `Authorization: Bearer` on API calls for this merchant. */
  accessToken: string;
  /**
   * Trades for a new access token. A refresh that brings no new one keeps this one, so it is
   * never null after a code exchange that returned one; null only when UltraCart sent none at all.
   */
  refreshToken: string | null;
  /** When the access token stops working, from `expires_in`; null when UltraCart did not say (refresh on a 401 then). */
  expiresAt: Date | null;
  /** `scope` as UltraCart sent it (one string, separator not documented), or null. */
  scope: string | null;
  /** `scope` split on spaces and commas: the permissions granted, e.g. `['item_read', 'order_read']`. */
  scopes: string[];
  /** `token_type` as sent (UltraCart sends `bearer`), or null. */
  tokenType: string | null;
}

/** Largest `expires_in` believed: a year. Larger is a unit mistake or junk, and is treated as unknown. */
const MAX_EXPIRES_IN_SECONDS = 366 * 24 * 3600;

/** `expires_in` as seconds, from a string (as every SDK declares it) or a number; undefined when unreadable. */
export function readExpiresIn(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && /^\s*\d{1,10}(?:\.\d+)?\s*$/.test(value)) seconds = Number(value);
  if (seconds === undefined || !Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_EXPIRES_IN_SECONDS) return undefined;
  return seconds;
}

/** The granted permissions out of `scope`, whose separator UltraCart does not document: spaces or commas. */
export function readScopes(scope: string | null): string[] {
  if (scope === null) return [];
  return [...new Set(scope.split(/[\s,]+/).filter((s) => /^[\w.:-]{1,100}$/.test(s)))];
}

/** A token value we would put in a header or a form: non-empty, printable ASCII, bounded. */
export function isTokenValue(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 4096 && /^[\x21-\x7e]+$/.test(value);
}

/**
 * The tokens in a token endpoint answer, or why there are none. `previousRefreshToken` is kept
 * when the answer brings no refresh token (UltraCart does not say whether it rotates them).
 */
export function readTokens(
  body: Record<string, unknown>,
  now: number,
  previousRefreshToken: string | null = null,
): UltraCartOAuthTokens | { problem: string } {
  if (!isTokenValue(body.access_token)) return { problem: 'the token response has no usable access_token' };
  const tokenType = typeof body.token_type === 'string' ? body.token_type : null;
  if (tokenType !== null && tokenType.toLowerCase() !== 'bearer') return { problem: 'the token response is not a bearer token' };
  if (body.refresh_token !== undefined && body.refresh_token !== null && !isTokenValue(body.refresh_token)) {
    return { problem: 'the token response has an unusable refresh_token' };
  }
  const refreshToken = isTokenValue(body.refresh_token) ? body.refresh_token : previousRefreshToken;
  const seconds = readExpiresIn(body.expires_in);
  const scope = typeof body.scope === 'string' && body.scope.trim() !== '' ? body.scope.trim() : null;
  return {
    accessToken: body.access_token,
    refreshToken,
    expiresAt: seconds === undefined ? null : new Date(now + seconds * 1000),
    scope,
    scopes: readScopes(scope),
    tokenType,
  };
}
