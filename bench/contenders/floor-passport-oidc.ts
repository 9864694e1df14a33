/**
 * The yardstick of the UltrapassId OpenID Connect flow: openid-client's own Passport strategy
 * (`openid-client/passport`: authorization code with PKCE, state and nonce in the session, ID
 * token checked), set up with Passport as the package's contender, against the same emulator.
 */
import * as client from 'openid-client';
import { Strategy } from 'openid-client/passport';
import { mountPassport, serveContender, type BenchUser } from './serve.js';

const upstream = JSON.parse(process.env.BENCH_UPSTREAM ?? 'null') as { oidcIssuer: string; oidcClientId: string } | null;
if (!upstream) throw new Error('BENCH_UPSTREAM is not set: start contenders through bench/run.ts');
// The emulator speaks plain http on loopback, which openid-client refuses unless told.
const config = await client.discovery(new URL(upstream.oidcIssuer), upstream.oidcClientId, undefined, client.None(), {
  execute: [client.allowInsecureRequests],
});
// UltrapassId (and its emulator) answers the token request with an ID token and no access token,
// which openid-client refuses; the package fills the gap the same way (provider-fetch.ts).
config[client.customFetch] = async (url, options) => {
  const res = await fetch(url, options as RequestInit);
  if (!url.endsWith('/token') || res.status !== 200) return res;
  const body = (await res.json()) as Record<string, unknown>;
  return Response.json({ access_token: 'none', token_type: 'bearer', ...body }, { status: res.status });
};

await serveContender((app, { callbackURL }) => {
  const strategy = new Strategy({ config, callbackURL, scope: 'openid', name: 'oidc' }, (tokens, verified) => {
    verified(null, { id: String(tokens.claims()?.sub), login: undefined } satisfies BenchUser);
  });
  mountPassport(app, strategy as unknown as Parameters<typeof mountPassport>[1]);
});
