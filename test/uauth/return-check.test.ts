import { expect } from 'chai';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { uauth, uauthReturnCheck, UAuthReturnMessages, type UAuthReturnOptions, type UsedStateLedger } from '../../src/index.js';
import { DEFAULT_UAUTH_WORKFLOW_KEY, startUAuthEmulator, type UAuthEmulator } from '../../src/testing/index.js';
import { pathOf } from '../support/browser.js';

const ORG_KEY = 'org-key-7f3a9c2e51d84b60';

interface App {
  app: express.Express;
  emulator: UAuthEmulator;
  browser(): TestAgent;
  close(): Promise<void>;
}

/**
 * An app as the docs describe it: `uauth()` on POST /verify, and the return route checking the
 * browser's return with `uauthReturnCheck()` before reading the workflow's result.
 */
async function startApp(options: UAuthReturnOptions = {}, cookie: session.CookieOptions = {}): Promise<App> {
  const emulator = await startUAuthEmulator({ organizationKey: ORG_KEY, clientRedirectUrl: 'http://127.0.0.1/verify/return' });
  const app = express();
  app.use(session({ secret: 'test-secret-that-is-at-least-32-bytes-long', resave: false, saveUninitialized: false, name: 'sid', cookie }));
  app.post('/verify', uauth({ organizationKey: ORG_KEY, workflowKey: DEFAULT_UAUTH_WORKFLOW_KEY, baseURL: emulator.url }));
  const check = uauthReturnCheck(options);
  app.get('/verify/return', async (req, res, next) => {
    try {
      const back = await check(req);
      if (!back.ok) return res.status(back.status).json({ reason: back.reason, message: back.message });
      res.json({ sessionId: back.sessionId, workflowKey: back.workflowKey });
    } catch (err) {
      next(err);
    }
  });
  app.use((err: { status?: number; code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err.status ?? 500).json({ code: err.code ?? null });
  });
  return { app, emulator, browser: () => request.agent(app), close: () => emulator.close() };
}

/** Starts the workflow in `browser` and completes it at the emulator: the return path the browser is sent to. */
async function returnPath(a: App, browser: TestAgent): Promise<string> {
  const started = await browser.post('/verify').expect(303);
  return pathOf(await a.emulator.complete(started.headers.location as string));
}

describe('uauthReturnCheck: the return from an UltrapassId workflow', () => {
  let a: App;
  afterEach(() => a.close());

  describe('the browser that started the workflow', () => {
    beforeEach(async () => {
      a = await startApp();
    });

    it('is accepted once, with the session id and the workflow it started', async () => {
      const browser = a.browser();
      const back = await browser.get(await returnPath(a, browser)).expect(200);
      expect(back.body.workflowKey).to.equal(DEFAULT_UAUTH_WORKFLOW_KEY);
      expect(back.body.sessionId).to.be.a('string');
    });

    it('is refused as alreadyUsed when it reloads the return', async () => {
      const browser = a.browser();
      const path = await returnPath(a, browser);
      await browser.get(path).expect(200);
      const reload = await browser.get(path).expect(403);
      expect(reload.body).to.deep.equal({ reason: 'alreadyUsed', message: UAuthReturnMessages.alreadyUsed });
    });

    it('lets exactly one of 20 concurrent copies of its return through', async () => {
      const browser = a.browser();
      const path = await returnPath(a, browser);
      const statuses = await Promise.all(Array.from({ length: 20 }, async () => (await browser.get(path)).status));
      expect(statuses.filter((s) => s === 200)).to.have.length(1);
    });

    it('uses the pending workflow up with a wrong id, so the right one fails afterwards', async () => {
      const browser = a.browser();
      const path = await returnPath(a, browser);
      expect((await browser.get('/verify/return?sessionId=0123456789abcdef0123456789abcdef').expect(403)).body.reason).to.equal(
        'stateMismatch',
      );
      expect((await browser.get(path)).status).to.equal(403);
    });

    it('is refused with 400 for a repeated session id', async () => {
      const browser = a.browser();
      await browser.post('/verify').expect(303);
      expect((await browser.get('/verify/return?sessionId=a&sessionId=b').expect(400)).body.reason).to.equal('stateMalformed');
    });
  });

  describe('another browser', () => {
    it("is refused the victim's return link, as noPendingSignIn, and sets no cookie", async () => {
      a = await startApp();
      const victim = a.browser();
      const path = await returnPath(a, victim);
      const res = await a.browser().get(path).expect(403);
      expect(res.body.reason).to.equal('noPendingSignIn');
      expect(res.headers['set-cookie']).to.equal(undefined);
    });
  });

  describe('an expired workflow', () => {
    it('is refused as expired', async () => {
      a = await startApp({ maxAgeMs: 1000 });
      const browser = a.browser();
      const path = await returnPath(a, browser);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await browser.get(path).expect(403)).body.reason).to.equal('expired');
    });
  });

  describe('a used-state ledger that cannot answer', () => {
    it('fails the return closed with a 503', async () => {
      const down: UsedStateLedger = { claim: () => Promise.reject(new Error('down')) };
      a = await startApp({ usedStates: down });
      const browser = a.browser();
      const res = await browser.get(await returnPath(a, browser)).expect(503);
      expect(res.body.code).to.equal('USED_STATES_UNAVAILABLE');
    });
  });

  describe('a Secure session cookie over plain http', () => {
    let warnings: string[];
    const warn = console.warn;
    beforeEach(() => {
      warnings = [];
      console.warn = (text: string) => void warnings.push(text);
    });
    afterEach(() => {
      console.warn = warn;
    });

    it('makes uauth() refuse before creating a workflow session, with a warning that names the trap', async () => {
      a = await startApp({}, { secure: true });
      const res = await a.browser().post('/verify').expect(500);
      expect(res.body.code).to.equal('UAUTH_CONFIGURATION');
      expect(res.headers.location).to.equal(undefined);
      expect(a.emulator.count('createSession')).to.equal(0);
      expect(warnings.join('\n')).to.match(/Secure.*plain http/);
    });
  });
});
