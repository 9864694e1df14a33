import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { AppModule } from './app.module.js';
import type { NestExampleConfig } from './config.js';

const LOOPBACK = /^(?:localhost|127\.0\.0\.1|\[::1\])$/;

/**
 * The Nest app on an Express instance (pass your own to serve it from an http.Server you already
 * listen on), with express-session and Passport's session support in front of every route.
 */
export async function createNestExample(config: NestExampleConfig, server = express()): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), new ExpressAdapter(server), { logger: false });
  const { hostname: canonicalHost, protocol } = new URL(config.origin);
  // Cookies are kept per host name: a browser on localhost would come back from UltraCart to the
  // callback's 127.0.0.1 without its session. Loopback aliases go to the one host.
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (req.hostname !== canonicalHost && LOOPBACK.test(req.hostname) && LOOPBACK.test(canonicalHost)) {
      return res.redirect(307, `${config.origin}${req.originalUrl}`);
    }
    next();
  });
  app.use(
    session({
      secret: config.sessionSecret,
      name: 'sid',
      resave: false,
      saveUninitialized: false,
      // Lax, not Strict: the return from UltraCart is a cross-site navigation, and must carry it.
      cookie: { httpOnly: true, sameSite: 'lax', secure: protocol === 'https:' },
    }),
  );
  // The @nestjs/passport mixin registers strategies with passport's default instance: use that one.
  app.use(passport.initialize());
  app.use(passport.session());
  await app.init();
  return app;
}
