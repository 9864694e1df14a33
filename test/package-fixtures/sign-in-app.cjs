'use strict';
/*
 * One UltraCart sign-in through the installed passport-ultracart, wired the way an app wires it:
 * express-session, passport, UltraCartStrategy pointed at the emulator, a /login route, the
 * callback route and a /me page. A fetch-based browser with a cookie jar drives it end to end.
 *
 * The entry files (sign-in.cjs, sign-in.mjs) load every module in their own module format and
 * hand them in, so CommonJS and ESM run the very same flow.
 */

const CALLBACK_PATH = '/auth/ultracart/callback';

/** Resolves to the user the app's /me page shows after a complete sign-in. */
async function signInOnce({ express, session, passport, UltraCartStrategy, startUltraCartEmulator, verify }) {
  const emulator = await startUltraCartEmulator();
  let server;
  try {
    passport.use(
      new UltraCartStrategy({ callbackURL: `http://localhost${CALLBACK_PATH}`, baseURL: emulator.url, simpleKey: emulator.appKey }, verify),
    );
    passport.serializeUser((user, done) => done(null, user));
    passport.deserializeUser((user, done) => done(null, user));

    const app = express();
    app.use(session({ secret: 'package-test-secret-of-at-least-32-bytes', resave: false, saveUninitialized: false }));
    app.use(passport.initialize());
    app.use(passport.session());
    app.get('/login', passport.authenticate('ultracart'));
    app.get(CALLBACK_PATH, passport.authenticate('ultracart'), (_req, res) => res.redirect('/me'));
    app.get('/me', (req, res) => res.json({ user: req.user ?? null }));
    app.use((err, _req, res, _next) => res.status(500).json({ error: String(err && err.message) }));

    server = await new Promise((resolve, reject) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      listening.on('error', reject);
    });
    const browser = cookieBrowser(`http://127.0.0.1:${server.address().port}`);

    const login = await browser.get('/login');
    expectStatus(login, 302, 'GET /login');
    const callback = new URL(await emulator.approve(login.headers.get('location')));
    const back = await browser.get(callback.pathname + callback.search);
    expectStatus(back, 302, 'GET callback');
    const me = await browser.get('/me');
    expectStatus(me, 200, 'GET /me');
    return await me.json();
  } finally {
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await emulator.close();
  }
}

/** A browser reduced to what sessions need: it keeps cookies and does not follow redirects. */
function cookieBrowser(origin) {
  const jar = new Map();
  return {
    async get(path) {
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      const res = await fetch(origin + path, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      for (const line of res.headers.getSetCookie()) {
        const pair = line.split(';', 1)[0];
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1));
      }
      return res;
    },
  };
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what} answered ${res.status}, expected ${status}`);
}

module.exports = { signInOnce };
