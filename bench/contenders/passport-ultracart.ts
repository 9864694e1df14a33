/** Contender 1: this package, imported as users import it (the built `passport-ultracart`). */
import { Passport } from 'passport';
import { UltraCartStrategy } from 'passport-ultracart';
import { Agent } from 'undici';
import { ROUTES, serveContender, type BenchUser } from './serve.js';

await serveContender((app, { callbackURL, upstream, poolSize }) => {
  const passport = new Passport();
  // Without --pool the strategy uses its built-in shared agent, as users get it.
  const dispatcher =
    poolSize === undefined
      ? undefined
      : new Agent({ connections: poolSize, pipelining: 1, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000 });
  passport.use(
    new UltraCartStrategy(
      { callbackURL, baseURL: upstream.ultracartURL, simpleKey: upstream.appKey, dispatcher },
      (_simpleKey, _token, profile, done) => done(null, { id: profile.id, login: profile.username } satisfies BenchUser),
    ),
  );
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get(ROUTES.signIn, passport.authenticate('ultracart'));
  app.get(ROUTES.callback, passport.authenticate('ultracart'), (_req, res) => res.redirect(ROUTES.success));
});
