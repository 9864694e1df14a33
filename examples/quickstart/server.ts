// Sign in with UltraCart: the whole app. Run `npx tsx server.ts` and open http://localhost:3000/
import { randomBytes } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { readFailureReason, UltraCartFailureMessages, UltraCartStrategy, type UltraCartAuthInfo } from 'passport-ultracart';
import { startUltraCartEmulator } from 'passport-ultracart/testing';

type SignedInUser = { id: string; name: string; simpleKey: string }; // the key acts as this UltraCart user
const production = process.env.NODE_ENV === 'production';
const port = Number(process.env.PORT ?? 3000);

// Set SESSION_SECRET (e.g. `openssl rand -hex 32`). Outside production a random one is made if unset.
const sessionSecret = process.env.SESSION_SECRET ?? (production ? '' : randomBytes(32).toString('hex'));
if (Buffer.byteLength(sessionSecret) < 32) throw new Error('Set SESSION_SECRET to a random string of 32 bytes or more');
// Absolute, sent to UltraCart as-is: the address your users open (https in production).
const callbackURL = process.env.ULTRACART_CALLBACK_URL ?? (production ? '' : `http://localhost:${port}/auth/ultracart/callback`);
if (!callbackURL) throw new Error('Set ULTRACART_CALLBACK_URL to https://<your host>/auth/ultracart/callback');

// Your app's key needs the "Single Sign-on write" permission. Without one (outside production),
// UltraCart's emulator from passport-ultracart/testing stands in for UltraCart.
async function ultracart(): Promise<{ simpleKey: string; baseURL?: string | undefined }> {
  if (process.env.ULTRACART_SIMPLE_KEY) return { simpleKey: process.env.ULTRACART_SIMPLE_KEY, baseURL: process.env.ULTRACART_BASE_URL };
  if (production) throw new Error('Set ULTRACART_SIMPLE_KEY');
  const emulator = await startUltraCartEmulator();
  console.log(`No ULTRACART_SIMPLE_KEY: signing in against the UltraCart emulator at ${emulator.origin}`);
  return { simpleKey: emulator.appKey, baseURL: emulator.url };
}

async function main(): Promise<void> {
  const strategy = new UltraCartStrategy(
    { ...(await ultracart()), callbackURL },
    async (simpleKey, token, profile): Promise<SignedInUser> => ({ id: profile.id, name: profile.displayName, simpleKey }),
  );
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));

  const app = express();
  if (production) app.set('trust proxy', 1); // behind one TLS proxy: your exact hop count, never `true`
  app.use(
    session({
      secret: sessionSecret,
      resave: false,
      saveUninitialized: false, // and in production a shared `store` (e.g. connect-redis)
      // Lax, not Strict: the return from UltraCart is cross-site. Secure only where the app is on https.
      cookie: { httpOnly: true, sameSite: 'lax', secure: production },
    }),
  );
  app.use(passport.initialize());
  app.use(passport.session());

  app.get('/', (req, res) => {
    const user = req.user as SignedInUser | undefined;
    res.send(
      user
        ? `<p>Signed in as ${escapeHtml(user.name)}.</p><form method="post" action="/logout"><button>Sign out</button></form>`
        : '<p><a href="/auth/ultracart">Sign in with UltraCart</a></p>',
    );
  });
  app.get('/auth/ultracart', passport.authenticate('ultracart'));
  app.get(
    '/auth/ultracart/callback', // its own route: a request to this path is always taken for UltraCart's return
    passport.authenticate('ultracart', { failureRedirect: '/signin-failed' }),
    (req, res) => {
      const { expiresAt } = req.authInfo as UltraCartAuthInfo;
      if (expiresAt) req.session.cookie.expires = expiresAt; // the user's key stops working then
      res.redirect('/');
    },
  );
  app.get('/signin-failed', (req, res) => {
    // The strategy puts the reason in the redirect's query: it survives a reload and needs no session.
    // Worded for the person; the set-up detail behind a reason goes to your server log.
    const reason = readFailureReason(req, UltraCartFailureMessages);
    const why = reason ? UltraCartFailureMessages[reason] : 'The sign-in did not complete.';
    res.status(401).send(`<p>${escapeHtml(why)}</p><p><a href="/auth/ultracart">Try again</a></p>`);
  });
  app.post('/logout', async (req, res, next) => {
    const user = req.user as SignedInUser | undefined;
    if (user) await strategy.client.revokeWithRetry(user.simpleKey); // never rejects
    req.logout((err) => (err ? next(err) : res.redirect(303, '/')));
  });

  app.listen(port, () => console.log(`Open http://localhost:${port}/`));
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
