import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { FailureMessages, type FailureReason } from '../../src/index.js';
import { startUltraCartEmulator, type UltraCartEmulator } from '../../src/testing/index.js';
import { Browser, pathOf } from '../support/browser.js';
import { CALLBACK_PATH, startHarness, type Harness, type HarnessOptions } from '../support/harness.js';

/*
 * The set-up mistakes that make a sign-in come back to nothing: each ends in a reason that names
 * its likely cause, and the ones the strategy can see at the authorize leg are warned about once.
 */

interface Failure {
  status: number;
  reason: FailureReason | null;
  message: string | null;
}

describe('Cookie and session traps', () => {
  let emulator: UltraCartEmulator;
  let h: Harness;
  let server: Server | undefined;
  let warnings: string[];
  const realWarn = console.warn;

  beforeEach(() => {
    warnings = [];
    console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  });
  afterEach(async () => {
    console.warn = realWarn;
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    await h?.close();
    await emulator?.close();
  });

  /** The harness, listening on 127.0.0.1 with its callbackURL there too (unless told otherwise). */
  async function start(options: HarnessOptions & { emulatorHost?: 'localhost' } = {}): Promise<string> {
    emulator = await startUltraCartEmulator({ hostname: options.emulatorHost ?? '127.0.0.1' });
    h = await startHarness({
      ...options,
      failureAsJson: true,
      sharedEmulator: emulator,
      strategy: { ...options.strategy, callbackURL: options.strategy?.callbackURL ?? `http://127.0.0.1${CALLBACK_PATH}` },
    });
    const listening = h.app.listen(0, '127.0.0.1');
    server = listening;
    await new Promise((resolve) => listening.once('listening', resolve));
    return `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  }

  async function failure(res: Response): Promise<Failure> {
    const body = (await res.json()) as { reason: FailureReason | null; message: string | null };
    return { status: res.status, ...body };
  }

  async function signedInAs(browser: Browser): Promise<string | null> {
    const body = (await (await browser.get('/me')).json()) as { user: { login: string } | null };
    return body.user?.login ?? null;
  }

  describe('a Secure session cookie on a plain-http request', () => {
    it('warns once and refuses the sign-in at the authorize leg, without a round trip to UltraCart', async () => {
      const origin = await start({ sessionCookie: { secure: true } });
      const browser = new Browser(origin);
      const begin = await browser.get('/login');
      await browser.get('/login');
      expect(begin.status).to.equal(500);
      expect(begin.headers.get('location')).to.equal(null);
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.match(/^passport-ultracart: .*Secure.*plain http.*X-Forwarded-Proto/);
      expect(emulator.count('authorize')).to.equal(0);
    });

    it('names the proxy header that Express did not trust, when one came', async () => {
      const origin = await start({ sessionCookie: { secure: true } });
      const begin = await new Browser(origin).get('/login', { 'x-forwarded-proto': 'https' });
      expect(begin.status).to.equal(500);
      expect(warnings[0]).to.match(/X-Forwarded-Proto: "https".*trust proxy/);
    });

    it('does not warn when the request came over https through a trusted proxy', async () => {
      const origin = await start({ sessionCookie: { secure: true }, trustProxy: 1 });
      const res = await new Browser(origin).get('/login', { 'x-forwarded-proto': 'https' });
      expect(res.status).to.equal(302);
      expect(warnings).to.deep.equal([]);
    });
  });

  describe('a SameSite=Strict session cookie, with the login page on another site', () => {
    it('warns at the authorize leg, and fails the cross-site return saying SameSite=Strict', async () => {
      const origin = await start({ sessionCookie: { sameSite: 'strict' }, emulatorHost: 'localhost' });
      const browser = new Browser(origin);
      const begin = await browser.get('/login');
      expect(new URL(begin.headers.get('location')!).hostname).to.equal('localhost');
      expect(warnings.join('\n')).to.match(/SameSite=Strict/);

      const callback = await emulator.approve(begin.headers.get('location')!);
      const res = await browser.arriveFrom(emulator.origin, pathOf(callback));
      expect(await failure(res)).to.deep.equal({ status: 403, reason: 'sameSiteStrict', message: FailureMessages.sameSiteStrict });
      expect(await signedInAs(browser)).to.equal(null);
    });

    it('signs in with SameSite=Lax on the same cross-site return', async () => {
      const origin = await start({ sessionCookie: { sameSite: 'lax' }, emulatorHost: 'localhost' });
      const browser = new Browser(origin);
      const begin = await browser.get('/login');
      const callback = await emulator.approve(begin.headers.get('location')!);
      expect((await browser.arriveFrom(emulator.origin, pathOf(callback))).status).to.equal(302);
      expect(await signedInAs(browser)).to.equal('ada');
      expect(warnings).to.deep.equal([]);
    });

    it('would pass unnoticed with the emulator on the same site as the app, which is why the warning matters', async () => {
      const origin = await start({ sessionCookie: { sameSite: 'strict' } });
      const browser = new Browser(origin);
      const begin = await browser.get('/login');
      const callback = await emulator.approve(begin.headers.get('location')!);
      expect((await browser.arriveFrom(emulator.origin, pathOf(callback))).status).to.equal(302);
      expect(warnings.join('\n')).to.match(/SameSite=Strict/);
    });
  });

  describe('the app opened on another host than the one in callbackURL', () => {
    it('warns naming both hosts, and fails the callback saying the sign-in began at another address', async () => {
      const origin = await start({ strategy: { callbackURL: `http://localhost${CALLBACK_PATH}` } });
      const onIp = new Browser(origin);
      const begin = await onIp.get('/login');
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('127.0.0.1').and.include('localhost');

      const callback = await emulator.approve(begin.headers.get('location')!);
      // UltraCart sends the browser to callbackURL's host, where the 127.0.0.1 cookie is not sent.
      const onLocalhost = new Browser(origin.replace('127.0.0.1', 'localhost'));
      const res = await onLocalhost.get(pathOf(callback));
      expect(await failure(res)).to.deep.equal({ status: 403, reason: 'hostMismatch', message: FailureMessages.hostMismatch });
    });

    it('still says "no sign-in in progress" for a callback opened directly when hosts match', async () => {
      const origin = await start();
      const res = await new Browser(origin).get(`${CALLBACK_PATH}?code=c&state=${'A'.repeat(43)}`);
      expect(await failure(res)).to.deep.equal({ status: 403, reason: 'noPendingSignIn', message: FailureMessages.noPendingSignIn });
      expect(warnings).to.deep.equal([]);
    });
  });

  describe('passport.session() missing', () => {
    it('warns on the next visit to the sign-in route, and a reload of the callback says the session is not restored', async () => {
      const origin = await start({ noPassportSession: true });
      const browser = new Browser(origin);
      const begin = await browser.get('/login');
      const callback = await emulator.approve(begin.headers.get('location')!);
      expect((await browser.get(pathOf(callback))).status).to.equal(302);
      // The sign-in happened, but nothing reads it back: the silent "not signed in".
      expect(await signedInAs(browser)).to.equal(null);
      expect(warnings).to.deep.equal([]);

      const reload = await browser.get(pathOf(callback));
      expect(await failure(reload)).to.deep.equal({
        status: 403,
        reason: 'sessionNotRestored',
        message: FailureMessages.sessionNotRestored,
      });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.include('passport.session()');
      await browser.get('/login');
      expect(warnings, 'warned once only').to.have.length(1);
    });
  });

  describe('the session middleware missing', () => {
    it('refuses the sign-in route with a 500 naming express-session, before any call to UltraCart', async () => {
      const origin = await start({ noSession: true });
      const res = await new Browser(origin).get('/login');
      expect(res.status).to.equal(500);
      expect(((await res.json()) as { message: string }).message).to.include('express-session');
      expect(emulator.count('authorize')).to.equal(0);
    });
  });

  describe('a reload of the callback', () => {
    it('after a cancelled sign-in says the link was already used, not to allow cookies', async () => {
      const origin = await start();
      const browser = new Browser(origin);
      const callback = await emulator.deny((await browser.get('/login')).headers.get('location')!);
      expect((await failure(await browser.get(pathOf(callback)))).reason).to.equal('denied');
      const reload = await failure(await browser.get(pathOf(callback)));
      expect(reload).to.deep.equal({ status: 403, reason: 'alreadyUsed', message: FailureMessages.alreadyUsed });
      expect(reload.message)
        .to.match(/already used/)
        .and.not.match(/cookie/i);
    });

    it('after a code UltraCart refused says the link was already used', async () => {
      const origin = await start();
      const browser = new Browser(origin);
      const callback = await emulator.approve((await browser.get('/login')).headers.get('location')!);
      emulator.inject('token', { status: 400 });
      expect((await failure(await browser.get(pathOf(callback)))).reason).to.equal('codeRejected');
      expect((await failure(await browser.get(pathOf(callback)))).reason).to.equal('alreadyUsed');
    });

    it('after success, from the pre-sign-in cookie of another tab, says the link was already used', async () => {
      const origin = await start();
      const browser = new Browser(origin);
      const callback = await emulator.approve((await browser.get('/login')).headers.get('location')!);
      const before = browser.cookie('sid')!;
      expect((await browser.get(pathOf(callback))).status).to.equal(302);
      const res = await fetch(new URL(pathOf(callback), origin), { headers: { cookie: `sid=${before}` }, redirect: 'manual' });
      expect((await failure(res)).reason).to.equal('alreadyUsed');
      expect(emulator.count('token')).to.equal(1);
    });

    it('after success, in the signed-in browser, goes home still signed in', async () => {
      const origin = await start();
      const browser = new Browser(origin);
      const callback = await emulator.approve((await browser.get('/login')).headers.get('location')!);
      await browser.get(pathOf(callback));
      const reload = await browser.get(pathOf(callback));
      expect(reload.status).to.equal(302);
      expect(reload.headers.get('location')).to.equal('/');
      expect(await signedInAs(browser)).to.equal('ada');
    });

    it('is not claimed by random states: an attacker spraying them records nothing', async () => {
      const origin = await start();
      const attacker = new Browser(origin);
      for (let i = 0; i < 50; i += 1) {
        const state = `${String(i).padStart(2, '0')}${'x'.repeat(41)}`;
        expect((await failure(await attacker.get(`${CALLBACK_PATH}?code=c&state=${state}`))).reason).to.equal('noPendingSignIn');
      }
      const finished = (h.strategy as unknown as { diagnostics: { finished: { size: number } } }).diagnostics.finished;
      expect(finished.size).to.equal(0);
    });
  });
});
