import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import {
  DEFAULT_UAUTH_WORKFLOW_KEY,
  startUAuthEmulator,
  startUltraCartEmulator,
  type UAuthEmulator,
  type UltraCartEmulator,
} from 'passport-ultracart/testing';
import { csrfTokenIn } from '../example-app/support.js';
import { spawnExampleApp } from '../support/example-app-process.js';
import { Browser, pathOf, unsignedSessionId } from '../support/browser.js';

/**
 * Case 46: the example app runs as `npm start` runs it, with the package's debug output and its own
 * request log on, through every flow and the failures that log something. Nothing secret may
 * appear in what it prints.
 *
 * The vendors are emulators started here, passed to the app as if they were the real vendors
 * (ULTRACART_* and UPID_* variables), so the keys are values this test chose and the simple keys
 * are visible in the emulator's calls.
 */

const SESSION_COOKIE = 'ultracart-example.sid';
/** Any port: only the callback's path and query are used, the browser talks to the app's real port. */
const PLACEHOLDER_ORIGIN = 'http://127.0.0.1:9';

const SECRET_KINDS = [
  'the UltraCart app key',
  'the UltrapassId organization key',
  'the session secret',
  'a user simple key',
  'a code',
  'a state',
  'a session cookie',
  'a session id',
  'an UltrapassId session id',
  'a CSRF token',
] as const;
type SecretKind = (typeof SECRET_KINDS)[number];

class Secrets {
  readonly byKind = new Map<SecretKind, Set<string>>(SECRET_KINDS.map((kind) => [kind, new Set<string>()]));

  add(kind: SecretKind, value: string | null | undefined): void {
    if (value) this.byKind.get(kind)!.add(value);
  }

  /** Both forms of the session cookie the browser holds now. */
  addSessionOf(browser: Browser): void {
    const cookie = browser.cookie(SESSION_COOKIE);
    if (!cookie) return;
    this.add('a session cookie', cookie);
    this.add('a session id', unsignedSessionId(cookie));
  }

  /** The code and state (every copy of each) in a callback URL UltraCart sent the browser to. */
  addCallback(url: string): void {
    const params = new URL(url).searchParams;
    for (const code of params.getAll('code')) this.add('a code', code);
    for (const state of params.getAll('state')) this.add('a state', state);
  }
}

interface AppRun {
  stdout: string;
  stderr: string;
  secrets: Secrets;
}

function expectStatus(res: Response, status: number, location?: string): void {
  expect(res.status, `${res.url}`).to.equal(status);
  if (location !== undefined) expect(res.headers.get('location')).to.equal(location);
}

/** Every flow and failure the audit covers, driven as browsers would; collects each secret met on the way. */
async function driveFlows(origin: string, ultracart: UltraCartEmulator, upid: UAuthEmulator, secrets: Secrets): Promise<void> {
  const begin = async (browser: Browser): Promise<string> => {
    const res = await browser.get('/auth/ultracart');
    expectStatus(res, 302);
    secrets.addSessionOf(browser);
    return res.headers.get('location')!;
  };

  // A full sign-in.
  const user = new Browser(origin);
  const callback = await ultracart.approve(await begin(user), 'ada');
  secrets.addCallback(callback);
  expectStatus(await user.get(pathOf(callback)), 302, '/profile');
  secrets.addSessionOf(user);
  const profile = await user.get('/profile');
  expectStatus(profile, 200);
  const token = csrfTokenIn(await profile.text());
  secrets.add('a CSRF token', token);

  // The UltrapassId verify flow.
  const verify = await user.post('/verify', { _csrf: token });
  expectStatus(verify, 303);
  const workflowPage = verify.headers.get('location')!;
  secrets.add('an UltrapassId session id', new URL(workflowPage).searchParams.get('sessionId'));
  expectStatus(await user.get(pathOf(await upid.complete(workflowPage))), 303, '/verify/result');
  expectStatus(await user.get('/verify/result'), 200);

  // The finished callback replayed, by the same browser and by another one.
  expectStatus(await user.get(pathOf(callback)), 302, '/');
  const replayer = new Browser(origin);
  expectStatus(await replayer.get(pathOf(callback)), 302, '/auth/failed?reason=alreadyUsed');
  secrets.addSessionOf(replayer);
  expectStatus(await replayer.get('/auth/failed?reason=alreadyUsed'), 403);

  // A forged state.
  const forger = new Browser(origin);
  const forgedCallback = new URL(await ultracart.approve(await begin(forger)));
  secrets.addCallback(forgedCallback.href);
  const forged = randomBytes(32).toString('base64url');
  secrets.add('a state', forged);
  forgedCallback.searchParams.set('state', forged);
  expectStatus(await forger.get(pathOf(forgedCallback.href)), 302, '/auth/failed?reason=stateMismatch');

  // A login denied at UltraCart.
  const denier = new Browser(origin);
  const denied = await ultracart.deny(await begin(denier));
  secrets.addCallback(denied);
  expectStatus(await denier.get(pathOf(denied)), 302, '/auth/failed?reason=denied');
  expectStatus(await denier.get('/auth/failed?reason=denied'), 401);

  // The state parameter twice.
  const doubler = new Browser(origin);
  const doubled = await ultracart.approve(await begin(doubler));
  secrets.addCallback(doubled);
  const state = new URL(doubled).searchParams.get('state')!;
  expectStatus(await doubler.get(`${pathOf(doubled)}&state=${encodeURIComponent(state)}`), 302, '/auth/failed?reason=stateMalformed');

  // UltraCart failing the exchange with an error that echoes the code and the app key.
  const unlucky = new Browser(origin);
  const failing = await ultracart.approve(await begin(unlucky));
  secrets.addCallback(failing);
  const code = new URL(failing).searchParams.get('code')!;
  ultracart.inject('token', {
    status: 500,
    body: { error: { developer_message: `code ${code} for key ${ultracart.appKey} failed` }, success: false },
  });
  expectStatus(await unlucky.get(pathOf(failing)), 502);

  // UltrapassId refusing the organization key, echoing it.
  upid.inject('createSession', { status: 401, contentType: 'text/plain', body: `Organization key ${upid.organizationKey} is not valid` });
  const again = await user.get('/profile');
  const secondToken = csrfTokenIn(await again.text());
  secrets.add('a CSRF token', secondToken);
  expectStatus(await user.post('/verify', { _csrf: secondToken }), 500);

  // Sign-out.
  const last = csrfTokenIn(await (await user.get('/profile')).text());
  secrets.add('a CSRF token', last);
  expectStatus(await user.post('/logout', { _csrf: last }), 303, '/?signedOut=1');

  for (const call of ultracart.calls) {
    if (call.endpoint === 'user' || call.endpoint === 'revoke') {
      secrets.add('a user simple key', call.headers['x-ultracart-simple-key'] as string);
    }
  }
}

/** Starts the emulators and the app with `debug`, drives every flow, stops the app and returns what it printed. */
async function auditRun(debug: string): Promise<AppRun> {
  const appKey = `uc-app-key-${randomBytes(16).toString('hex')}`;
  const organizationKey = `upid-org-key-${randomBytes(16).toString('hex')}`;
  const sessionSecret = `session-secret-${randomBytes(24).toString('hex')}`;
  const ultracart = await startUltraCartEmulator({ appKey });
  const upid = await startUAuthEmulator({ organizationKey, clientRedirectUrl: `${PLACEHOLDER_ORIGIN}/verify/return` });
  const secrets = new Secrets();
  secrets.add('the UltraCart app key', appKey);
  secrets.add('the UltrapassId organization key', organizationKey);
  secrets.add('the session secret', sessionSecret);
  const app = spawnExampleApp({
    PORT: '0',
    DEBUG: debug,
    DEBUG_COLORS: 'no',
    SESSION_SECRET: sessionSecret,
    RATE_LIMIT_PER_MINUTE: '100',
    ULTRACART_SIMPLE_KEY: appKey,
    ULTRACART_BASE_URL: ultracart.url,
    ULTRACART_CALLBACK_URL: `${PLACEHOLDER_ORIGIN}/auth/ultracart/callback`,
    UPID_ORGANIZATION_KEY: organizationKey,
    UPID_WORKFLOW_KEY: DEFAULT_UAUTH_WORKFLOW_KEY,
    UPID_BASE_URL: upid.url,
    UPID_ALLOWED_REDIRECT_ORIGINS: upid.origin,
  });
  try {
    // Either start-up line: on emulators ("open http://127.0.0.1:N/") or on real-vendor settings.
    const started = await app.waitFor(/listening on port (\d+)|open http:\/\/127\.0\.0\.1:(\d+)\//);
    const port = Number(started[1] ?? started[2]);
    await driveFlows(`http://127.0.0.1:${port}`, ultracart, upid, secrets);
    await app.stop();
    return { stdout: app.stdout(), stderr: app.stderr(), secrets };
  } finally {
    await app.stop();
    await ultracart.close();
    await upid.close();
  }
}

/** A debug record's first line: debug 4 stamps an ISO time, the debug 2 inside express-session a UTC string. */
const DEBUG_LINE = /^(?:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z|\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT) (\S+) /;

/**
 * The lines the package and the example app are answerable for: all of stdout (the app's own log)
 * and those stderr lines that are not another library's debug output. A line that does not start
 * a debug record continues the one before it.
 */
function ownLines(run: AppRun): string[] {
  const own = run.stdout.split('\n');
  let namespace: string | undefined;
  for (const line of run.stderr.split('\n')) {
    const match = DEBUG_LINE.exec(line);
    if (match) namespace = match[1];
    if (namespace === undefined || namespace.startsWith('passport-ultracart')) own.push(line);
  }
  return own;
}

function leaks(lines: string[], values: Set<string>): string[] {
  return lines.filter((line) => [...values].some((value) => line.includes(value)));
}

describe('log audit: what the example app prints', function () {
  this.timeout(20_000);

  describe('with DEBUG=passport-ultracart* and the request log on', () => {
    let run: AppRun;
    before(async () => {
      run = await auditRun('passport-ultracart*');
    });

    it('is read to the end of the app’s output, its shutdown line', () => {
      expect(run.stdout).to.match(/SIGTERM: shutting down\n$/);
    });

    it('prints the package’s debug lines, so the audit sees them', () => {
      expect(run.stderr).to.match(/ passport-ultracart:strategy callback refused: stateMismatch/);
      expect(run.stderr).to.match(/ passport-ultracart:ultracart PUT \/rest\/v2\/sso\/token -> 500/);
      expect(run.stderr).to.match(/ passport-ultracart:uauth /);
    });

    it('logs every request by method, path and status, with no query string', () => {
      const requests = run.stdout.split('\n').filter((line) => /^(GET|POST) /.test(line));
      expect(requests.some((l) => l.startsWith('GET /auth/ultracart/callback 302 '))).to.equal(true);
      expect(requests.some((l) => l.startsWith('GET /verify/return 303 '))).to.equal(true);
      expect(requests.some((l) => l.startsWith('POST /logout 303 '))).to.equal(true);
      expect(requests.filter((l) => l.includes('?'))).to.deep.equal([]);
    });

    it('logs the upstream failures by error name and code only', () => {
      expect(run.stdout).to.include('error: UltraCartApiError ULTRACART_UNAVAILABLE -> 502');
      expect(run.stdout).to.include('error: UAuthApiError UAUTH_CONFIGURATION -> 500');
    });

    for (const kind of SECRET_KINDS) {
      it(`never prints ${kind}, on stdout or stderr`, () => {
        const values = run.secrets.byKind.get(kind)!;
        expect(values.size, `no ${kind} was seen during the flows`).to.be.greaterThan(0);
        expect(leaks(`${run.stdout}\n${run.stderr}`.split('\n'), values)).to.deep.equal([]);
      });
    }
  });

  /*
   * DEBUG=* also turns on other libraries' debug output: express-session prints session ids and
   * the Set-Cookie it sends, Express's router prints every request URL with its query string
   * (code and state included). That is theirs, not this package's, and no log setting of ours can
   * filter it: DEBUG=* must never be used in production. The audit holds the package's debug
   * lines and the app's own log to the same rule as above.
   */
  describe('with DEBUG=* and the request log on', () => {
    let run: AppRun;
    before(async () => {
      run = await auditRun('*');
    });

    it('prints other libraries’ debug lines as well, which this audit leaves to them', () => {
      expect(run.stderr).to.match(/ express-session /);
      expect(run.stderr).to.match(/ router /);
    });

    it('prints the package’s debug lines', () => {
      expect(run.stderr).to.match(/ passport-ultracart:strategy /);
    });

    for (const kind of SECRET_KINDS) {
      it(`never prints ${kind} in the app’s own log or the package’s debug lines`, () => {
        const values = run.secrets.byKind.get(kind)!;
        expect(values.size, `no ${kind} was seen during the flows`).to.be.greaterThan(0);
        expect(leaks(ownLines(run), values)).to.deep.equal([]);
      });
    }
  });
});
