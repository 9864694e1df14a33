import { expect } from 'chai';
import createDebug from 'debug';
import type { UltrapassIdOidcEndpoint, UltrapassIdOidcFault } from '../../src/testing/index.js';
import { beginVerification, returnToApp, startOidcHarness, type OidcHarness } from '../support/ultrapassid-harness.js';

describe('UltrapassIdStrategy: when the provider misbehaves', () => {
  let h: OidcHarness;
  afterEach(() => h.close());

  describe('during discovery, on the first sign-in', () => {
    beforeEach(async () => {
      h = await startOidcHarness({ strategy: { timeoutMs: 400 } });
    });

    const cases: Array<[string, UltrapassIdOidcFault, number]> = [
      ['answers 500', { status: 500 }, 502],
      ['answers 503 with Retry-After', { status: 503, headers: { 'retry-after': '7' } }, 503],
      ['answers 429', { status: 429 }, 503],
      ['redirects elsewhere', { behaviour: 'redirect' }, 502],
      ['answers an HTML page', { behaviour: 'html' }, 502],
      ['answers truncated JSON', { behaviour: 'malformed' }, 502],
      ['hangs', { behaviour: 'hang' }, 504],
      ['resets the connection', { behaviour: 'reset' }, 503],
      ['sends an endless body', { behaviour: 'endless' }, 502],
      ['answers 404 (no discovery served)', { status: 404 }, 502],
      // Another issuer than the one configured is a set-up fault the operator must see (500), not a bad answer.
      ['names another issuer', { body: { issuer: 'https://impostor.example' } }, 500],
    ];
    for (const [what, fault, status] of cases) {
      it(`answers ${status}, without redirecting the browser, when it ${what}`, async () => {
        h.provider.inject('discovery', fault);
        const res = await h.browser().get('/login');
        expect(res.status).to.equal(status);
        expect(res.headers.location).to.equal(undefined);
        expect(res.body.code).to.match(/^ULTRAPASSID_/);
      });
    }

    it('names a discovery document of another issuer a configuration fault, pointing at the issuer option', async () => {
      h.provider.inject('discovery', { body: { issuer: 'https://impostor.example' } });
      const res = await h.browser().get('/login').expect(500);
      expect(res.body.code).to.equal('ULTRAPASSID_CONFIGURATION');
      expect(res.body.message).to.match(/issuer/);
    });

    it('passes the provider Retry-After on', async () => {
      h.provider.inject('discovery', { status: 503, headers: { 'retry-after': '7' } });
      const res = await h.browser().get('/login');
      expect(res.headers['retry-after']).to.equal('7');
    });

    it('tries discovery again on the next sign-in after a failure', async () => {
      h.provider.inject('discovery', { status: 500 });
      await h.browser().get('/login').expect(502);
      await h.browser().get('/login').expect(302);
      expect(h.provider.count('discovery')).to.equal(2);
    });

    it('makes one discovery call for many concurrent first sign-ins', async () => {
      h.provider.inject('discovery', { delayMs: 100 });
      const results = await Promise.all(Array.from({ length: 8 }, () => h.browser().get('/login')));
      expect(results.map((r) => r.status)).to.deep.equal(Array(8).fill(302));
      expect(h.provider.count('discovery')).to.equal(1);
    });
  });

  describe('when it is down altogether', () => {
    it('answers 503 and starts no sign-in', async () => {
      h = await startOidcHarness();
      await h.provider.close();
      const res = await h.browser().get('/login');
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal('ULTRAPASSID_UNAVAILABLE');
      expect(res.headers.location).to.equal(undefined);
    });
  });

  describe('at the token endpoint or the key set, after the person approved', () => {
    beforeEach(async () => {
      h = await startOidcHarness({ strategy: { timeoutMs: 400 } });
    });

    const cases: Array<[UltrapassIdOidcEndpoint, string, UltrapassIdOidcFault, number]> = [
      ['token', 'answers 500', { status: 500 }, 502],
      ['token', 'answers 503', { status: 503 }, 503],
      ['token', 'redirects elsewhere', { behaviour: 'redirect' }, 502],
      ['token', 'answers an HTML page', { behaviour: 'html' }, 502],
      ['token', 'answers 400 as HTML', { behaviour: 'html', status: 400 }, 502],
      ['token', 'answers truncated JSON', { behaviour: 'malformed' }, 502],
      ['token', 'hangs', { behaviour: 'hang' }, 504],
      ['token', 'is slower than timeoutMs', { delayMs: 1500 }, 504],
      ['token', 'resets the connection', { behaviour: 'reset' }, 503],
      ['token', 'sends an endless body', { behaviour: 'endless' }, 502],
      ['jwks', 'answers 500', { status: 500 }, 502],
      ['jwks', 'answers an HTML page', { behaviour: 'html' }, 502],
      ['jwks', 'hangs', { behaviour: 'hang' }, 504],
    ];
    for (const [endpoint, what, fault, status] of cases) {
      it(`answers ${status} and signs no one in when the ${endpoint === 'token' ? 'token endpoint' : 'key set'} ${what}`, async () => {
        const browser = h.browser();
        const callback = await h.provider.approve(await beginVerification(browser));
        h.provider.inject(endpoint, fault);
        const res = await returnToApp(browser, callback);
        expect(res.status).to.equal(status);
        expect(res.headers.location).to.equal(undefined);
        expect((await browser.get('/me')).body.user).to.equal(null);
      });
    }

    it('fails with 500 (configuration) when the provider does not know the client', async () => {
      const browser = h.browser();
      const callback = await h.provider.approve(await beginVerification(browser));
      h.provider.inject('token', { status: 401, body: { error: 'invalid_client' } });
      const res = await returnToApp(browser, callback);
      expect(res.status).to.equal(500);
      expect(res.body.code).to.equal('ULTRAPASSID_CONFIGURATION');
    });
  });

  describe('whatever happens, nothing secret is printed', () => {
    it('keeps codes, verifiers, states, nonces and tokens out of debug logs and error bodies', async () => {
      const lines: string[] = [];
      const previousLog = createDebug.log;
      const previousNamespaces = createDebug.disable();
      createDebug.log = (...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      };
      createDebug.enable('passport-ultracart:*');
      const bodies: string[] = [];
      const secrets: string[] = [];
      try {
        h = await startOidcHarness({ strategy: { timeoutMs: 400 } });
        for (const fault of [
          undefined,
          { idToken: 'wrong-nonce' },
          { status: 500 },
          { behaviour: 'html' },
          { behaviour: 'hang' },
        ] as const) {
          const browser = h.browser();
          const location = await beginVerification(browser);
          const params = new URL(location).searchParams;
          for (const name of ['state', 'nonce', 'code_challenge']) secrets.push(params.get(name)!);
          const callback = await h.provider.approve(location);
          if (fault) h.provider.inject('token', fault as UltrapassIdOidcFault);
          const res = await returnToApp(browser, callback);
          bodies.push(res.text, JSON.stringify(res.headers));
        }
      } finally {
        createDebug.log = previousLog;
        createDebug.disable();
        if (previousNamespaces) createDebug.enable(previousNamespaces);
      }
      for (const call of h.provider.calls) {
        if (call.endpoint === 'token') {
          const form = new URLSearchParams(call.body);
          secrets.push(form.get('code')!, form.get('code_verifier')!);
        }
      }
      expect(secrets.length).to.equal(25);
      expect(lines.length).to.be.greaterThan(5);
      const printed = [...lines, ...bodies].join('\n');
      for (const secret of secrets) expect(printed).to.not.contain(secret);
      expect(printed).to.not.match(/eyJ[\w-]+\.eyJ/);
    });
  });
});
