import { expect } from 'chai';
import express from 'express';
import express4 from 'express4';
import session from 'express-session';
import request from 'supertest';
import { uauth, UAuthApiError, type UAuthOptions } from '../../src/index.js';
import {
  startUAuthEmulator,
  DEFAULT_UAUTH_WORKFLOW_KEY,
  type UAuthEmulator,
  type UAuthEmulatorOptions,
  type UAuthResponseShape,
} from '../../src/testing/index.js';

const ORG_KEY = 'org-key-7f3a9c2e51d84b60';
const OTHER_WORKFLOW = '8e1f6a52-3c0b-4d7e-9a41-55b2c6d0e913';

interface App {
  app: express.Express;
  emulator: UAuthEmulator;
  /** The last error the app's error handler saw. */
  lastError(): unknown;
  close(): Promise<void>;
}

/**
 * An app as a user would write it: express-session, the middleware on POST and GET /verify, a
 * page showing what the session holds, and an error handler answering with the error's status.
 */
async function startApp(
  options: Partial<UAuthOptions<express.Request>> = {},
  emulatorOptions: UAuthEmulatorOptions = {},
  flavour: { noSession?: boolean; express4?: boolean } = {},
): Promise<App> {
  const emulator = await startUAuthEmulator({ organizationKey: ORG_KEY, ...emulatorOptions });
  const app = (flavour.express4 ? express4() : express()) as express.Express;
  if (!flavour.noSession) {
    app.use(session({ secret: 'test-secret-that-is-at-least-32-bytes-long', resave: false, saveUninitialized: false, name: 'sid' }));
  }
  const middleware = uauth<express.Request>({
    organizationKey: ORG_KEY,
    workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY,
    baseURL: emulator.url,
    ...options,
  });
  app.post('/verify', middleware);
  app.get('/verify', middleware);
  app.get('/me', (req, res) => {
    const stored = req.session as unknown as Record<string, unknown> | undefined;
    res.json({ uauth: stored?.uauth ?? null, identityCheck: stored?.identityCheck ?? null });
  });
  let last: unknown;
  app.use((err: UAuthApiError, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    last = err;
    res.status(err.status ?? 500).json({
      error: err.name,
      code: err.code ?? null,
      message: err.message,
      upstreamStatus: err.upstreamStatus ?? null,
      vendorMessage: err.vendorMessage ?? null,
      retryAfter: err.retryAfter ?? null,
    });
  });
  return { app, emulator, lastError: () => last, close: () => emulator.close() };
}

const SESSION_URL = /^http:\/\/127\.0\.0\.1:\d+\/uauth\?sessionId=([0-9a-f]{32})$/;

describe('uauth middleware', () => {
  let h: App;
  afterEach(() => h?.close());

  describe('when UltrapassId caches the session', () => {
    for (const shape of ['flat', 'nested', 'flat-string', 'nested-string'] as UAuthResponseShape[]) {
      it(`redirects the browser to the getSessionUrl of a ${shape} response`, async () => {
        h = await startApp({}, { responseShape: shape });
        const res = await request(h.app).post('/verify').expect(303);
        expect(res.headers.location).to.match(SESSION_URL);
        expect(h.emulator.count('createSession')).to.equal(1);
      });
    }

    it('answers a POST with 303', async () => {
      h = await startApp();
      await request(h.app).post('/verify').expect(303);
    });

    it('answers a GET with 302', async () => {
      h = await startApp();
      const res = await request(h.app).get('/verify').expect(302);
      expect(res.headers.location).to.match(SESSION_URL);
    });

    it('sets Location to exactly the getSessionUrl UltrapassId returned', async () => {
      h = await startApp();
      const getSessionUrl = `${h.emulator.origin}/uauth?sessionId=c849466775754912bbc9058e627925f0`;
      h.emulator.inject('createSession', { status: 201, body: { getSessionUrl } });
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers.location).to.equal(getSessionUrl);
    });

    it('follows a getSessionUrl on https://auth.ultrapassid.com, the documented host', async () => {
      h = await startApp();
      const getSessionUrl = 'https://auth.ultrapassid.com/uauth?sessionId=c849466775754912bbc9058e627925f0';
      h.emulator.inject('createSession', { status: 201, body: JSON.stringify(JSON.stringify({ getSessionUrl })) });
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers.location).to.equal(getSessionUrl);
    });

    it('marks the redirect no-store and no-referrer', async () => {
      h = await startApp();
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(res.headers['referrer-policy']).to.equal('no-referrer');
    });

    it('posts {workflowKey} as JSON with the organization key in x-upid-organization-key', async () => {
      h = await startApp();
      await request(h.app).post('/verify').expect(303);
      const call = h.emulator.calls.find((c) => c.endpoint === 'createSession')!;
      expect(JSON.parse(call.body)).to.deep.equal({ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY });
      expect(call.headers['x-upid-organization-key']).to.equal(ORG_KEY);
      expect(call.headers['content-type']).to.equal('application/json');
      expect(call.headers.accept).to.equal('application/json');
    });

    it('sends the key in x-upid-api-key instead when apiKeyHeader says so', async () => {
      h = await startApp({ apiKeyHeader: 'x-upid-api-key' });
      await request(h.app).post('/verify').expect(303);
      const call = h.emulator.calls.find((c) => c.endpoint === 'createSession')!;
      expect(call.headers['x-upid-api-key']).to.equal(ORG_KEY);
      expect(call.headers).to.not.have.property('x-upid-organization-key');
    });

    it('records the session id, workflow key and creation time in req.session.uauth', async () => {
      h = await startApp();
      const browser = request.agent(h.app);
      const before = Date.now();
      const res = await browser.post('/verify').expect(303);
      const sessionId = SESSION_URL.exec(res.headers.location as string)![1];
      const record = (await browser.get('/me')).body.uauth;
      expect(record).to.include({ sessionId, workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY });
      expect(record.createdAt).to.be.a('number').within(before, Date.now());
    });

    it('records under the sessionKey option when given', async () => {
      h = await startApp({ sessionKey: 'identityCheck' });
      const browser = request.agent(h.app);
      await browser.post('/verify').expect(303);
      const me = (await browser.get('/me')).body;
      expect(me.uauth).to.equal(null);
      expect(me.identityCheck.workflowKey).to.equal(DEFAULT_UAUTH_WORKFLOW_KEY);
    });

    it('calls onSession with the session id and URL instead of touching req.session', async () => {
      const seen: unknown[] = [];
      h = await startApp({ onSession: (_req, created) => void seen.push(created) });
      const browser = request.agent(h.app);
      const res = await browser.post('/verify').expect(303);
      expect(seen).to.deep.equal([
        { sessionId: SESSION_URL.exec(res.headers.location as string)![1], getSessionUrl: res.headers.location },
      ]);
      expect((await browser.get('/me')).body.uauth).to.equal(null);
    });

    it('waits for an async onSession and passes its rejection to next without redirecting', async () => {
      h = await startApp({ onSession: async () => Promise.reject(Object.assign(new Error('store down'), { status: 503 })) });
      const res = await request(h.app).post('/verify').expect(503);
      expect(res.headers).to.not.have.property('location');
      expect(res.body.message).to.equal('store down');
    });

    it('runs the workflow a workflowKey function chooses per request', async () => {
      h = await startApp(
        { workflowKey: async (req) => (req.query.kind === 'other' ? OTHER_WORKFLOW : DEFAULT_UAUTH_WORKFLOW_KEY) },
        { workflows: [{ workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY }, { workflowKey: OTHER_WORKFLOW }] },
      );
      await request(h.app).post('/verify?kind=other').expect(303);
      expect(JSON.parse(h.emulator.calls[0]!.body).workflowKey).to.equal(OTHER_WORKFLOW);
    });

    it('brings the browser back from the workflow page with the sessionId recorded for it', async () => {
      h = await startApp({}, { clientRedirectUrl: 'http://localhost/verify/done' });
      const browser = request.agent(h.app);
      const res = await browser.post('/verify').expect(303);
      const pageUrl = new URL(res.headers.location as string);
      const page = await request(h.emulator.origin)
        .get(pageUrl.pathname + pageUrl.search)
        .expect(200);
      const sessionId = /name="sessionId" value="([0-9a-f]{32})"/.exec(page.text)![1];
      const done = await request(h.emulator.origin).post('/uauth').type('form').send({ sessionId }).expect(303);
      const returned = new URL(done.headers.location as string).searchParams.get('sessionId');
      expect(returned).to.equal((await browser.get('/me')).body.uauth.sessionId);
    });

    it('still redirects, recording nothing, when the app has no session and no onSession', async () => {
      h = await startApp({}, {}, { noSession: true });
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers.location).to.match(SESSION_URL);
    });

    it('works as an Express 4 route handler', async () => {
      h = await startApp({}, {}, { express4: true });
      const browser = request.agent(h.app);
      await browser.post('/verify').expect(303);
      expect((await browser.get('/me')).body.uauth.workflowKey).to.equal(DEFAULT_UAUTH_WORKFLOW_KEY);
    });
  });

  describe('when UltrapassId refuses the request', () => {
    const cases: {
      name: string;
      fault?: { status: number; headers?: Record<string, string> };
      emulator?: UAuthEmulatorOptions;
      status: number;
      code: string;
      retryAfter?: string;
    }[] = [
      { name: '400 Request not valid', fault: { status: 400 }, status: 500, code: 'UAUTH_CONFIGURATION' },
      {
        name: '401 for an organization key it does not know',
        emulator: { organizationKey: 'another-org-key' },
        status: 500,
        code: 'UAUTH_CONFIGURATION',
      },
      {
        name: '409 for a workflow not in the organization',
        emulator: { workflows: [{ workflowKey: OTHER_WORKFLOW }] },
        status: 500,
        code: 'UAUTH_CONFIGURATION',
      },
      { name: '424 Dependent Workflow exception', fault: { status: 424 }, status: 502, code: 'UAUTH_DEPENDENCY_FAILED' },
      { name: '429 without Retry-After', fault: { status: 429 }, status: 503, code: 'UAUTH_RATE_LIMITED' },
      {
        name: '429 with Retry-After: 30',
        fault: { status: 429, headers: { 'retry-after': '30' } },
        status: 503,
        code: 'UAUTH_RATE_LIMITED',
        retryAfter: '30',
      },
      { name: '500', fault: { status: 500 }, status: 502, code: 'UAUTH_UNAVAILABLE' },
      {
        name: '503 with Retry-After: 120',
        fault: { status: 503, headers: { 'retry-after': '120' } },
        status: 503,
        code: 'UAUTH_UNAVAILABLE',
        retryAfter: '120',
      },
    ];
    for (const c of cases) {
      it(`answers ${c.status} ${c.code} for ${c.name}, without redirect or retry`, async () => {
        h = await startApp({}, c.emulator);
        if (c.fault) h.emulator.inject('createSession', c.fault);
        const res = await request(h.app).post('/verify').expect(c.status);
        expect(res.body.code).to.equal(c.code);
        expect(res.headers).to.not.have.property('location');
        expect(res.headers['retry-after']).to.equal(c.retryAfter);
        expect(h.emulator.count('createSession')).to.equal(1);
      });
    }

    it("passes on UltrapassId's own words for a 409", async () => {
      h = await startApp({}, { workflows: [{ workflowKey: OTHER_WORKFLOW }] });
      const res = await request(h.app).post('/verify').expect(500);
      expect(res.body.vendorMessage).to.equal('Workflow not valid for this Organization');
      expect(res.body.upstreamStatus).to.equal(409);
    });

    it('caps Retry-After at 300 seconds', async () => {
      h = await startApp();
      h.emulator.inject('createSession', { status: 429, headers: { 'retry-after': '86400' } });
      const res = await request(h.app).post('/verify').expect(503);
      expect(res.headers['retry-after']).to.equal('300');
    });

    it('keeps the organization key out of the error even when UltrapassId echoes it', async () => {
      h = await startApp();
      h.emulator.inject('createSession', { status: 401, contentType: 'text/plain', body: `Organization key ${ORG_KEY} is\r\nnot valid` });
      const res = await request(h.app).post('/verify').expect(500);
      expect(res.text).to.not.include(ORG_KEY);
      expect(res.body.vendorMessage).to.equal('Organization key [redacted] is not valid');
      const err = h.lastError() as UAuthApiError;
      expect(err.message).to.not.include(ORG_KEY);
      expect(JSON.stringify(err)).to.not.include(ORG_KEY);
    });
  });

  describe('when the organization key appears nowhere in an error', () => {
    const faults: [string, object][] = [
      ['400', { status: 400 }],
      ['401', { status: 401 }],
      ['424', { status: 424 }],
      ['429', { status: 429 }],
      ['500', { status: 500 }],
      ['reset', { behaviour: 'reset' }],
      ['redirect', { behaviour: 'redirect' }],
      ['malformed', { behaviour: 'malformed' }],
      ['bad getSessionUrl', { status: 201, body: { getSessionUrl: `https://evil.example/?k=${ORG_KEY}` } }],
    ];
    for (const [name, fault] of faults) {
      it(`holds for ${name}`, async () => {
        h = await startApp();
        h.emulator.inject('createSession', fault);
        const res = await request(h.app).post('/verify');
        expect(res.status).to.be.within(500, 504);
        expect(res.text).to.not.include(ORG_KEY);
        expect((h.lastError() as Error).message).to.not.include(ORG_KEY);
      });
    }
  });

  describe('when UltrapassId misbehaves', () => {
    it('answers 504 UAUTH_TIMEOUT when no answer arrives within timeoutMs', async () => {
      h = await startApp({ timeoutMs: 200 });
      h.emulator.inject('createSession', { delayMs: 2000 });
      const res = await request(h.app).post('/verify').expect(504);
      expect(res.body.code).to.equal('UAUTH_TIMEOUT');
      expect(res.headers).to.not.have.property('location');
      expect(h.emulator.count('createSession')).to.equal(1);
    });

    const badResponses: [string, object, string][] = [
      ['a connection reset', { behaviour: 'reset' }, 'UAUTH_UNAVAILABLE'],
      ['a 307 redirect, which is not followed', { behaviour: 'redirect' }, 'UAUTH_BAD_RESPONSE'],
      ['malformed JSON', { behaviour: 'malformed' }, 'UAUTH_BAD_RESPONSE'],
      ['an HTML page', { behaviour: 'html' }, 'UAUTH_BAD_RESPONSE'],
      ['an endless body', { behaviour: 'endless' }, 'UAUTH_BAD_RESPONSE'],
      ['JSON without getSessionUrl', { status: 201, body: { sessionUrl: 'https://auth.ultrapassid.com/uauth' } }, 'UAUTH_BAD_RESPONSE'],
      ['a JSON array', { status: 201, body: [] }, 'UAUTH_BAD_RESPONSE'],
      ['a 204 instead of 201', { status: 204, body: '' }, 'UAUTH_BAD_RESPONSE'],
      [
        'a 202 with a valid body',
        { status: 202, body: { getSessionUrl: 'https://auth.ultrapassid.com/uauth?sessionId=c849466775754912bbc9058e627925f0' } },
        'UAUTH_BAD_RESPONSE',
      ],
    ];
    for (const [name, fault, code] of badResponses) {
      it(`answers 502 ${code} for ${name}, once`, async () => {
        h = await startApp();
        h.emulator.inject('createSession', fault);
        const res = await request(h.app).post('/verify').expect(502);
        expect(res.body.code).to.equal(code);
        expect(res.headers).to.not.have.property('location');
        expect(h.emulator.count('createSession')).to.equal(1);
      });
    }

    it('accepts a 200 in place of the documented 201', async () => {
      h = await startApp();
      const getSessionUrl = `${h.emulator.origin}/uauth?sessionId=c849466775754912bbc9058e627925f0`;
      h.emulator.inject('createSession', { status: 200, body: { getSessionUrl } });
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers.location).to.equal(getSessionUrl);
    });

    it('accepts the JSON served as text/plain', async () => {
      h = await startApp();
      const getSessionUrl = `${h.emulator.origin}/uauth?sessionId=c849466775754912bbc9058e627925f0`;
      h.emulator.inject('createSession', {
        status: 201,
        contentType: 'text/plain; charset=utf-8',
        body: JSON.stringify({ getSessionUrl }),
      });
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers.location).to.equal(getSessionUrl);
    });
  });

  describe('when the getSessionUrl is unsafe', () => {
    const sid = 'c849466775754912bbc9058e627925f0';
    const variants: [string, unknown][] = [
      ['http: on the vendor host', `http://auth.ultrapassid.com/uauth?sessionId=${sid}`],
      ['javascript:', 'javascript:alert(document.cookie)'],
      ['data:', 'data:text/html,<script>alert(1)</script>'],
      ['protocol-relative //evil.com', `//evil.com/uauth?sessionId=${sid}`],
      ['a host outside the allow-list', `https://evil.com/uauth?sessionId=${sid}`],
      ['a look-alike host', `https://auth.ultrapassid.com.evil.com/uauth?sessionId=${sid}`],
      ['userinfo', `https://user:pw@auth.ultrapassid.com/uauth?sessionId=${sid}`],
      ['userinfo hiding another host', `https://auth.ultrapassid.com@evil.com/uauth?sessionId=${sid}`],
      ['CR/LF', `https://auth.ultrapassid.com/uauth?sessionId=${sid}\r\nSet-Cookie: sid=evil`],
      ['missing', undefined],
      ['empty', ''],
      ['a number', 42],
      ['an object', { href: `https://auth.ultrapassid.com/uauth?sessionId=${sid}` }],
      ['over 2 KB', `https://auth.ultrapassid.com/uauth?sessionId=${sid}&pad=${'a'.repeat(2100)}`],
    ];
    for (const [name, getSessionUrl] of variants) {
      it(`answers 502 without a Location for ${name}`, async () => {
        h = await startApp();
        h.emulator.inject('createSession', { status: 201, body: getSessionUrl === undefined ? {} : { getSessionUrl } });
        const res = await request(h.app).post('/verify').expect(502);
        expect(res.body.code).to.equal('UAUTH_BAD_RESPONSE');
        expect(res.headers).to.not.have.property('location');
        expect(res.headers).to.not.have.property('set-cookie');
        expect(h.emulator.count('createSession')).to.equal(1);
      });
    }

    it('does not record a session for a refused URL', async () => {
      h = await startApp();
      h.emulator.inject('createSession', { status: 201, body: { getSessionUrl: `https://evil.com/uauth?sessionId=${sid}` } });
      const browser = request.agent(h.app);
      await browser.post('/verify').expect(502);
      expect((await browser.get('/me')).body.uauth).to.equal(null);
    });

    it('follows an extra origin only once allowedRedirectOrigins lists it', async () => {
      h = await startApp({ allowedRedirectOrigins: ['https://verify.example.com'] });
      h.emulator.inject('createSession', { status: 201, body: { getSessionUrl: `https://verify.example.com/uauth?sessionId=${sid}` } });
      const res = await request(h.app).post('/verify').expect(303);
      expect(res.headers.location).to.equal(`https://verify.example.com/uauth?sessionId=${sid}`);
    });
  });

  describe('when the workflow key is invalid', () => {
    it('answers 500 UAUTH_CONFIGURATION before any upstream call when the function returns a non-UUID', async () => {
      h = await startApp({ workflowKey: () => 'not-a-uuid' });
      const res = await request(h.app).post('/verify').expect(500);
      expect(res.body.code).to.equal('UAUTH_CONFIGURATION');
      expect(res.headers).to.not.have.property('location');
      expect(h.emulator.count('createSession')).to.equal(0);
    });

    it('passes an error the workflowKey function throws to next, with no upstream call', async () => {
      h = await startApp({
        workflowKey: async () => Promise.reject(Object.assign(new Error('no workflow for this plan'), { status: 400 })),
      });
      const res = await request(h.app).post('/verify').expect(400);
      expect(res.body.message).to.equal('no workflow for this plan');
      expect(h.emulator.count('createSession')).to.equal(0);
    });

    it('refuses to start with a fixed workflowKey that is not a UUID', () => {
      expect(() => uauth({ organizationKey: ORG_KEY, workflowKey: '322dbc7a', baseURL: 'https://clientapi.example.com/api' })).to.throw(
        TypeError,
        /workflowKey option must be a UUID/,
      );
    });
  });

  describe('when the options are wrong', () => {
    const base = { organizationKey: ORG_KEY, workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY, baseURL: 'https://clientapi.example.com/api' };
    const bad: [string, object, RegExp][] = [
      [
        'no baseURL',
        { baseURL: undefined },
        /^uauth requires a baseURL option.*dev-clientapi-a53fz2ohf.*api\.ultrapassid\.com\/core.*api\.ultrapassid\.com\/client/,
      ],
      ['an empty baseURL', { baseURL: '' }, /^uauth requires a baseURL option/],
      ['no organizationKey', { organizationKey: undefined }, /requires an organizationKey option/],
      [
        'an organizationKey with a line break',
        { organizationKey: `${ORG_KEY}\r\n` },
        /organizationKey option must not contain control characters/,
      ],
      ['no workflowKey', { workflowKey: undefined }, /requires a workflowKey option/],
      ['an apiKeyHeader that is not a header name', { apiKeyHeader: 'x-upid key:' }, /apiKeyHeader option must be an HTTP header name/],
      ['an apiKeyHeader the client sets itself', { apiKeyHeader: 'Content-Type' }, /apiKeyHeader option must not be content-type/],
      ['a relative baseURL', { baseURL: '/api' }, /baseURL option must be an absolute URL/],
      ['a baseURL with userinfo', { baseURL: 'https://u:p@clientapi.example.com/api' }, /baseURL option must not carry userinfo/],
      ['a zero timeoutMs', { timeoutMs: 0 }, /timeoutMs option must be a positive integer/],
      ['a fractional maxResponseBytes', { maxResponseBytes: 1.5 }, /maxResponseBytes option must be a positive integer/],
      ['an empty allowedRedirectOrigins', { allowedRedirectOrigins: [] }, /allowedRedirectOrigins option must be a non-empty array/],
      [
        'an unparsable allowedRedirectOrigins entry',
        { allowedRedirectOrigins: ['auth.ultrapassid.com'] },
        /allowedRedirectOrigins option must hold absolute URLs/,
      ],
      ['an empty sessionKey', { sessionKey: '' }, /sessionKey option must be a non-empty string/],
      ['an onSession that is not a function', { onSession: 'uauth' }, /onSession option must be a function/],
    ];
    for (const [name, override, message] of bad) {
      it(`throws naming the option for ${name}`, () => {
        let thrown: unknown;
        try {
          uauth({ ...base, ...override } as never);
        } catch (err) {
          thrown = err;
        }
        expect(thrown).to.be.instanceOf(TypeError);
        expect((thrown as Error).message).to.match(message);
        expect((thrown as Error).message).to.not.include(ORG_KEY);
      });
    }
  });
});
