import fastifyCookie from '@fastify/cookie';
import { Authenticator } from '@fastify/passport';
import fastifySecureSession from '@fastify/secure-session';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { UltraCartStrategy, type StrategyOptions } from '../../src/index.js';
import type { UltraCartEmulator } from '../../src/testing/index.js';

export type FastifySessionPlugin = 'secure-session' | 'session';

export interface FastifyHarness {
  app: FastifyInstance;
  /** The app's origin, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  strategy: UltraCartStrategy;
  close(): Promise<void>;
}

export const FASTIFY_CALLBACK_PATH = '/auth/ultracart/callback';

/**
 * A Fastify app as a user would write it with `@fastify/passport`: one of the two session plugins,
 * passport's initialize and secureSession plugins, a sign-in route, the callback, and `/me`. A
 * failed callback answers its status and the strategy's reason as JSON, so tests see what the
 * strategy said. It listens on a free port of 127.0.0.1, so real browsers' cookie rules apply.
 */
export async function startFastifyHarness(
  emulator: UltraCartEmulator,
  sessionPlugin: FastifySessionPlugin,
  strategyOptions: Partial<StrategyOptions> = {},
): Promise<FastifyHarness> {
  const app = Fastify();
  if (sessionPlugin === 'secure-session') {
    await app.register(fastifySecureSession, {
      key: Buffer.alloc(32, 7),
      cookieName: 'sid',
      cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: false },
    });
  } else {
    await app.register(fastifyCookie);
    await app.register(fastifySession, {
      secret: 'a-fastify-session-secret-of-at-least-32-chars',
      cookieName: 'sid',
      saveUninitialized: false,
      cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: false },
    });
  }
  const passport = new Authenticator();
  await app.register(passport.initialize());
  await app.register(passport.secureSession());
  passport.registerUserSerializer(async (user: unknown) => user);
  passport.registerUserDeserializer(async (user: unknown) => user);

  app.get('/login', passport.authenticate('ultracart'));
  app.get(
    FASTIFY_CALLBACK_PATH,
    passport.authenticate('ultracart', async (request, reply, err, user, info, status) => {
      if (err) throw err;
      if (!user) {
        const challenge = info as { message?: string; reason?: string } | undefined;
        return reply.code(status ?? 401).send({ reason: challenge?.reason ?? null, message: challenge?.message ?? null });
      }
      await request.logIn(user);
      return reply.redirect('/me');
    }),
  );
  app.get('/me', async (request) => ({ user: request.user ?? null }));

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const strategy = new UltraCartStrategy(
    {
      callbackURL: `${origin}${FASTIFY_CALLBACK_PATH}`,
      baseURL: emulator.url,
      simpleKey: emulator.appKey,
      ...strategyOptions,
    } as StrategyOptions,
    async (_simpleKey, _token, profile) => ({ id: profile.id, login: profile.username }),
  );
  // Routes name the strategy; @fastify/passport looks it up per request, so it can come after listen().
  passport.use('ultracart', strategy as never);

  return { app, origin, strategy, close: () => app.close() };
}
