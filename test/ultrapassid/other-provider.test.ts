import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Passport } from 'passport';
import request from 'supertest';
import { UltrapassIdStrategy } from '../../src/index.js';

/**
 * A small OpenID provider written apart from the package's emulator, differing where providers
 * do: an issuer with a path, ES256 keys without `kid`, `iss` in the authorization response
 * (RFC 9207), an access token always, and no interest in our extra `scope` token parameter.
 */
async function startOtherProvider(clientId: string): Promise<{ issuer: string; server: Server; tokenCalls: URLSearchParams[] }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string }>();
  const tokenCalls: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, issuer);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (url.pathname === '/realms/shop/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/protocol/auth`,
        token_endpoint: `${issuer}/protocol/token`,
        jwks_uri: `${issuer}/protocol/certs`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256'],
        authorization_response_iss_parameter_supported: true,
      });
    }
    if (url.pathname === '/realms/shop/protocol/certs') return json(200, { keys: [jwk] });
    if (url.pathname === '/realms/shop/protocol/auth') {
      // Approves at once: the test is about the protocol, not the page.
      const code = randomBytes(20).toString('hex');
      codes.set(code, {
        challenge: url.searchParams.get('code_challenge')!,
        nonce: url.searchParams.get('nonce')!,
        redirectUri: url.searchParams.get('redirect_uri')!,
      });
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state')!);
      back.searchParams.set('iss', issuer);
      res.writeHead(302, { location: back.href }).end();
      return;
    }
    if (url.pathname === '/realms/shop/protocol/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        tokenCalls.push(form);
        const issued = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        const verifierOk =
          issued &&
          createHash('sha256')
            .update(form.get('code_verifier') ?? '')
            .digest('base64url') === issued.challenge;
        if (!issued || !verifierOk || form.get('client_id') !== clientId || form.get('redirect_uri') !== issued.redirectUri) {
          return json(400, { error: 'invalid_grant' });
        }
        void new SignJWT({ nonce: issued.nonce })
          .setProtectedHeader({ alg: 'ES256' })
          .setIssuer(issuer)
          .setAudience(clientId)
          .setSubject('f:realm-user:42')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey)
          .then((idToken) => json(200, { access_token: 'at-123', token_type: 'Bearer', expires_in: 300, id_token: idToken }));
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://localhost:${(server.address() as AddressInfo).port}/realms/shop`;
  return { issuer, server, tokenCalls };
}

describe('UltrapassIdStrategy against another standards-compliant provider', () => {
  it('signs in with only clientId, callbackURL and issuer', async () => {
    const provider = await startOtherProvider('shop-client');
    try {
      const passport = new Passport();
      let seen: { id: string; accessToken: unknown } | undefined;
      passport.use(
        new UltrapassIdStrategy(
          { clientId: 'shop-client', callbackURL: 'http://localhost/cb', issuer: provider.issuer },
          (profile, tokens, done) => {
            seen = { id: profile.id, accessToken: tokens.accessToken };
            done(null, { id: profile.id });
          },
        ) as never,
      );
      passport.serializeUser((user: unknown, done: (err: unknown, id?: unknown) => void) => done(null, user));
      passport.deserializeUser((user: unknown, done: (err: unknown, user?: unknown) => void) => done(null, user as Express.User));
      const app = express();
      app.use(session({ secret: 'another-test-secret-of-32-characters-or-more', resave: false, saveUninitialized: false }));
      app.use(passport.initialize());
      app.use(passport.session());
      app.get('/login', passport.authenticate('ultrapassid'));
      app.get('/cb', passport.authenticate('ultrapassid'), (req, res) => {
        res.json(req.user);
      });
      const browser = request.agent(app);
      const start = await browser.get('/login').expect(302);
      const answer = await fetch(start.headers.location as string, { redirect: 'manual' });
      const back = new URL(answer.headers.get('location')!);
      const res = await browser.get(back.pathname + back.search).expect(200);
      expect(res.body).to.deep.equal({ id: 'f:realm-user:42' });
      expect(seen).to.deep.equal({ id: 'f:realm-user:42', accessToken: 'at-123' });
      expect(provider.tokenCalls).to.have.length(1);
      expect(provider.tokenCalls[0]!.get('client_id')).to.equal('shop-client');
    } finally {
      provider.server.closeAllConnections();
      await new Promise((resolve) => provider.server.close(resolve));
    }
  });
});
