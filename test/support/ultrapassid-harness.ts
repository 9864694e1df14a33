import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import {
  UltrapassIdStrategy,
  type UltrapassIdAuthenticateOptions,
  type UltrapassIdStrategyOptions,
  type UltrapassIdVerifyFunction,
} from '../../src/index.js';
import {
  startUltrapassIdOidcEmulator,
  type UltrapassIdCallback,
  type UltrapassIdOidcEmulator,
  type UltrapassIdOidcEmulatorOptions,
} from '../../src/testing/index.js';

export const OIDC_CALLBACK_PATH = '/auth/ultrapassid/callback';

export interface OidcHarnessOptions {
  strategy?: Partial<UltrapassIdStrategyOptions>;
  verify?: UltrapassIdVerifyFunction;
  emulator?: UltrapassIdOidcEmulatorOptions;
  /** Parse POST bodies with express.urlencoded() before the strategy (otherwise the strategy reads them). */
  bodyParser?: boolean;
  /** Configure the emulator's endpoints explicitly, so the strategy skips discovery. */
  explicitEndpoints?: boolean;
  /** express-session's cookie options, e.g. `{ secure: true }`. */
  sessionCookie?: session.CookieOptions;
}

export interface OidcHarness {
  app: express.Express;
  provider: UltrapassIdOidcEmulator;
  strategy: UltrapassIdStrategy;
  callbackURL: string;
  /** A supertest agent that keeps cookies, like one browser. */
  browser(): TestAgent;
  close(): Promise<void>;
}

/**
 * An Express app as a user would write it: express-session and passport, UltraCart-style sign-in
 * replaced by UltrapassId (`/login`, the callback on GET and POST), and `passport.authorize()`
 * behind `/verify` for a user already signed in (`/pretend-sign-in` stands in for UltraCart).
 * Errors answer JSON with their status and code, so tests tell `fail` from `error`.
 */
export async function startOidcHarness(options: OidcHarnessOptions = {}): Promise<OidcHarness> {
  const provider = await startUltrapassIdOidcEmulator(options.emulator);
  const callbackURL = `http://localhost${OIDC_CALLBACK_PATH}`;
  const verify: UltrapassIdVerifyFunction =
    options.verify ?? ((profile, tokens, done) => done(null, { id: profile.id, verifiedAt: profile.verifiedAt.toISOString() }));
  const endpoints = options.explicitEndpoints
    ? {
        authorizationEndpoint: `${provider.issuer}/oauth2/v2.0/authorize`,
        tokenEndpoint: `${provider.issuer}/oauth2/v2.0/token`,
        jwksUri: `${provider.issuer}/discovery/v2.0/keys`,
      }
    : {};
  const strategy = new UltrapassIdStrategy(
    { clientId: provider.clientId, callbackURL, issuer: provider.issuer, ...endpoints, ...options.strategy } as UltrapassIdStrategyOptions,
    verify,
  );
  const passport = new Passport();
  passport.use(strategy as never);
  passport.serializeUser((user: unknown, done: (err: unknown, id?: unknown) => void) => done(null, user));
  passport.deserializeUser((user: unknown, done: (err: unknown, user?: unknown) => void) => done(null, user as Express.User));

  const app = express();
  app.use(
    session({
      secret: 'test-secret-that-is-at-least-32-bytes-long',
      resave: false,
      saveUninitialized: false,
      name: 'sid',
      cookie: options.sessionCookie,
    }),
  );
  if (options.bodyParser) app.use(express.urlencoded({ extended: false }));
  app.use(passport.initialize());
  app.use(passport.session());

  app.get('/login', (req, res, next) => {
    const returnTo = typeof req.query.returnTo === 'string' ? req.query.returnTo : undefined;
    const authOptions: UltrapassIdAuthenticateOptions = { returnTo };
    passport.authenticate('ultrapassid', authOptions)(req, res, next);
  });
  const finish = [
    passport.authenticate('ultrapassid', { failureMessage: true }),
    (req: express.Request, res: express.Response) => {
      const info = req.authInfo as { returnTo?: string } | undefined;
      res.redirect(info?.returnTo ?? '/me');
    },
  ];
  app.get(OIDC_CALLBACK_PATH, ...finish);
  app.post(OIDC_CALLBACK_PATH, ...finish);

  // passport.authorize(): the identity lands in req.account and the signed-in user stays.
  app.post('/pretend-sign-in', (req, res, next) => {
    req.login({ id: 'ultracart-user-1001' } as Express.User, (err) => (err ? next(err) : res.send('signed in')));
  });
  app.get('/verify', passport.authorize('ultrapassid'));
  app.get('/verify/callback', passport.authorize('ultrapassid', { failureMessage: true }), (req, res) => {
    (req.session as unknown as { verified?: unknown }).verified = (req as { account?: unknown }).account;
    res.redirect('/me');
  });

  app.get('/me', (req, res) => {
    const s = req.session as unknown as { messages?: string[]; verified?: unknown } | undefined;
    res.json({ user: req.user ?? null, verified: s?.verified ?? null, messages: s?.messages ?? [] });
  });
  app.get('/', (_req, res) => {
    res.send('home');
  });
  app.use(
    (
      err: { status?: number; code?: string; name?: string; message?: string },
      _req: express.Request,
      res: express.Response,
      _next: express.NextFunction,
    ) => {
      res.status(err.status ?? 500).json({ error: err.name, code: err.code ?? null, message: err.message });
    },
  );

  return { app, provider, strategy, callbackURL, browser: () => request.agent(app), close: () => provider.close() };
}

/** Runs the authorize leg and returns the provider URL from the Location header. */
export async function beginVerification(browser: TestAgent, path = '/login'): Promise<string> {
  const res = await browser.get(path).expect(302);
  return res.headers.location as string;
}

/** Follows the provider's answer back into the app, as the browser would: a GET, or the form_post POST. */
export function returnToApp(browser: TestAgent, callback: UltrapassIdCallback, path?: string): request.Test {
  const url = new URL(callback.url);
  const target = (path ?? url.pathname) + (callback.method === 'GET' ? url.search : '');
  if (callback.method === 'GET') return browser.get(target);
  return browser.post(target).type('form').send(new URLSearchParams(callback.form).toString());
}

/** The app-relative path of a GET callback. */
export function appPath(callback: UltrapassIdCallback): string {
  const url = new URL(callback.url);
  return url.pathname + url.search;
}
