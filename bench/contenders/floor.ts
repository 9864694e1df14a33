/**
 * Contender 2, the floor: the same sign-in written by hand with undici's keep-alive Pool and
 * nothing else (no Passport, no checks beyond what the flow needs). The fastest code that could
 * do the job, so the package is measured against what it adds.
 */
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { PACKAGE_POOL_SIZE, ROUTES, serveContender, type BenchUser } from './serve.js';

const API_VERSION = '2017-03-01';

declare module 'express-session' {
  interface SessionData {
    pendingState: string;
    user: BenchUser;
  }
}

await serveContender((app, { callbackURL, upstream, poolSize }) => {
  const base = new URL(upstream.ultracartURL);
  const prefix = base.pathname;
  // The same pool settings as the package's shared agent, so the two differ only in code.
  const pool = new Pool(base.origin, {
    connections: poolSize ?? PACKAGE_POOL_SIZE,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
  });
  const appHeaders = {
    accept: 'application/json',
    'content-type': 'application/json',
    'x-ultracart-api-version': API_VERSION,
    'x-ultracart-simple-key': upstream.appKey,
  };

  async function call(
    method: 'GET' | 'PUT',
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Record<string, unknown>> {
    const res = await pool.request({ method, path: prefix + path, headers, body });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode !== 200) throw Object.assign(new Error(`upstream ${res.statusCode}`), { status: 502 });
    return json;
  }

  app.get(ROUTES.signIn, async (req, res) => {
    const state = randomBytes(32).toString('base64url');
    const { login_url: loginUrl } = await call('PUT', '/sso/authorize', appHeaders, JSON.stringify({ redirect_uri: callbackURL, state }));
    req.session.pendingState = state;
    res.redirect(String(loginUrl));
  });

  app.get(ROUTES.callback, async (req, res, next) => {
    const { state, code } = req.query;
    const pending = req.session.pendingState;
    delete req.session.pendingState;
    if (typeof state !== 'string' || typeof code !== 'string' || state !== pending) {
      res.sendStatus(403);
      return;
    }
    const { simple_key: simpleKey } = await call('PUT', '/sso/token', appHeaders, JSON.stringify({ code, grant_type: 'simple_key' }));
    const user = await call('GET', '/sso/session/user', {
      accept: 'application/json',
      'x-ultracart-api-version': API_VERSION,
      'x-ultracart-simple-key': String(simpleKey),
    });
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = { id: String(user.user_id), login: typeof user.login === 'string' ? user.login : undefined };
      res.redirect(ROUTES.success);
    });
  });
});
