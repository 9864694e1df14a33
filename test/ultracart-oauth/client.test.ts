import { expect } from 'chai';
import { inspect } from 'node:util';
import { UltraCartOAuthClient, UltraCartOAuthError, type UltraCartOAuthTokens } from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

async function rejection(promise: Promise<unknown>): Promise<UltraCartOAuthError> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(UltraCartOAuthError);
    return err as UltraCartOAuthError;
  }
  throw new Error('expected a rejection');
}

describe('UltraCartOAuthClient', () => {
  let emulator: UltraCartEmulator;
  let client: UltraCartOAuthClient;
  const redirectUri = 'http://127.0.0.1/store/callback';

  /** A connection as the strategy would have made it. */
  async function connected(c = client): Promise<UltraCartOAuthTokens> {
    const authorize = new URL(emulator.oauth.authorizeURL);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id: c.clientId,
      redirect_uri: redirectUri,
      state: 's'.repeat(43),
    }).toString();
    const code = new URL(await emulator.oauth.approve(authorize.href)).searchParams.get('code')!;
    return c.exchangeCode(code, redirectUri);
  }

  beforeEach(async () => {
    emulator = await startUltraCartEmulator();
    client = new UltraCartOAuthClient({
      clientId: emulator.oauth.clientId,
      clientSecret: emulator.oauth.clientSecret,
      baseURL: emulator.url,
      timeoutMs: 500,
    });
  });
  afterEach(() => emulator.close());

  describe('refresh', () => {
    it('returns new tokens and the rotated refresh token when UltraCart rotates; the old one stops working', async () => {
      const first = await connected();
      const next = await client.refresh(first.refreshToken!);
      expect(next.accessToken).to.not.equal(first.accessToken);
      expect(next.refreshToken).to.be.a('string').and.not.equal(first.refreshToken);
      expect(emulator.oauth.isLiveRefreshToken(first.refreshToken!)).to.equal(false);
      expect(emulator.oauth.isLiveRefreshToken(next.refreshToken!)).to.equal(true);
      const form = Object.fromEntries(new URLSearchParams(emulator.oauth.calls.filter((c) => c.endpoint === 'token').at(-1)!.body));
      expect(form).to.deep.equal({
        client_id: emulator.oauth.clientId,
        grant_type: 'refresh_token',
        refresh_token: first.refreshToken,
        client_secret: emulator.oauth.clientSecret,
      });
    });

    it('keeps the old refresh token when UltraCart sends none back', async () => {
      emulator.oauth.setRotation(false);
      const first = await connected();
      const next = await client.refresh(first.refreshToken!);
      expect(next.refreshToken).to.equal(first.refreshToken);
      expect(next.accessToken).to.not.equal(first.accessToken);
      expect(await client.refresh(next.refreshToken!)).to.have.property('accessToken');
    });

    it('says reconnect-needed (ULTRACART_OAUTH_RECONNECT_NEEDED, 401) when the refresh token was revoked, in every error shape', async () => {
      for (const shape of ['oauth', 'oauth-200', 'ultracart'] as const) {
        emulator.oauth.setGrantErrorShape(shape);
        const tokens = await connected();
        await client.revoke(tokens.accessToken);
        const err = await rejection(client.refresh(tokens.refreshToken!));
        expect(err.code, shape).to.equal('ULTRACART_OAUTH_RECONNECT_NEEDED');
        expect(err.status).to.equal(401);
        expect(err.reconnectNeeded).to.equal(true);
      }
    });

    it('says reconnect-needed on 401 and on 410 (the app disabled by UltraCart)', async () => {
      const tokens = await connected();
      emulator.oauth.inject('token', { status: 401 });
      expect((await rejection(client.refresh(tokens.refreshToken!))).code).to.equal('ULTRACART_OAUTH_RECONNECT_NEEDED');
      emulator.oauth.setDisabled(emulator.oauth.clientId, true);
      const err = await rejection(client.refresh(tokens.refreshToken!));
      expect(err.code).to.equal('ULTRACART_OAUTH_RECONNECT_NEEDED');
      expect(err.upstreamStatus).to.equal(410);
      expect(err.restError).to.equal('Authorized application disabled');
    });

    it('keeps 429 (with its Retry-After) and 5xx apart from a refusal: the connection is not lost', async () => {
      const tokens = await connected();
      emulator.oauth.inject('token', { status: 429, headers: { 'retry-after': '30' } });
      const limited = await rejection(client.refresh(tokens.refreshToken!));
      expect(limited.code).to.equal('ULTRACART_OAUTH_RATE_LIMITED');
      expect(limited.retryAfter).to.equal(30);
      expect(limited.headers).to.deep.equal({ 'Retry-After': '30' });
      emulator.oauth.inject('token', { status: 503 });
      expect((await rejection(client.refresh(tokens.refreshToken!))).code).to.equal('ULTRACART_OAUTH_UNAVAILABLE');
      expect(await client.refresh(tokens.refreshToken!)).to.have.property('accessToken');
    });

    it('times out within timeoutMs on a hang, and refuses malformed answers', async () => {
      const tokens = await connected();
      emulator.oauth.inject('token', { behaviour: 'hang' });
      const started = Date.now();
      expect((await rejection(client.refresh(tokens.refreshToken!))).code).to.equal('ULTRACART_OAUTH_TIMEOUT');
      expect(Date.now() - started).to.be.below(3000);
      emulator.oauth.inject('token', { behaviour: 'malformed' });
      expect((await rejection(client.refresh(tokens.refreshToken!))).code).to.equal('ULTRACART_OAUTH_BAD_RESPONSE');
    });
  });

  describe('a public client', () => {
    it('sends no secret on refresh, and the emulator refuses an empty one', async () => {
      const pub = new UltraCartOAuthClient({ clientId: emulator.oauth.publicClientId, baseURL: emulator.url });
      const tokens = await connected(pub);
      await pub.refresh(tokens.refreshToken!);
      const bodies = emulator.oauth.calls.filter((c) => c.endpoint === 'token').map((c) => c.body);
      expect(bodies.every((b) => !new URLSearchParams(b).has('client_secret'))).to.equal(true);
      expect(() => new UltraCartOAuthClient({ clientId: 'x', clientSecret: '' })).to.throw(TypeError, /the clientSecret option must be/);
      const empty = await fetch(`${emulator.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: emulator.oauth.publicClientId,
          grant_type: 'refresh_token',
          refresh_token: 'x',
          client_secret: '',
        }).toString(),
      });
      expect(empty.status).to.equal(400);
      expect(((await empty.json()) as { error: string }).error).to.equal('invalid_request');
    });
  });

  describe('revoke', () => {
    it('posts client_id and the token, form-encoded and without the secret, and the connection ends', async () => {
      const tokens = await connected();
      expect(await client.revoke(tokens.accessToken)).to.deep.equal({ successful: true, message: 'The application was revoked' });
      const call = emulator.oauth.calls.filter((c) => c.endpoint === 'revoke').at(-1)!;
      expect(call.headers['content-type']).to.equal('application/x-www-form-urlencoded');
      expect(Object.fromEntries(new URLSearchParams(call.body))).to.deep.equal({
        client_id: emulator.oauth.clientId,
        token: tokens.accessToken,
      });
      expect(emulator.oauth.isLive(tokens.accessToken)).to.equal(false);
      expect(emulator.oauth.isLiveRefreshToken(tokens.refreshToken!)).to.equal(false);
      expect(await client.revoke(tokens.accessToken)).to.include({ successful: false });
    });
  });

  describe('an API call with the access token', () => {
    it('sends the bearer token and the version header, and returns the answer', async () => {
      const tokens = await connected();
      const body = await client.get('/item/items?_limit=2', tokens.accessToken);
      expect((body.items as unknown[]).length).to.equal(2);
      const call = emulator.oauth.calls.filter((c) => c.endpoint === 'api').at(-1)!;
      expect(call.headers.authorization).to.equal(`Bearer ${tokens.accessToken}`);
      expect(call.headers['x-ultracart-api-version']).to.equal('2017-03-01');
    });

    it('says token-rejected on a 401 (refresh and retry) and reconnect-needed on a 410', async () => {
      const tokens = await connected();
      emulator.oauth.expireAccessTokens();
      expect((await rejection(client.get('/item/items', tokens.accessToken))).code).to.equal('ULTRACART_OAUTH_TOKEN_REJECTED');
      const fresh = await client.refresh(tokens.refreshToken!);
      emulator.oauth.setDisabled(emulator.oauth.clientId, true);
      expect((await rejection(client.get('/item/items', fresh.accessToken))).code).to.equal('ULTRACART_OAUTH_RECONNECT_NEEDED');
    });

    it('refuses paths that would leave baseURL or are not paths', async () => {
      const tokens = await connected();
      for (const path of ['//evil.example/x', 'item/items', '/../../x', '/item items']) {
        await client.get(path, tokens.accessToken).then(
          () => expect.fail(`accepted ${path}`),
          (err: unknown) => expect(err).to.be.instanceOf(TypeError),
        );
      }
    });
  });

  describe('secrets in errors', () => {
    it('never puts a token, code or the client secret in a message, JSON or inspect output, even when UltraCart echoes them', async () => {
      const tokens = await connected();
      const echoed = `bad refresh_token ${tokens.refreshToken} for secret ${emulator.oauth.clientSecret}`;
      emulator.oauth.inject('token', { status: 400, body: { error: 'invalid_grant', error_description: echoed } });
      const err = await rejection(client.refresh(tokens.refreshToken!));
      emulator.oauth.inject('token', {
        status: 400,
        body: { error: { developer_message: echoed, user_message: echoed }, success: false },
        headers: { 'uc-rest-error': echoed },
      });
      const uc = await rejection(client.refresh(tokens.refreshToken!));
      for (const e of [err, uc]) {
        const printed = [
          e.message,
          JSON.stringify(e),
          inspect(e, { depth: 5 }),
          e.developerMessage ?? '',
          e.restError ?? '',
          e.userMessage ?? '',
        ].join('\n');
        expect(printed).to.include('[redacted]');
        expect(printed).not.to.include(tokens.refreshToken!);
        expect(printed).not.to.include(emulator.oauth.clientSecret);
      }
    });
  });
});
