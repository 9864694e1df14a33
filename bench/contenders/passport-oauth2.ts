/**
 * Contender 3: passport-oauth2 1.8 doing the same sign-in as OAuth 2.0 (state in the session,
 * code -> token, token -> profile) against the dialect in the emulator process, with its defaults
 * (node-oauth over Node's global keep-alive agent).
 */
import OAuth2Strategy from 'passport-oauth2';
import { mountPassport, serveContender, type BenchUser } from './serve.js';

interface DialectUser {
  user_id: number;
  login?: string;
}

/** passport-oauth2 leaves the profile call to subclasses; this is the usual few lines. */
class DialectStrategy extends OAuth2Strategy {
  constructor(
    options: OAuth2Strategy.StrategyOptions,
    private readonly userinfoURL: string,
  ) {
    super(options, (_accessToken: string, _refreshToken: string, profile: BenchUser, done: OAuth2Strategy.VerifyCallback) =>
      done(null, profile),
    );
    this.name = 'dialect';
    this._oauth2.useAuthorizationHeaderforGET(true);
  }

  override userProfile(accessToken: string, done: (err?: unknown, profile?: unknown) => void): void {
    this._oauth2.get(this.userinfoURL, accessToken, (err, body) => {
      if (err) return done(new OAuth2Strategy.InternalOAuthError('failed to fetch user profile', err));
      try {
        const user = JSON.parse(String(body)) as DialectUser;
        done(null, { id: String(user.user_id), login: user.login } satisfies BenchUser);
      } catch (parseError) {
        done(parseError);
      }
    });
  }
}

await serveContender((app, { callbackURL, upstream }) => {
  const base = upstream.oauth2Origin;
  mountPassport(
    app,
    new DialectStrategy(
      {
        authorizationURL: `${base}/oauth2/authorize`,
        tokenURL: `${base}/oauth2/token`,
        clientID: upstream.oauth2ClientId,
        clientSecret: upstream.oauth2ClientSecret,
        callbackURL,
        state: true,
      },
      `${base}/oauth2/userinfo`,
    ),
  );
});
