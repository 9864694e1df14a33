import { expect } from 'chai';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';

const REDIRECT = 'https://app.example.com/store/callback';

describe('the UltraCart emulator: its OAuth 2.0 side', () => {
  let emulator: UltraCartEmulator;
  afterEach(() => emulator.close());

  const authorize = (params: Record<string, string>): string => {
    const url = new URL(emulator.oauth.authorizeURL);
    url.search = new URLSearchParams(params).toString();
    return url.href;
  };
  const tokenCall = (form: Record<string, string>) =>
    fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });

  it('shows the approval page for a registered app and redirect URL, and the form answers with a code and the state', async () => {
    emulator = await startUltraCartEmulator({
      oauth: { apps: [{ clientId: 'app', clientSecret: 'sekret', redirectUris: [REDIRECT], name: 'Acme' }] },
    });
    const page = await fetch(authorize({ response_type: 'code', client_id: 'app', redirect_uri: REDIRECT, state: 'xyz' }));
    expect(page.status).to.equal(200);
    const html = await page.text();
    expect(html).to.include('Authorize Acme').and.include('DEMO1');
    const requestId = /name="request" value="([^"]+)"/.exec(html)![1]!;
    const approved = await fetch(`${emulator.origin}/oauth/approve`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request: requestId, decision: 'approve' }).toString(),
    });
    expect(approved.status).to.equal(303);
    const location = new URL(approved.headers.get('location')!);
    expect(location.origin + location.pathname).to.equal(REDIRECT);
    expect(location.searchParams.get('state')).to.equal('xyz');
    const code = location.searchParams.get('code')!;
    const first = await tokenCall({
      client_id: 'app',
      client_secret: 'sekret',
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
    });
    const tokens = (await first.json()) as Record<string, unknown>;
    expect(tokens).to.include({ token_type: 'bearer', expires_in: '3600', scope: 'item_read order_read webhook_read' });
    // Codes are single use.
    const again = await tokenCall({
      client_id: 'app',
      client_secret: 'sekret',
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
    });
    expect(again.status).to.equal(400);
    expect(((await again.json()) as { error: string }).error).to.equal('invalid_grant');
  });

  it('refuses an unknown app or an unregistered redirect URL on its page, without redirecting', async () => {
    emulator = await startUltraCartEmulator({ oauth: { apps: [{ clientId: 'app', redirectUris: [REDIRECT] }] } });
    for (const params of [
      { response_type: 'code', client_id: 'nobody', redirect_uri: REDIRECT, state: 's' },
      { response_type: 'code', client_id: 'app', redirect_uri: 'https://evil.example/cb', state: 's' },
    ]) {
      const res = await fetch(authorize(params), { redirect: 'manual' });
      expect(res.status).to.equal(400);
      expect(res.headers.get('location')).to.equal(null);
    }
    await emulator.oauth
      .approve(authorize({ response_type: 'code', client_id: 'app', redirect_uri: 'https://evil.example/cb', state: 's' }))
      .then(
        () => expect.fail('approved an unregistered redirect URL'),
        (err: Error) => expect(err.message).to.match(/redirect_uri/),
      );
  });

  it('checks the client secret: required for a confidential app, refused (even empty) from a public one', async () => {
    emulator = await startUltraCartEmulator();
    const { clientId, publicClientId } = emulator.oauth;
    expect((await tokenCall({ client_id: clientId, grant_type: 'refresh_token', refresh_token: 'x' })).status).to.equal(401);
    expect(
      (await tokenCall({ client_id: clientId, client_secret: 'wrong', grant_type: 'refresh_token', refresh_token: 'x' })).status,
    ).to.equal(401);
    expect(
      (await tokenCall({ client_id: publicClientId, client_secret: '', grant_type: 'refresh_token', refresh_token: 'x' })).status,
    ).to.equal(400);
    const json = await fetch(`${emulator.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(json.status).to.equal(400);
  });

  it('answers its one API call only for a live bearer token and the version header', async () => {
    emulator = await startUltraCartEmulator();
    const res = await fetch(`${emulator.url}/item/items`, {
      headers: { authorization: 'Bearer nope', 'x-ultracart-api-version': '2017-03-01' },
    });
    expect(res.status).to.equal(401);
    expect(res.headers.get('uc-rest-error')).to.match(/access token/);
    expect(((await res.json()) as { success: boolean }).success).to.equal(false);
  });
});
