/** The ID token's claims, as verified. Only `sub`, `iss`, `aud`, `exp` and `iat` are sure to be there. */
export interface UltrapassIdClaims {
  /** The person's per-organization hashed identifier: stable for your organization, different for any other. */
  sub: string;
  iss: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  auth_time?: number;
  [claim: string]: unknown;
}

/** The person UltrapassId verified, handed to the verify function. */
export interface UltrapassIdProfile {
  provider: 'ultrapassid';
  /** The ID token's `sub`: the per-organization identifier to store and match on. */
  id: string;
  /** When the person was verified: the token's `auth_time`, else its `iat`. */
  verifiedAt: Date;
  /** The issuer that vouched for the person. */
  issuer: string;
  /** Every claim of the verified ID token. UltrapassId documents no claims beyond the subject. */
  claims: UltrapassIdClaims;
}

/**
 * What the token endpoint returned. These are credentials: keep them server-side, never in a
 * cookie, a URL or a log line. `accessToken` is absent when only `openid` was asked for, as
 * UltrapassId documents an access token only when one is requested.
 *
 * The same values are also under openid-client's names (`id_token`, `access_token`, `claims()`,
 * ...), so code written for openid-client's own Passport strategy reads them unchanged.
 */
export interface UltrapassIdTokens {
  idToken: string;
  accessToken?: string;
  tokenType?: string;
  /** Seconds the access token lives, when the provider said. */
  expiresIn?: number;
  refreshToken?: string;
  scope?: string;
  id_token: string;
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  refresh_token?: string;
  /** The verified ID token's claims, as openid-client's `claims()` returns them. */
  claims(): UltrapassIdClaims;
}

export function toProfile(claims: UltrapassIdClaims): UltrapassIdProfile {
  const seconds = typeof claims.auth_time === 'number' ? claims.auth_time : claims.iat;
  return {
    provider: 'ultrapassid',
    id: claims.sub,
    verifiedAt: new Date(seconds * 1000),
    issuer: claims.iss,
    claims,
  };
}
