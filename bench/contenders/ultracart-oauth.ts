/** "Connect your UltraCart store" with this package's `UltraCartOAuthStrategy`, against the emulator's OAuth 2.0 flow. */
import { UltraCartOAuthStrategy } from 'passport-ultracart';
import { mountPassport, serveContender, type BenchUser } from './serve.js';

await serveContender((app, { callbackURL, upstream }) => {
  mountPassport(
    app,
    new UltraCartOAuthStrategy(
      {
        clientId: upstream.ultracartOAuthClientId,
        clientSecret: upstream.ultracartOAuthClientSecret,
        callbackURL,
        baseURL: upstream.ultracartURL,
      },
      async (tokens) => ({ id: tokens.accessToken.slice(-8), login: undefined }) satisfies BenchUser,
    ),
  );
});
