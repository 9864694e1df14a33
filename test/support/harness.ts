import express from 'express';
import express4 from 'express4';
import session from 'express-session';
import { Passport } from 'passport';
import { Passport as Passport06 } from 'passport06';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { UltraCartStrategy, type StrategyOptions, type UltraCartAuthenticateOptions, type VerifyFunction } from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator, type UltraCartEmulatorOptions } from '../../src/testing/index.js';

export const CALLBACK_PATH = '/auth/ultracart/callback';

export interface HarnessOptions {
  strategy?: Partial<StrategyOptions>;
  verify?: VerifyFunction;
  /** A subclass of UltraCartStrategy to build instead. */
  strategyClass?: typeof UltraCartStrategy;
  emulator?: UltraCartEmulatorOptions;
  /** Share an emulator started elsewhere (it is then not closed by this harness). */
  sharedEmulator?: UltraCartEmulator;
  /** Use Express 4 instead of 5. */
  express4?: boolean;
  /** Use passport 0.6 instead of 0.7. */
  passport06?: boolean;
  /** Leave express-session out. */
  noSession?: boolean;
  /** The callback answers a failure as JSON `{ reason, message }` with its status, session or not. */
  failureAsJson?: boolean;
  /** Leave `passport.session()` out (express-session stays), the mistake that makes sign-ins silently vanish. */
  noPassportSession?: boolean;
  trustProxy?: number;
  /** Express's `query parser` setting, e.g. `'extended'` so `state[x]=1` arrives as an object. */
  queryParser?: 'simple' | 'extended';
  /** The express-session store; default express-session's MemoryStore. */
  sessionStore?: session.Store;
  /** express-session's cookie options, e.g. `{ secure: true }`. */
  sessionCookie?: session.CookieOptions;
  /** Passport's options on the callback route. Default `{ failureMessage: true }`. */
  callbackOptions?: UltraCartAuthenticateOptions;
  /** Build a new strategy for every request, as an app with one strategy per merchant would. */
  strategyPerRequest?: boolean;
}

export interface Harness {
  app: express.Express;
  emulator: UltraCartEmulator;
  strategy: UltraCartStrategy;
  callbackURL: string;
  /** A supertest agent that keeps cookies, like one browser. */
  browser(): TestAgent;
  close(): Promise<void>;
}

/**
 * An Express app as a user would write it: express-session, passport, a sign-in route, the
 * callback route, and a page that shows who is signed in. Errors are answered as JSON with their
 * status and code, so tests can tell `fail` (passport's 4xx) from `error` (our error's status).
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = options.sharedEmulator ?? (await startUltraCartEmulator(options.emulator));
  // The host supertest sends: a callbackURL on another host name is a cookie trap the strategy warns about.
  const callbackURL = `http://127.0.0.1${CALLBACK_PATH}`;
  const verify: VerifyFunction =
    options.verify ?? ((simpleKey, token, profile, done) => done(null, { id: profile.id, login: profile.username, simpleKey }));
  const Strategy = options.strategyClass ?? UltraCartStrategy;
  const newStrategy = (): UltraCartStrategy =>
    new Strategy({ callbackURL, baseURL: emulator.url, simpleKey: emulator.appKey, ...options.strategy } as StrategyOptions, verify);
  const strategy = newStrategy();
  const strategyFor = (): string | UltraCartStrategy => (options.strategyPerRequest ? newStrategy() : 'ultracart');

  const passport = options.passport06 ? new Passport06() : new Passport();
  passport.use(strategy as never);
  passport.serializeUser((user: unknown, done: (err: unknown, id?: unknown) => void) => done(null, user));
  passport.deserializeUser((user: unknown, done: (err: unknown, user?: unknown) => void) => done(null, user as Express.User));

  const app = (options.express4 ? express4() : express()) as express.Express;
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  if (options.queryParser !== undefined) app.set('query parser', options.queryParser);
  if (!options.noSession) {
    app.use(
      session({
        secret: 'test-secret-that-is-at-least-32-bytes-long',
        resave: false,
        saveUninitialized: false,
        name: 'sid',
        store: options.sessionStore,
        cookie: options.sessionCookie,
      }),
    );
  }
  app.use(passport.initialize());
  if (!options.noSession && !options.noPassportSession) app.use(passport.session());

  app.get('/login', (req, res, next) => {
    const returnTo = typeof req.query.returnTo === 'string' ? req.query.returnTo : undefined;
    const options: UltraCartAuthenticateOptions = { returnTo };
    passport.authenticate(strategyFor() as never, options)(req, res, next);
  });
  app.get(
    CALLBACK_PATH,
    (req, res, next) => {
      if (!options.failureAsJson)
        return passport.authenticate(strategyFor() as never, options.callbackOptions ?? { failureMessage: true })(req, res, next);
      const report = (err: unknown, user: unknown, info: { reason?: string; message?: string } | undefined, status?: number) => {
        if (err) return next(err);
        if (!user) return res.status(status ?? 401).json({ reason: info?.reason ?? null, message: info?.message ?? null });
        req.logIn(user as Express.User, (loginErr) => (loginErr ? next(loginErr) : next()));
      };
      passport.authenticate(strategyFor() as never, report)(req, res, next);
    },
    (req, res) => {
      const info = req.authInfo as { returnTo?: string } | undefined;
      res.redirect(info?.returnTo ?? '/me');
    },
  );
  app.get('/me', (req, res) => {
    const messages = (req.session as unknown as { messages?: string[] } | undefined)?.messages;
    res.json({ user: req.user ?? null, sessionID: req.sessionID ?? null, messages: messages ?? [] });
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

  return {
    app,
    emulator,
    strategy,
    callbackURL,
    browser: () => request.agent(app),
    close: async () => {
      if (!options.sharedEmulator) await emulator.close();
    },
  };
}

/** A user as the harness's default verify keeps it; a test's own verify may keep other fields. */
export interface HarnessUser {
  id: string;
  login: string;
  simpleKey: string;
  [field: string]: unknown;
}

/** What the harness's `/me` page says about one browser. */
export interface Me {
  user: HarnessUser | null;
  sessionID: string | null;
  /** Passport's `failureMessage`s, oldest first. */
  messages: string[];
}

/** Asks the harness's `/me` page who this browser is signed in as. */
export async function me(browser: TestAgent): Promise<Me> {
  return (await browser.get('/me').expect(200)).body as Me;
}

/** Runs the authorize leg and returns UltraCart's login URL from the Location header. */
export async function beginSignIn(browser: TestAgent, path = '/login'): Promise<string> {
  const res = await browser.get(path).expect(302);
  return res.headers.location as string;
}

/** Turns the emulator's callback URL into the app-relative path the browser would request. */
export { pathOf as callbackPath } from './browser.js';

/** The `state` sent for the most recent authorize call. */
export function lastState(emulator: UltraCartEmulator): string {
  const calls = emulator.calls.filter((call) => call.endpoint === 'authorize');
  return JSON.parse(calls[calls.length - 1]!.body).state as string;
}
