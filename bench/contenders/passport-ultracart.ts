/** Contender 1: this package, imported as users import it (the built `passport-ultracart`). */
import { UltraCartStrategy } from 'passport-ultracart';
import { Agent } from 'undici';
import { mountPassport, serveContender, type BenchUser } from './serve.js';

await serveContender((app, { callbackURL, upstream, poolSize }) => {
  // Without --pool the strategy uses its built-in shared agent, as users get it.
  const dispatcher =
    poolSize === undefined
      ? undefined
      : new Agent({ connections: poolSize, pipelining: 1, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000 });
  mountPassport(
    app,
    new UltraCartStrategy(
      { callbackURL, baseURL: upstream.ultracartURL, simpleKey: upstream.appKey, dispatcher },
      (_simpleKey, _token, profile, done) => done(null, { id: profile.id, login: profile.username } satisfies BenchUser),
    ),
  );
});
