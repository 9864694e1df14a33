import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import {
  UltraCartOAuthStrategy,
  type UltraCartOAuthAuthenticateOptions,
  type UltraCartOAuthStrategyOptions,
  type UltraCartOAuthVerifyFunction,
} from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator, type UltraCartEmulatorOptions } from '../../src/testing/index.js';

export const OAUTH_CALLBACK_PATH = '/store/callback';

export interface OAuthHarnessOptions {
  strategy?: Partial<UltraCartOAuthStrategyOptions>;
  verify?: UltraCartOAuthVerifyFunction;
  emulator?: UltraCartEmulatorOptions;
  /** Connect as a public client (no secret). */
  publicClient?: boolean;
  /** `passport.authenticate()` instead of `passport.authorize()`. */
  authenticate?: boolean;
  /** Route options of the callback. Default `{ failureMessage: true }`. */
  callbackOptions?: UltraCartOAuthAuthenticateOptions;
}

export interface OAuthHarness {
  app: express.Express;
  emulator: UltraCartEmulator;
  strategy: UltraCartOAuthStrategy;
  callbackURL: string;
  browser(): TestAgent;
  close(): Promise<void>;
}

/**
 * An app that connects an UltraCart store to its signed-in user, as an integration would: the
 * user is signed in by `/sign-in` (a stand-in for the app's own sign-in), `/connect` runs
 * `passport.authorize('ultracart-oauth')`, and `/account` shows the user and the connected store.
 * A failed callback answers JSON `{ reason, message }` with passport's status.
 */
export async function startOAuthHarness(options: OAuthHarnessOptions = {}): Promise<OAuthHarness> {
  const emulator = await startUltraCartEmulator(options.emulator);
  const callbackURL = `http://127.0.0.1${OAUTH_CALLBACK_PATH}`;
  const clientId = options.publicClient ? emulator.oauth.publicClientId : emulator.oauth.clientId;
  const verify: UltraCartOAuthVerifyFunction =
    options.verify ??
    ((tokens, profile, done) => done(null, { merchantId: profile.merchantId, scopes: tokens.scopes, accessToken: tokens.accessToken }));
  const strategy = new UltraCartOAuthStrategy(
    {
      clientId,
      ...(!options.publicClient && { clientSecret: emulator.oauth.clientSecret }),
      callbackURL,
      baseURL: emulator.url,
      ...options.strategy,
    } as UltraCartOAuthStrategyOptions,
    verify,
  );
  const passport = new Passport();
  passport.use(strategy as never);
  passport.serializeUser((user: unknown, done: (err: unknown, id?: unknown) => void) => done(null, user));
  passport.deserializeUser((user: unknown, done: (err: unknown, user?: unknown) => void) => done(null, user as Express.User));

  const app = express();
  app.use(session({ secret: 'test-secret-that-is-at-least-32-bytes-long', resave: false, saveUninitialized: false, name: 'sid' }));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get('/sign-in', (req, res, next) => req.logIn({ id: 'user-1' } as Express.User, (err) => (err ? next(err) : res.json({ ok: true }))));
  const run = (routeOptions: UltraCartOAuthAuthenticateOptions, report?: Parameters<typeof passport.authenticate>[2]) =>
    options.authenticate
      ? passport.authenticate('ultracart-oauth', routeOptions, report)
      : passport.authorize('ultracart-oauth', routeOptions, report);
  app.get('/connect', (req, res, next) => {
    const returnTo = typeof req.query.returnTo === 'string' ? req.query.returnTo : undefined;
    run({ returnTo })(req, res, next);
  });
  app.get(
    OAUTH_CALLBACK_PATH,
    (req, res, next) => {
      if (options.callbackOptions) return run(options.callbackOptions)(req, res, next);
      const report = (err: unknown, user: unknown, info: { reason?: string; message?: string } | undefined, status?: number) => {
        if (err) return next(err);
        if (!user) return res.status(status ?? 401).json({ reason: info?.reason ?? null, message: info?.message ?? null });
        if (options.authenticate) return req.logIn(user as Express.User, (loginErr) => (loginErr ? next(loginErr) : next()));
        (req as unknown as { account: unknown }).account = user;
        (req as unknown as { accountInfo: unknown }).accountInfo = info;
        next();
      };
      run({}, report as never)(req, res, next);
    },
    (req, res) => {
      const account = (req as unknown as { account?: unknown }).account ?? null;
      res.json({ user: req.user ?? null, account, info: (req as unknown as { accountInfo?: unknown }).accountInfo ?? null });
    },
  );
  app.get('/account', (req, res) => res.json({ user: req.user ?? null }));
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
  return {
    app,
    emulator,
    strategy,
    callbackURL,
    browser: () => request.agent(app),
    close: () => emulator.close(),
  };
}

/** Runs the authorize leg and returns UltraCart's approval URL. */
export async function beginConnect(browser: TestAgent, path = '/connect'): Promise<string> {
  const res = await browser.get(path).expect(302);
  return res.headers.location as string;
}

/** The app-relative path of a callback URL the emulator sent the browser to. */
export function pathOf(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}
