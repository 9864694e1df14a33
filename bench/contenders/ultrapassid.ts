/** The UltrapassId OpenID Connect sign-in with this package's `UltrapassIdStrategy`, against the OIDC emulator. */
import { UltrapassIdStrategy } from 'passport-ultracart';
import { mountPassport, serveContender, type BenchUser } from './serve.js';

await serveContender((app, { callbackURL, upstream }) => {
  mountPassport(
    app,
    new UltrapassIdStrategy(
      { clientId: upstream.oidcClientId, callbackURL, issuer: upstream.oidcIssuer },
      async (profile) =>
        ({
          id: profile.id,
          login: undefined,
        }) satisfies BenchUser,
    ),
  );
});
