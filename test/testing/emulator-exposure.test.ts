import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  startUltrapassIdOidcEmulator,
} from 'passport-ultracart/testing';
import { Agent, fetch as undiciFetch } from 'undici';
import { freePort } from '../support/nginx.js';
import { opensslInstalled, selfSignedCertificate } from '../support/tls-certificate.js';

const API_VERSION = { 'x-ultracart-api-version': '2017-03-01' };
const PUBLIC = 'https://vendor.staging.example';

/** The emulators standing in for the vendors behind a proxy (`publicOrigin`) or over TLS themselves (`tls`). */
describe('emulators: public origin and TLS', () => {
  describe('with a publicOrigin, as behind a TLS proxy', () => {
    it('UltraCart hands out its REST URL and login_url on the public origin, and still answers on loopback', async () => {
      const port = await freePort();
      const emulator = await startUltraCartEmulator({ port, publicOrigin: `${PUBLIC}/` });
      try {
        expect(emulator.origin).to.equal(PUBLIC);
        expect(emulator.url).to.equal(`${PUBLIC}/rest/v2`);
        const res = await fetch(`http://127.0.0.1:${port}/rest/v2/sso/authorize`, {
          method: 'PUT',
          headers: { ...API_VERSION, 'content-type': 'application/json', 'x-ultracart-simple-key': emulator.appKey },
          body: JSON.stringify({ redirect_uri: 'https://shop.example.com/auth/ultracart/callback', state: 's' }),
        });
        expect(res.status).to.equal(200);
        expect(((await res.json()) as { login_url: string }).login_url).to.match(/^https:\/\/vendor\.staging\.example\/login\?request=/);
      } finally {
        await emulator.close();
      }
    });

    it('UltrapassId OpenID Connect uses it as its issuer in discovery and in every ID token', async () => {
      const port = await freePort();
      const redirectUri = 'https://shop.example.com/verify/oidc/callback';
      const emulator = await startUltrapassIdOidcEmulator({ port, publicOrigin: PUBLIC, redirectUris: [redirectUri] });
      try {
        expect(emulator.issuer).to.equal(PUBLIC);
        const discovery = (await (await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).json()) as Record<
          string,
          string
        >;
        expect(discovery.issuer).to.equal(PUBLIC);
        expect(discovery.token_endpoint).to.equal(`${PUBLIC}/oauth2/v2.0/token`);
        const verifier = randomBytes(32).toString('base64url');
        const authorize = new URL(`${PUBLIC}/oauth2/v2.0/authorize`);
        for (const [name, value] of Object.entries({
          client_id: emulator.clientId,
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: 'openid',
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
          state: 'state-1',
          nonce: 'nonce-1',
        }))
          authorize.searchParams.set(name, value);
        const code = new URL((await emulator.approve(authorize.href)).url).searchParams.get('code')!;
        const token = await fetch(`http://127.0.0.1:${port}/oauth2/v2.0/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: emulator.clientId,
            code,
            redirect_uri: redirectUri,
            code_verifier: verifier,
          }),
        });
        expect(token.status).to.equal(200);
        expect(decodeJwt(((await token.json()) as { id_token: string }).id_token).iss).to.equal(PUBLIC);
      } finally {
        await emulator.close();
      }
    });

    it('UltrapassId UAuth hands out its API URL and getSessionUrl on the public origin', async () => {
      const port = await freePort();
      const emulator = await startUAuthEmulator({ port, publicOrigin: PUBLIC });
      try {
        expect(emulator.url).to.equal(`${PUBLIC}/api`);
        const res = await fetch(`http://127.0.0.1:${port}/api/uauth/session`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-upid-organization-key': emulator.organizationKey },
          body: JSON.stringify({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }),
        });
        expect(res.status).to.equal(201);
        expect(((await res.json()) as { getSessionUrl: string }).getSessionUrl).to.match(
          /^https:\/\/vendor\.staging\.example\/uauth\?sessionId=/,
        );
      } finally {
        await emulator.close();
      }
    });

    const refused = [
      'https://vendor.staging.example/api',
      'ftp://vendor.staging.example',
      'not a url',
      'https://user@vendor.staging.example',
    ];
    for (const publicOrigin of refused) {
      it(`refuses publicOrigin ${JSON.stringify(publicOrigin)}, naming the option`, async () => {
        let error: unknown;
        await startUltraCartEmulator({ publicOrigin }).catch((err: unknown) => (error = err));
        expect(error).to.be.instanceOf(TypeError);
        expect((error as Error).message).to.match(
          /^startUltraCartEmulator: the publicOrigin option must be an http\(s\) origin with no path/,
        );
      });
    }
  });

  describe('with tls, serving https itself', function () {
    let dir: string;
    before(function () {
      if (!opensslInstalled()) {
        console.log('    skipped: openssl is not installed');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'emulator-tls-'));
    });
    after(() => dir && rmSync(dir, { recursive: true, force: true }));

    it('answers over https on an https origin, to a client that trusts the certificate', async () => {
      const cert = selfSignedCertificate(dir);
      const emulator = await startUltraCartEmulator({ tls: { cert: cert.cert, key: cert.key } });
      const agent = new Agent({ connect: { ca: cert.cert } });
      try {
        expect(emulator.origin).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
        const res = await undiciFetch(`${emulator.url}/sso/authorize`, {
          method: 'PUT',
          dispatcher: agent,
          headers: { ...API_VERSION, 'content-type': 'application/json', 'x-ultracart-simple-key': emulator.appKey },
          body: JSON.stringify({ redirect_uri: 'https://shop.example.com/auth/ultracart/callback' }),
        });
        expect(res.status).to.equal(200);
        expect(((await res.json()) as { login_url: string }).login_url.startsWith(`${emulator.origin}/login?`)).to.equal(true);
        // A client that does not trust it is refused: nothing was turned off to make this work.
        let refusedBy: unknown;
        await fetch(`${emulator.origin}/login`).catch((err: unknown) => (refusedBy = err));
        expect(refusedBy).to.be.instanceOf(Error);
      } finally {
        await agent.close();
        await emulator.close();
      }
    });

    it('refuses a tls option without PEM text, naming the option', async () => {
      let error: unknown;
      await startUAuthEmulator({ tls: { cert: 'not pem', key: 'not pem' } }).catch((err: unknown) => (error = err));
      expect((error as Error).message).to.equal('startUAuthEmulator: the tls option must hold a PEM cert and key');
    });
  });
});
