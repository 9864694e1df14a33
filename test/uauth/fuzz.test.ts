import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import fc from 'fast-check';
import { uauth, type UAuthApiError } from '../../src/index.js';
import { startUAuthEmulator, DEFAULT_UAUTH_WORKFLOW_KEY, type UAuthEmulator } from '../../src/testing/index.js';

const ORG_KEY = 'fuzz-organization-key-51c0e7';

/**
 * Properties of the UAuth middleware: whatever the browser sends, it redirects to a checked
 * workflow page or answers with an upstream status, never crashes; whatever UltrapassId answers,
 * the browser is only ever sent to an allowed origin, and never with the organization key.
 */
describe('fuzzing the UAuth middleware', function () {
  this.timeout(120_000);
  let emulator: UAuthEmulator;
  let server: Server;
  let base: string;

  before(async () => {
    emulator = await startUAuthEmulator({ organizationKey: ORG_KEY });
    const app = express();
    app.use(session({ secret: 'fuzz-secret-that-is-at-least-32-bytes-long', resave: false, saveUninitialized: false }));
    app.post('/verify', uauth({ organizationKey: ORG_KEY, workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY, baseURL: emulator.url }));
    app.use((err: UAuthApiError, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(err.status ?? 500).json({ code: err.code ?? null, message: err.message });
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await emulator.close();
  });

  const text = fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }));

  it('redirects to the workflow page whatever query, body and headers the browser sends', async () => {
    const headerValue = fc.string({ maxLength: 120 }).filter((v) => /^[\x20-\x7e]*$/.test(v));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(text, text), { maxLength: 5 }), text, headerValue, async (query, body, header) => {
        const res = await fetch(`${base}/verify?${new URLSearchParams(query)}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header, 'x-forwarded-host': header },
          redirect: 'manual',
        });
        await res.arrayBuffer();
        expect(res.status).to.equal(303);
        expect(new URL(res.headers.get('location')!).origin).to.equal(emulator.origin);
      }),
      { numRuns: 300 },
    );
  });

  it('sends the browser only to an allowed origin, and answers 502-504 otherwise, whatever UltrapassId returns', async () => {
    const url = fc.oneof(
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
      fc.constantFrom('//evil.example', 'javascript:alert(1)', 'data:text/html,x', `${'https://auth.ultrapassid.com/'}${'a'.repeat(2100)}`),
      fc.string({ maxLength: 60 }).map((path) => `https://auth.ultrapassid.com/${path}`),
      fc.string({ maxLength: 60 }),
    );
    const body = fc.oneof(
      url.map((u) => ({ getSessionUrl: u })),
      url.map((u) => JSON.stringify({ workflowInstanceSessionDto: { getSessionUrl: u } })),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const status = fc.constantFrom(200, 201, 201, 202, 204, 302, 400, 409, 424, 429, 500, 503);
    const contentType = fc.constantFrom('application/json', 'text/plain', 'text/html', '');
    await fc.assert(
      fc.asyncProperty(body, status, contentType, async (payload, code, type) => {
        emulator.inject('createSession', {
          status: code,
          body: typeof payload === 'string' ? JSON.stringify(payload) : payload,
          contentType: type,
        });
        const res = await fetch(`${base}/verify`, { method: 'POST', redirect: 'manual' });
        const answer = await res.text();
        expect(answer).to.not.include(ORG_KEY);
        if (res.status === 303) {
          const location = new URL(res.headers.get('location')!);
          expect(location.protocol).to.equal('https:');
          expect(location.origin).to.equal('https://auth.ultrapassid.com');
          expect(location.username + location.password).to.equal('');
        } else {
          expect(res.status).to.be.oneOf([500, 502, 503, 504]);
          expect(res.headers.get('location')).to.equal(null);
        }
      }),
      { numRuns: 400 },
    );
  });
});
