import express from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { UltraCartOAuthStrategy, UltraCartStrategy, UltrapassIdStrategy, type StateStore, type UsedStateLedger } from '../../src/index.js';
import { startUltraCartEmulator, startUltrapassIdOidcEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { pathOf } from './browser.js';

/** How a flow's verify function behaves in a test. */
export type VerifyMode = 'user' | 'refuse' | 'throw' | 'hang';

/** The strategies of the package, by their default names. */
export const FLOW_NAMES = ['ultracart', 'ultrapassid', 'ultracart-oauth'] as const;
export type FlowName = (typeof FLOW_NAMES)[number];

/** What a test may set for one strategy of the contract app. */
export interface FlowSettings {
  verify?: VerifyMode;
  usedStates?: UsedStateLedger;
  stateStore?: StateStore;
  stateTtlMs?: number;
  signedInRedirect?: string | false;
  verifyTimeoutMs?: number;
}

/** One strategy mounted in the contract app, driven the way a browser and the vendor would. */
export interface Flow {
  /** The strategy's name, also its route prefix: `/auth/<name>`, `/auth/<name>/callback`. */
  name: string;
  loginPath: string;
  callbackPath: string;
  /** Starts a sign-in in `browser`: the vendor URL the browser was sent to, and the state it carries. */
  begin(browser: TestAgent): Promise<{ vendorURL: string; state: string }>;
  /** The person approves at the vendor (as `who`, one of `people`): the app-relative callback the browser is sent to. */
  approve(vendorURL: string, who?: 'first' | 'second'): Promise<string>;
  /** The person cancels at the vendor. */
  deny(vendorURL: string): Promise<string>;
  /** Calls made to the vendor's code-exchange endpoint so far. */
  exchanges(): number;
  /** Calls made to the vendor's authorize step (UltraCart's API; the OpenID provider's discovery is not one). */
  authorizations(): number;
}

export interface ContractApp {
  app: express.Express;
  /** A supertest agent that keeps cookies, like one browser. */
  browser(): TestAgent;
  flows: Record<FlowName, Flow>;
  close(): Promise<void>;
}

/** What `/me` says about one browser. */
export interface Whoami {
  user: { id: string; via: string } | null;
}

/** What a refused callback answers: its status, the stable reason and the message. */
export interface CallbackOutcome {
  status: number;
  reason: string | null;
  message: string | null;
  location: string | undefined;
  code: string | null;
}

/**
 * One Express app with every strategy of the package mounted side by side on default stores, as
 * an app that signs in with UltraCart and verifies with UltrapassId would: the same session, the
 * same process-wide used-state ledger. A refused callback answers JSON `{ reason, message }` with
 * the strategy's status, an error answers `{ code }` with its status.
 */
export async function startContractApp(settings: Partial<Record<FlowName, FlowSettings>> = {}): Promise<ContractApp> {
  const ultracart = await startUltraCartEmulator();
  const provider = await startUltrapassIdOidcEmulator();
  const passport = new Passport();

  const verifyFor =
    (via: string, mode: VerifyMode = 'user') =>
    (id: string): Promise<unknown> => {
      if (mode === 'refuse') return Promise.resolve(false);
      if (mode === 'throw') return Promise.reject(new Error('verify failed'));
      if (mode === 'hang') return new Promise(() => {});
      return Promise.resolve({ id, via });
    };
  const common = (s: FlowSettings | undefined) => ({
    ...(s?.usedStates && { usedStates: s.usedStates }),
    ...(s?.stateStore && { stateStore: s.stateStore }),
    ...(s?.stateTtlMs !== undefined && { stateTtlMs: s.stateTtlMs }),
    ...(s?.signedInRedirect !== undefined && { signedInRedirect: s.signedInRedirect }),
    ...(s?.verifyTimeoutMs !== undefined && { verifyTimeoutMs: s.verifyTimeoutMs }),
  });

  const ultracartVerify = verifyFor('ultracart', settings.ultracart?.verify);
  passport.use(
    new UltraCartStrategy(
      {
        callbackURL: 'http://127.0.0.1/auth/ultracart/callback',
        baseURL: ultracart.url,
        simpleKey: ultracart.appKey,
        ...common(settings.ultracart),
      },
      (_key, _token, profile) => ultracartVerify(`ultracart:${profile.id}`),
    ) as never,
  );
  const ultrapassidVerify = verifyFor('ultrapassid', settings.ultrapassid?.verify);
  passport.use(
    new UltrapassIdStrategy(
      {
        clientId: provider.clientId,
        issuer: provider.issuer,
        callbackURL: 'http://127.0.0.1/auth/ultrapassid/callback',
        ...common(settings.ultrapassid),
      },
      (profile) => ultrapassidVerify(`ultrapassid:${profile.id}`),
    ) as never,
  );
  const oauthVerify = verifyFor('ultracart-oauth', settings['ultracart-oauth']?.verify);
  passport.use(
    new UltraCartOAuthStrategy(
      {
        clientId: ultracart.oauth.clientId,
        clientSecret: ultracart.oauth.clientSecret,
        callbackURL: 'http://127.0.0.1/auth/ultracart-oauth/callback',
        baseURL: ultracart.url,
        ...common(settings['ultracart-oauth']),
      },
      (tokens) => oauthVerify(`ultracart-oauth:${tokens.accessToken.slice(-6)}`),
    ) as never,
  );
  passport.serializeUser((user: unknown, done: (err: unknown, id?: unknown) => void) => done(null, user));
  passport.deserializeUser((user: unknown, done: (err: unknown, user?: unknown) => void) => done(null, user as Express.User));

  const app = express();
  app.use(session({ secret: 'contract-secret-that-is-at-least-32-bytes', resave: false, saveUninitialized: false, name: 'sid' }));
  app.use(passport.initialize());
  app.use(passport.session());
  for (const name of FLOW_NAMES) {
    app.get(`/auth/${name}`, passport.authenticate(name));
    app.get(`/auth/${name}/callback`, (req, res, next) => {
      passport.authenticate(
        name,
        (err: unknown, user: unknown, info: { reason?: string; message?: string } | undefined, status?: number) => {
          if (err) return next(err);
          if (!user) return res.status(status ?? 401).json({ reason: info?.reason ?? null, message: info?.message ?? null });
          req.logIn(user as Express.User, (loginErr) => (loginErr ? next(loginErr) : res.redirect('/me')));
        },
      )(req, res, next);
    });
  }
  app.get('/me', (req, res) => {
    res.json({ user: req.user ?? null });
  });
  app.get('/', (_req, res) => {
    res.send('home');
  });
  app.use((err: { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? null });
  });

  const flows = {
    ultracart: {
      name: 'ultracart',
      loginPath: '/auth/ultracart',
      callbackPath: '/auth/ultracart/callback',
      async begin(browser: TestAgent) {
        const res = await browser.get('/auth/ultracart').expect(302);
        const calls = ultracart.calls.filter((call) => call.endpoint === 'authorize');
        return { vendorURL: res.headers.location as string, state: JSON.parse(calls[calls.length - 1]!.body).state as string };
      },
      approve: async (vendorURL: string, who: 'first' | 'second' = 'first') =>
        pathOf(await ultracart.approve(vendorURL, who === 'first' ? 'ada' : 'grace')),
      deny: async (vendorURL: string) => pathOf(await ultracart.deny(vendorURL)),
      exchanges: () => ultracart.count('token'),
      authorizations: () => ultracart.count('authorize'),
    },
    ultrapassid: {
      name: 'ultrapassid',
      loginPath: '/auth/ultrapassid',
      callbackPath: '/auth/ultrapassid/callback',
      async begin(browser: TestAgent) {
        const res = await browser.get('/auth/ultrapassid').expect(302);
        const vendorURL = res.headers.location as string;
        return { vendorURL, state: new URL(vendorURL).searchParams.get('state')! };
      },
      approve: async (vendorURL: string, who: 'first' | 'second' = 'first') =>
        pathOf((await provider.approve(vendorURL, who === 'first' ? 'person-ada' : 'person-grace')).url),
      deny: async (vendorURL: string) => pathOf((await provider.deny(vendorURL)).url),
      exchanges: () => provider.count('token'),
      authorizations: () => provider.count('authorize'),
    },
    'ultracart-oauth': {
      name: 'ultracart-oauth',
      loginPath: '/auth/ultracart-oauth',
      callbackPath: '/auth/ultracart-oauth/callback',
      async begin(browser: TestAgent) {
        const res = await browser.get('/auth/ultracart-oauth').expect(302);
        const vendorURL = res.headers.location as string;
        return { vendorURL, state: new URL(vendorURL).searchParams.get('state')! };
      },
      // One merchant account approves in the emulator; each approval is still a code of its own.
      approve: async (vendorURL: string) => pathOf(await ultracart.oauth.approve(vendorURL)),
      deny: async (vendorURL: string) => pathOf(await ultracart.oauth.deny(vendorURL)),
      exchanges: () => ultracart.oauth.count('token'),
      authorizations: () => ultracart.oauth.count('authorize'),
    },
  };

  return {
    app,
    browser: () => request.agent(app),
    flows,
    close: async () => {
      await Promise.all([ultracart.close(), provider.close()]);
    },
  };
}

/** Opens `path` in `browser` and reads what the callback answered. */
export async function callback(browser: TestAgent, path: string): Promise<CallbackOutcome> {
  const res = await browser.get(path);
  const body = (res.body ?? {}) as { reason?: string; message?: string; code?: string };
  return {
    status: res.status,
    reason: body.reason ?? null,
    message: body.message ?? null,
    location: res.headers.location as string | undefined,
    code: body.code ?? null,
  };
}

/** Who `browser` is signed in as, by the app's `/me`. */
export async function whoami(browser: TestAgent): Promise<Whoami['user']> {
  return ((await browser.get('/me').expect(200)).body as Whoami).user;
}

export type { UltraCartEmulator };
