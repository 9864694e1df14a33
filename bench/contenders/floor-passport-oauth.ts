/**
 * The yardstick of the UltraCart OAuth flow: its upstream steps written as a minimal Passport
 * strategy (a state in the session, the redirect to the approval page, one form-encoded token
 * call), set up with Passport as the package's contender.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Strategy } from 'passport-strategy';
import { Pool } from 'undici';
import { PACKAGE_POOL_SIZE, mountPassport, serveContender, type BenchUser } from './serve.js';

type Req = IncomingMessage & { query: Record<string, unknown>; session: Record<string, unknown> };

class FloorOAuthStrategy extends Strategy {
  name = 'floor-oauth';

  constructor(
    private readonly pool: Pool,
    private readonly base: URL,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly callbackURL: string,
  ) {
    super();
  }

  override authenticate(incoming: IncomingMessage): void {
    const req = incoming as Req;
    if (req.query.state === undefined) return this.start(req);
    this.finish(req).catch((err: unknown) => this.error(err as Error));
  }

  private start(req: Req): void {
    const state = randomBytes(32).toString('base64url');
    req.session.pendingState = state;
    const url = new URL(`${this.base.href}/oauth/authorize`);
    url.search = new URLSearchParams({ response_type: 'code', client_id: this.clientId, redirect_uri: this.callbackURL, state }).toString();
    this.redirect(url.href);
  }

  private async finish(req: Req): Promise<void> {
    const { state, code } = req.query;
    const pending = req.session.pendingState;
    delete req.session.pendingState;
    if (typeof state !== 'string' || typeof code !== 'string' || state !== pending) return this.fail(403);
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: this.clientId,
      client_secret: this.clientSecret,
      code,
      redirect_uri: this.callbackURL,
    }).toString();
    const res = await this.pool.request({
      method: 'POST',
      path: `${this.base.pathname}/oauth/token`,
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded', 'x-ultracart-api-version': '2017-03-01' },
      body,
    });
    const json = (await res.body.json()) as Record<string, unknown>;
    if (res.statusCode !== 200 || typeof json.access_token !== 'string')
      throw Object.assign(new Error(`upstream ${res.statusCode}`), { status: 502 });
    this.success({ id: json.access_token.slice(-8), login: undefined } satisfies BenchUser);
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
  mountPassport(app, new FloorOAuthStrategy(pool, base, upstream.ultracartOAuthClientId, upstream.ultracartOAuthClientSecret, callbackURL));
});
