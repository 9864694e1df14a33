import cookieParser from 'cookie-parser';
import express, { type Express } from 'express';
import type session from 'express-session';
import { processUsedStates, ULTRAPASSID_DEFAULT_ISSUER, type UltraCartStrategy } from 'passport-ultracart';
import { canonicalLoopbackHost } from './canonical-host.js';
import type { AppSettings } from './config.js';
import type { AppContext } from './context.js';
import { errorHandler, notFound } from './errors.js';
import { createPassport, usedStates } from './passport.js';
import { carriesPendingSignIn } from './pending-sign-in.js';
import { plainHttpDiagnosis } from './proxy-check.js';
import { connectRedis, type Redis } from './redis.js';
import { requestLog } from './request-log.js';
import { authRoutes } from './routes/auth.js';
import { logoutRoutes } from './routes/logout.js';
import { oidcVerifyRoutes } from './routes/oidc-verify.js';
import { pageRoutes } from './routes/pages.js';
import { verifyRoutes } from './routes/verify.js';
import { storeRoutes } from './routes/store.js';
import { csrfProtection, rateLimits, securityHeaders } from './security.js';
import { BoundedMemoryStore } from './session-store.js';
import { sessionLifetime } from './session-lifetime.js';
import { sessionRecognition } from './session-recognition.js';
import { sessions } from './sessions.js';
import type { AppUser } from './user.js';
import { STYLESHEET_PATH } from './views/layout.js';
import { problemPage } from './views/problem.js';
import { STYLESHEET } from './views/style.js';

export interface AppDeps {
  /** A connected Redis client to use instead of connecting to `settings.redis.url`; not closed by `close()`. */
  redis?: Redis;
  /** A session store to use instead of the default one. */
  sessionStore?: session.Store;
  /** Receives the request log and operator messages. Default: nothing is logged. */
  log?: (line: string) => void;
}

export interface ExampleApp {
  app: Express;
  /** The strategy, e.g. for its `client`. */
  strategy: UltraCartStrategy;
  /** Where sessions live: Redis, the bounded in-memory default, or the one given in `deps`. */
  sessionStore: session.Store;
  /** Releases what the app opened (its Redis connection). The HTTP server is the caller's. */
  close(): Promise<void>;
}

/** Where the OIDC authorization endpoint lives: UltrapassId documents it on the issuer's host. */
function oidcOrigin(settings: AppSettings): string {
  return new URL(settings.oidc.issuer ?? ULTRAPASSID_DEFAULT_ISSUER).origin;
}

/**
 * Builds the example app: an Express 5 app using passport-ultracart as a user would. Used by
 * `main.ts` and by the tests, which pass settings pointing at emulators.
 */
export async function createApp(settings: AppSettings, deps: AppDeps = {}): Promise<ExampleApp> {
  const report = deps.log ?? (() => {});
  const ownRedis = !deps.redis && settings.redis ? await connectRedis(settings.redis.url, report) : undefined;
  const redis = deps.redis ?? ownRedis;
  const { passport, strategy, stateStore } = createPassport(settings, redis);
  const csrf = csrfProtection(settings);
  const ctx: AppContext = {
    settings,
    notice: settings.emulated ? 'Demo mode: UltraCart and UltrapassId are emulated on this machine. No real account is used.' : undefined,
    csrfToken: csrf.token,
    report,
  };
  strategy.client.revocations.on('revocation', (event) => {
    // The first attempt is reported by the route that made it; retries end here.
    if (event.background && event.outcome !== 'retrying') {
      ctx.report(`UltraCart revoke retried in the background: ${event.outcome} after ${event.attempt} attempts`);
    }
  });
  const limits = rateLimits(
    settings,
    redis,
    (_req, res) => {
      res
        .status(429)
        .set('Cache-Control', 'no-store')
        .type('html')
        .send(
          problemPage({
            kind: 'rate-limited',
            title: 'Too many attempts',
            explanation: 'There were too many attempts from your network in a short time. Wait a minute, then try again.',
            notice: ctx.notice,
          }),
        );
    },
    (req) => carriesPendingSignIn(stateStore, req),
  );

  const sessionSetup = sessions(settings, redis, deps.sessionStore);
  if (sessionSetup.store instanceof BoundedMemoryStore) revokeEvictedSessions(sessionSetup.store, strategy, ctx);

  const app = express();
  app.disable('x-powered-by');
  if (settings.trustProxy !== undefined) app.set('trust proxy', settings.trustProxy);
  if (deps.log) app.use(requestLog(report));
  // Every cookie is Secure in production: say in the log why a request is not https.
  if (settings.production) app.use(plainHttpDiagnosis(settings, report));
  if (settings.emulated) app.use(canonicalLoopbackHost(settings.ultracart.callbackURL));
  // The OIDC verify form's POST answers a redirect to the provider, and browsers apply form-action to it.
  app.use(securityHeaders(settings, [...settings.uauth.allowedRedirectOrigins, oidcOrigin(settings)]));
  // Before sessions: the stylesheet needs none, and should not create one.
  app.get(STYLESHEET_PATH, (_req, res) => {
    res.type('css').set('Cache-Control', 'public, max-age=3600').send(STYLESHEET);
  });
  // Browsers ask for it on their own; an empty answer keeps a 404 out of every first visit's console.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).set('Cache-Control', 'public, max-age=86400').end();
  });
  app.use(sessionSetup.middleware);
  app.use(sessionRecognition(settings, report));
  app.use(sessionLifetime(settings, () => ctx.report('session ended at its deadline')));
  // After express-session, which reads its own cookie (csrf-csrf's advice).
  app.use(cookieParser());
  app.use(passport.initialize());
  app.use(passport.session());
  app.use(express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 20 }));
  // Every state-changing request (any POST) must carry the form's token.
  app.use(csrf.protect);

  app.use(pageRoutes(ctx));
  app.use(authRoutes(ctx, passport, strategy, limits.signIn, limits.callback));
  app.use(verifyRoutes(ctx, limits.verify, redis ? usedStates(settings, redis) : processUsedStates));
  app.use(oidcVerifyRoutes(ctx, passport, limits.verify));
  if (settings.store) app.use(storeRoutes(ctx, passport, settings.store, redis, limits.signIn));
  app.use(logoutRoutes(ctx, strategy));
  app.use(notFound(ctx));
  app.use(errorHandler(ctx));

  return {
    app,
    strategy,
    sessionStore: sessionSetup.store,
    close: async () => {
      if (ownRedis?.isOpen) await ownRedis.close();
    },
  };
}

/**
 * A signed-in session the bounded store pushed out can no longer be signed out, so nothing would
 * ever revoke the simple key it held: revoke it now (retried in the background by the client).
 */
function revokeEvictedSessions(store: BoundedMemoryStore, strategy: UltraCartStrategy, ctx: AppContext): void {
  store.on('evicted', (_sid: string, data: session.SessionData) => {
    const user = (data as { passport?: { user?: Partial<AppUser> } }).passport?.user;
    if (typeof user?.simpleKey !== 'string') return;
    void strategy.client.revokeWithRetry(user.simpleKey).then((outcome) => {
      ctx.report(`session store: a signed-in session was evicted to make room; its UltraCart key revoke: ${outcome}`);
    });
  });
}
