import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startUltrapassIdOidcEmulator, type UltrapassIdOidcEmulator } from '../../src/testing/index.js';

const REDIRECT = 'http://localhost:3000/auth/ultrapassid/callback';
const VERIFIER = 'a-code-verifier-of-forty-three-or-more-characters-long';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

describe('The UltrapassId OpenID Connect emulator', () => {
  let provider: UltrapassIdOidcEmulator;
  beforeEach(async () => {
    provider = await startUltrapassIdOidcEmulator({ redirectUris: [REDIRECT] });
  });
  afterEach(() => provider.close());

  function authorizeUrl(extra: Record<string, string> = {}): string {
    const url = new URL('/oauth2/v2.0/authorize', provider.issuer);
    const params = {
      client_id: provider.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      state: 's1',
      nonce: 'n1',
      ...extra,
    };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.href;
  }

  async function redeem(code: string, verifier: string | null = VERIFIER): Promise<Response> {
    const form = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: provider.clientId,
      code,
      redirect_uri: REDIRECT,
      scope: 'openid',
    });
    if (verifier !== null) form.set('code_verifier', verifier);
    return fetch(`${provider.issuer}/oauth2/v2.0/token`, { method: 'POST', body: form });
  }

  async function approvedCode(extra: Record<string, string> = {}): Promise<string> {
    return new URL((await provider.approve(authorizeUrl(extra))).url).searchParams.get('code')!;
  }

  it('serves discovery naming the documented endpoints, S256 and RS256', async () => {
    const doc = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(doc.issuer).to.equal(provider.issuer);
    expect(doc.authorization_endpoint).to.equal(`${provider.issuer}/oauth2/v2.0/authorize`);
    expect(doc.token_endpoint).to.equal(`${provider.issuer}/oauth2/v2.0/token`);
    expect(doc.code_challenge_methods_supported).to.deep.equal(['S256']);
    expect(doc.id_token_signing_alg_values_supported).to.deep.equal(['RS256']);
  });

  it('issues RS256 ID tokens that verify against its key set, with the per-organization subject', async () => {
    const body = (await (await redeem(await approvedCode())).json()) as { id_token: string };
    const keys = createRemoteJWKSet(new URL(`${provider.issuer}/discovery/v2.0/keys`));
    const { payload, protectedHeader } = await jwtVerify(body.id_token, keys, { issuer: provider.issuer, audience: provider.clientId });
    expect(protectedHeader.alg).to.equal('RS256');
    expect(payload.sub).to.equal(provider.subjectOf('person-ada'));
    expect(payload.nonce).to.equal('n1');
  });

  it('refuses a missing code_verifier with invalid_request and a wrong one with invalid_grant', async () => {
    const missing = await redeem(await approvedCode(), null);
    expect(missing.status).to.equal(400);
    expect(((await missing.json()) as { error: string }).error).to.equal('invalid_request');
    const wrong = await redeem(await approvedCode(), `${VERIFIER}-but-not-quite`);
    expect(wrong.status).to.equal(400);
    expect(((await wrong.json()) as { error: string }).error).to.equal('invalid_grant');
  });

  it('redeems a code once only', async () => {
    const code = await approvedCode();
    expect((await redeem(code)).status).to.equal(200);
    expect((await redeem(code)).status).to.equal(400);
  });

  it('shows the login page and answers the decision with a redirect carrying the code and state', async () => {
    const page = await fetch(authorizeUrl());
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.contain('Ada Lovelace').and.contain('id="approve"');
    const request = /name="request" value="([^"]+)"/.exec(html)![1]!;
    const decided = await fetch(`${provider.issuer}/login`, {
      method: 'POST',
      body: new URLSearchParams({ request, person: 'person-grace', decision: 'approve' }),
      redirect: 'manual',
    });
    expect(decided.status).to.equal(303);
    const back = new URL(decided.headers.get('location')!);
    expect(back.origin + back.pathname).to.equal(REDIRECT);
    expect(back.searchParams.get('state')).to.equal('s1');
    expect(back.searchParams.get('code')).to.match(/^[\w-]{43}$/);
  });

  it('answers form_post with a self-submitting form to the redirect_uri, and cancel with access_denied', async () => {
    const approved = await provider.approve(authorizeUrl({ response_mode: 'form_post' }));
    expect(approved).to.include({ method: 'POST', url: REDIRECT });
    expect(approved.form).to.have.keys('code', 'state');
    const denied = await provider.deny(authorizeUrl({ response_mode: 'form_post' }));
    expect(denied.form).to.deep.equal({ error: 'access_denied', state: 's1' });
  });

  it('refuses an unregistered redirect_uri on its own page instead of redirecting to it', async () => {
    const res = await fetch(authorizeUrl({ redirect_uri: 'https://evil.example/cb' }), { redirect: 'manual' });
    expect(res.status).to.equal(400);
    expect(res.headers.get('location')).to.equal(null);
  });

  it('refuses an authorization request without S256 PKCE', async () => {
    const res = await fetch(authorizeUrl({ code_challenge_method: 'plain' }), { redirect: 'manual' });
    expect(res.status).to.equal(303);
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).to.equal('invalid_request');
  });
});
