import { subscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import express from 'express';
import { Passport, type Strategy } from 'passport';
import session from 'express-session';
import { DEFAULT_CONNECTIONS_PER_ORIGIN } from '../../src/http/transport.js';
import { answerControl, exitWithParent, sendToParent, type UpstreamAddresses } from '../ipc.js';

/** The routes every contender serves; the load generator walks them. */
export const ROUTES = { signIn: '/login', callback: '/auth/callback', success: '/done' } as const;

/** The package's own pool size per origin, which the floor matches unless `--pool` says otherwise. */
export const PACKAGE_POOL_SIZE = DEFAULT_CONNECTIONS_PER_ORIGIN;

export interface ContenderContext {
  /** The app's own origin, e.g. `http://127.0.0.1:40111`. */
  origin: string;
  /** `origin` + the callback route: what the app registers as its redirect URI. */
  callbackURL: string;
  upstream: UpstreamAddresses;
  /** `--pool`: upstream connections per origin; undefined leaves the package on its own shared agent. */
  poolSize: number | undefined;
}

/**
 * An Express 5 app as a user would set one up: express-session with its MemoryStore, nothing
 * saved for visitors who start nothing, the success page, and an error handler. The contender
 * adds its sign-in and callback routes in `mount`.
 */
export async function serveContender(mount: (app: express.Express, context: ContenderContext) => void): Promise<void> {
  const upstream = JSON.parse(process.env.BENCH_UPSTREAM ?? 'null') as UpstreamAddresses | null;
  if (!upstream) throw new Error('BENCH_UPSTREAM is not set: start contenders through bench/run.ts');

  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const app = express();
  app.set('x-powered-by', false);
  app.use(session({ secret: 'bench-session-secret-of-at-least-32-bytes', name: 'sid', resave: false, saveUninitialized: false }));
  const poolSize = process.env.BENCH_POOL ? Number(process.env.BENCH_POOL) : undefined;
  mount(app, { origin, callbackURL: `${origin}${ROUTES.callback}`, upstream, poolSize });
  app.get(ROUTES.success, (_req, res) => {
    res.send('signed in');
  });
  app.use((err: { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? 'ERROR' });
  });
  server.on('request', app);

  exitWithParent(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const sockets = watchUpstreamSockets();
  answerControl(() => {
    // Each stats request starts a new window, so the runner gets each round's own peak.
    const peakSockets = sockets.peak;
    sockets.peak = sockets.open;
    return { peakSockets };
  });
  sendToParent({ type: 'ready', url: origin });
}

/**
 * Passport as a user sets it up for a sign-in strategy: the whole user in the session,
 * `initialize()` and `session()` on every request, and the strategy on the sign-in and callback
 * routes. Shared by every Passport contender, so they differ only in their strategy.
 */
export function mountPassport(app: express.Express, strategy: Strategy & { name: string }): void {
  const passport = new Passport();
  passport.use(strategy);
  passport.serializeUser((user, done) => done(null, user));
  passport.deserializeUser((user: Express.User, done) => done(null, user));
  app.use(passport.initialize());
  app.use(passport.session());
  app.get(ROUTES.signIn, passport.authenticate(strategy.name));
  app.get(ROUTES.callback, passport.authenticate(strategy.name), (_req, res) => res.redirect(ROUTES.success));
}

/** What every contender keeps in the session for a signed-in user. */
export interface BenchUser {
  id: string;
  login: string | undefined;
}

/**
 * Counts this process's outgoing TCP connections as they open and close. A contender connects to
 * nothing but its vendor, so the peak is the most upstream connections it held at once, whatever
 * HTTP client it uses (undici and node:http both publish on `net.client.socket`).
 */
function watchUpstreamSockets(): { open: number; peak: number } {
  const sockets = { open: 0, peak: 0 };
  subscribe('net.client.socket', (message) => {
    const socket = (message as { socket: Socket }).socket;
    sockets.open += 1;
    sockets.peak = Math.max(sockets.peak, sockets.open);
    socket.once('close', () => {
      sockets.open -= 1;
    });
  });
  return sockets;
}
