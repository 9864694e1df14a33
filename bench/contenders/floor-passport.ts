/**
 * Diagnostic contender: the floor's hand-written flow, signed in through Passport (a minimal
 * strategy, `passport.initialize()`, `passport.session()`, `req.logIn`) exactly as the package's
 * contender sets Passport up. Against the floor it prices Passport itself; against the package it
 * prices what the package's own code adds.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-strategy';
import { Pool } from 'undici';
import { PACKAGE_POOL_SIZE, mountPassport, serveContender, type BenchUser } from './serve.js';

const API_VERSION = '2017-03-01';

type Req = IncomingMessage & { query: Record<string, unknown>; session: Record<string, unknown> };

class FloorStrategy extends Strategy {
  name = 'floor';

  constructor(
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly appKey: string,
    private readonly callbackURL: string,
  ) {
    super();
  }

  private async call(method: 'GET' | 'PUT', path: string, simpleKey: string, body?: string): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-ultracart-api-version': API_VERSION,
      'x-ultracart-simple-key': simpleKey,
    };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await this.pool.request({ method, path: this.prefix + path, headers, body });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode !== 200) throw Object.assign(new Error(`upstream ${res.statusCode}`), { status: 502 });
    return json;
  }

  override authenticate(incoming: IncomingMessage): void {
    const req = incoming as Req;
    const flow = req.query.state === undefined ? this.start(req) : this.finish(req);
    flow.catch((err: unknown) => this.error(err as Error));
  }

  private async start(req: Req): Promise<void> {
    const state = randomBytes(32).toString('base64url');
    const { login_url: loginUrl } = await this.call(
      'PUT',
      '/sso/authorize',
      this.appKey,
      JSON.stringify({ redirect_uri: this.callbackURL, state }),
    );
    req.session.pendingState = state;
    this.redirect(String(loginUrl));
  }

  private async finish(req: Req): Promise<void> {
    const { state, code } = req.query;
    const pending = req.session.pendingState;
    delete req.session.pendingState;
    if (typeof state !== 'string' || typeof code !== 'string' || state !== pending) return this.fail(403);
    const { simple_key: simpleKey } = await this.call('PUT', '/sso/token', this.appKey, JSON.stringify({ code, grant_type: 'simple_key' }));
    const user = await this.call('GET', '/sso/session/user', String(simpleKey));
    this.success({ id: String(user.user_id), login: typeof user.login === 'string' ? user.login : undefined } satisfies BenchUser);
  }
}

await serveContender((app, { callbackURL, upstream, poolSize }) => {
  const base = new URL(upstream.ultracartURL);
  const pool = new Pool(base.origin, {
    connections: poolSize ?? PACKAGE_POOL_SIZE,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
  });
  mountPassport(app, new FloorStrategy(pool, base.pathname, upstream.appKey, callbackURL));
});
