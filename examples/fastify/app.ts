import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifyFormbody from '@fastify/formbody';
import { Authenticator } from '@fastify/passport';
import fastifySecureSession from '@fastify/secure-session';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  PassportUltraCartError,
  safeReturnTo,
  uauth,
  UAuthClient,
  UltraCartStrategy,
  UltrapassIdStrategy,
  type UAuthSessionRecord,
  type UltraCartAuthInfo,
} from 'passport-ultracart';
import { failurePage, homePage, problemPage } from './pages.js';

/** What the example needs to run; `main.ts` fills it from the environment or the emulators. */
export interface FastifyExampleConfig {
  /** Where browsers reach this app, e.g. `http://127.0.0.1:3000`; the callback URL is built from it. */
  origin: string;
  /** 32 bytes that encrypt the session cookie (`@fastify/secure-session`). */
  sessionKey: Buffer;
  ultracart: { simpleKey: string; baseURL?: string };
  uauth: { organizationKey: string; workflowKey: string; baseURL?: string };
  /** UltrapassId's OpenID Connect: the registered client and, for the emulator, its issuer. */
  oidc: { clientId: string; issuer?: string };
}

export const CALLBACK_PATH = '/auth/ultracart/callback';
const LOOPBACK = /^(?:localhost|127\.0\.0\.1|\[::1\])$/;
export const VERIFY_RETURN_PATH = '/verify/return';
export const OIDC_CALLBACK_PATH = '/verify/oidc/callback';

/** What UltrapassId's OpenID Connect sign-in verified for the signed-in user. */
interface OidcVerification {
  subject: string;
  verifiedAt: string;
}

/** What the session keeps for a signed-in user. The simple key is in an encrypted, HttpOnly cookie. */
interface SessionUser {
  id: string;
  login: string;
  name: string;
  simpleKey: string;
}

declare module '@fastify/secure-session' {
  interface SessionData {
    /** Written by `uauth()` (its default `sessionKey`) when it sends the browser to UltrapassId. */
    uauth: UAuthSessionRecord;
    verification: { workflowKey: string; policyId: string | null };
    oidcCheck: OidcVerification;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The raw response, as Express puts it on `req.res`: see the hook below. */
    res: import('node:http').ServerResponse | null;
  }
}

/**
 * A Fastify app with both flows: UltraCart sign-in through `@fastify/passport`, and UltrapassId's
 * identity check through `uauth()`. Pass `server` to serve on an http.Server you already listen
 * on (the tests do, to know the port before the callback URL is built).
 */
export async function buildFastifyExample(config: FastifyExampleConfig, server?: Server): Promise<FastifyInstance> {
  const app = Fastify(server ? { serverFactory: (handler) => server.on('request', handler) } : {});
  const secure = config.origin.startsWith('https:');

  // The sign-out and verify buttons post forms.
  await app.register(fastifyFormbody);
  await app.register(fastifySecureSession, {
    key: config.sessionKey,
    cookieName: 'sid',
    // Lax, not Strict: the return from UltraCart is a cross-site navigation, and must carry it.
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure },
  });

  // The strategy sets Cache-Control and Referrer-Policy on its redirects, and Retry-After on a
  // 503, through `req.res` as Express provides it. Fastify's request has no response on it, and
  // @fastify/passport hands the strategy only the request: this hook is the whole glue.
  app.decorateRequest('res', null);
  app.addHook('onRequest', async (request, reply) => {
    request.res = reply.raw;
  });

  // Cookies are kept per host name: a browser that opened localhost would come back from UltraCart
  // to 127.0.0.1 (the callback's host) without its session. Loopback aliases go to the one host.
  const { hostname: canonicalHost } = new URL(config.origin);
  app.addHook('onRequest', async (request, reply) => {
    if (request.hostname !== canonicalHost && LOOPBACK.test(request.hostname) && LOOPBACK.test(canonicalHost)) {
      return reply.redirect(`${config.origin}${request.url}`, 307);
    }
  });

  const passport = new Authenticator();
  await app.register(passport.initialize());
  await app.register(passport.secureSession());
  passport.registerUserSerializer(async (user: SessionUser) => user);
  passport.registerUserDeserializer(async (user: SessionUser) => user);

  const strategy = new UltraCartStrategy(
    {
      callbackURL: `${config.origin}${CALLBACK_PATH}`,
      simpleKey: config.ultracart.simpleKey,
      baseURL: config.ultracart.baseURL,
      // @fastify/passport passes the route's fixed options to the strategy: the return path comes from the query.
      returnToParam: 'returnTo',
    },
    async (simpleKey, _token, profile): Promise<SessionUser> => ({
      id: profile.id,
      login: profile.username ?? profile.id,
      name: profile.displayName,
      simpleKey,
    }),
  );
  passport.use('ultracart', strategy as never);
  passport.use(
    'ultrapassid',
    new UltrapassIdStrategy(
      { clientId: config.oidc.clientId, issuer: config.oidc.issuer, callbackURL: `${config.origin}${OIDC_CALLBACK_PATH}` },
      async (profile): Promise<OidcVerification> => ({ subject: profile.id, verifiedAt: profile.verifiedAt.toISOString() }),
    ) as never,
  );

  const uauthConnection = { organizationKey: config.uauth.organizationKey, baseURL: config.uauth.baseURL };
  const startVerification = uauth({ ...uauthConnection, workflowKey: config.uauth.workflowKey });
  const uauthClient = new UAuthClient(uauthConnection);

  app.setErrorHandler((err: Error & { statusCode?: number }, _request, reply) => {
    // The package's errors carry status, headers (Retry-After) and expose, as http-errors do.
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    const known = err instanceof PassportUltraCartError ? err : undefined;
    if (known?.headers) void reply.headers(known.headers);
    const message = known?.expose ? known.message : status === 503 ? 'Sign-in is unavailable just now.' : 'Something went wrong.';
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(problemPage(status, message, known?.headers?.['Retry-After']));
  });

  app.get('/', async (request, reply) => {
    const user = request.user as SessionUser | undefined;
    const verification = request.session.get('verification');
    return reply.type('text/html; charset=utf-8').send(
      homePage({
        user: user ? { name: user.name, login: user.login } : null,
        verifiedWith: verification ? (verification.policyId ?? 'unknown') : null,
        oidcSubject: request.session.get('oidcCheck')?.subject ?? null,
      }),
    );
  });

  app.get('/login', passport.authenticate('ultracart'));

  app.get(
    CALLBACK_PATH,
    passport.authenticate('ultracart', async (request, reply, err, user, info, status) => {
      if (err) throw err;
      if (!user) {
        // The strategy's failure: its status (403, 401, 400) and a reason naming the likely cause.
        const failure = (info ?? {}) as { reason?: string; message?: string };
        return reply
          .code(status ?? 401)
          .type('text/html; charset=utf-8')
          .send(failurePage(failure.reason ?? null, failure.message ?? 'Sign-in did not finish.'));
      }
      await request.logIn(user);
      return reply.redirect(safeReturnTo((info as UltraCartAuthInfo | undefined)?.returnTo) ?? '/');
    }),
  );

  app.post('/logout', async (request, reply) => {
    const user = request.user as SessionUser | undefined;
    // Revoked first (one attempt; a failure is retried in the background), then signed out locally.
    if (user) await strategy.client.revokeWithRetry(user.simpleKey);
    await request.logOut();
    request.session.delete();
    return reply.redirect('/', 303);
  });

  app.post('/verify', async (request, reply) => {
    if (!request.user) return reply.redirect('/', 303);
    // The session cookie is SameSite=Lax, so a cross-site form post arrives signed out; the
    // Origin check refuses the rest. A real app adds @fastify/csrf-protection.
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== config.origin) return reply.code(403).send('Cross-site request refused');
    return runMiddleware(startVerification, request, reply);
  });

  // UltrapassId over OpenID Connect, as passport.authorize(): the identity goes to request.account,
  // and the UltraCart user stays signed in as they were.
  const signedInOnly = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.user) return reply.redirect('/', 303);
  };
  app.post('/verify/oidc', { preValidation: [signedInOnly, passport.authorize('ultrapassid')] }, async () => {});
  app.get(
    OIDC_CALLBACK_PATH,
    {
      preValidation: [
        signedInOnly,
        passport.authorize('ultrapassid', async (request, reply, err, account, info, status) => {
          if (err) throw err;
          if (!account) {
            const failure = (info ?? {}) as { reason?: string; message?: string };
            return reply
              .code(status ?? 401)
              .type('text/html; charset=utf-8')
              .send(failurePage(failure.reason ?? null, failure.message ?? 'The verification did not finish.'));
          }
          request.session.set('oidcCheck', account as OidcVerification);
        }),
      ],
    },
    async (_request, reply) => reply.header('Cache-Control', 'no-store').redirect('/', 303),
  );

  app.get(VERIFY_RETURN_PATH, async (request, reply) => {
    const record = request.session.get('uauth');
    // Used up whatever follows. Through the session's own set(): @fastify/secure-session ignores `delete`.
    request.session.set('uauth', undefined);
    const { sessionId } = request.query as { sessionId?: unknown };
    if (!request.user || !record || typeof sessionId !== 'string' || record.sessionId !== sessionId) {
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(problemPage(403, 'This verification was not started here.', undefined));
    }
    const session = await uauthClient.getSession(sessionId);
    if (session.workflowKey.toLowerCase() !== record.workflowKey.toLowerCase()) {
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(problemPage(403, 'UltrapassId reported another workflow.', undefined));
    }
    request.session.set('verification', { workflowKey: session.workflowKey, policyId: session.policyId });
    return reply.header('Cache-Control', 'no-store').redirect('/', 303);
  });

  return app;
}

/**
 * Runs `uauth()`, a Connect-style middleware, inside a Fastify handler. Its redirect goes through
 * the reply rather than the raw response, so Fastify's onSend hooks still run and
 * @fastify/secure-session saves the pending workflow `uauth()` recorded in the session.
 */
function runMiddleware(
  middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply> {
  return new Promise((resolve, reject) => {
    const res = {
      get headersSent() {
        return reply.sent;
      },
      get statusCode() {
        return reply.statusCode;
      },
      set statusCode(code: number) {
        void reply.code(code);
      },
      setHeader(name: string, value: string) {
        void reply.header(name, value);
        return res;
      },
      end() {
        resolve(reply.send());
      },
    };
    // uauth() reads req.method and req.session: Fastify's request has both.
    middleware(request as unknown as IncomingMessage, res as unknown as ServerResponse, (err) => (err ? reject(err) : resolve(reply)));
  });
}
