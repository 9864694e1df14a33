import type * as oidc from 'openid-client';
import type { UltrapassIdClaims, UltrapassIdTokens } from './profile.js';
import { NO_ACCESS_TOKEN } from './provider-fetch.js';

/** What verify receives of the token response, in the package's names, with openid-client's kept off enumeration. */
export function toTokens(grant: oidc.TokenEndpointResponse, claims: UltrapassIdClaims): UltrapassIdTokens {
  const accessToken = typeof grant.access_token === 'string' && grant.access_token !== NO_ACCESS_TOKEN ? grant.access_token : undefined;
  const fields = {
    idToken: grant.id_token!,
    accessToken,
    tokenType: accessToken === undefined ? undefined : grant.token_type,
    expiresIn: accessToken === undefined || typeof grant.expires_in !== 'number' ? undefined : grant.expires_in,
    refreshToken: typeof grant.refresh_token === 'string' ? grant.refresh_token : undefined,
    scope: typeof grant.scope === 'string' ? grant.scope : undefined,
  };
  const tokens: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) tokens[name] = value;
  // openid-client's names, kept off enumeration so a logged or serialised object shows each token once.
  const aliases: Record<string, unknown> = {
    id_token: fields.idToken,
    access_token: fields.accessToken,
    token_type: fields.tokenType,
    expires_in: fields.expiresIn,
    refresh_token: fields.refreshToken,
    claims: () => claims,
  };
  for (const [name, value] of Object.entries(aliases)) {
    if (value !== undefined) Object.defineProperty(tokens, name, { value, enumerable: false });
  }
  return tokens as unknown as UltrapassIdTokens;
}
