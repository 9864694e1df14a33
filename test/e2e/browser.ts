/**
 * `npm run test:e2e`: headless Chromium (the system's, through playwright-core) drives the example
 * app as `npm start` runs it, on its built-in emulators: sign-in, the profile, the UltrapassId
 * OpenID Connect verification (cancelled, then approved), the UAuth REST workflow, sign-out, a
 * cancelled sign-in, and "Connect your UltraCart store" (OAuth 2.0: declined, connected, an API
 * call, a refresh, a disconnect). One screenshot per page under test-results/.
 *
 * A plain script rather than a mocha file: it owns a browser and a child process and must clean
 * both up and finish within a hard time bound whatever happens.
 */
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DEFAULT_EMULATOR_USERS, DEFAULT_UAUTH_WORKFLOW_KEY } from 'passport-ultracart/testing';
import { Checks, describeError } from './checks.js';
import { findChromium, INSTALL_HINT } from './chromium.js';
import { ROOT, startExampleApp, type ExampleAppProcess } from './example-app-process.js';
import { attributeOf, Camera, textOf, watchConsole } from './page-tools.js';
import { connectStoreFlow } from './store-flow.js';

/** The whole run, browser start to clean-up; `npm run build` before it takes a few seconds more. */
const RUN_LIMIT_MS = 90_000;
const APP_START_LIMIT_MS = 20_000;
const ACTION_LIMIT_MS = 10_000;
const BROWSER_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SESSION_COOKIE = 'ultracart-example.sid';
/** The emulator's second user, so the test shows the choice on the login page is what signs in. */
const USER = DEFAULT_EMULATOR_USERS.find((user) => user.login === 'grace')!;

interface Run {
  checks: Checks;
  camera: Camera;
  app: ExampleAppProcess;
  browser: Browser;
}

const checks = new Checks();
const started = Date.now();

async function main(): Promise<void> {
  const executablePath = findChromium();
  if (!executablePath) {
    console.error(INSTALL_HINT);
    checks.expect('Chromium is installed', false, 'not found; see above');
    return finish();
  }
  console.log(`Chromium: ${executablePath}`);

  let app: ExampleAppProcess | undefined;
  let browser: Browser | undefined;
  const watchdog = setTimeout(() => {
    checks.expect(`the run finishes within ${RUN_LIMIT_MS / 1000} s`, false, 'stopped by the time limit');
    // Synchronous clean-up only: the exit handlers kill the app and Playwright's browser.
    finish();
    process.exit(1);
  }, RUN_LIMIT_MS);

  try {
    await checks.flow('start', async () => {
      app = await checks.step('the example app starts on its emulators and prints the URL to open', () =>
        startExampleApp(APP_START_LIMIT_MS),
      );
      browser = await checks.step('headless Chromium starts', () =>
        chromium.launch({ executablePath, headless: true, args: BROWSER_ARGS, timeout: APP_START_LIMIT_MS }),
      );
    });
    if (app && browser) {
      const run: Run = { checks, camera: new Camera(join(ROOT, 'test-results'), ROOT, checks, new URL(app.url).origin), app, browser };
      await checks.flow('sign in, verify identity with UltrapassId, sign out', () => inFreshContext(run, signInVerifySignOut));
      await checks.flow('cancel on the UltraCart login page', () => inFreshContext(run, cancelSignIn));
      await checks.flow('connect an UltraCart store, call the API, refresh, disconnect', () => inFreshContext(run, connectStoreFlow));
    }
  } finally {
    clearTimeout(watchdog);
    await browser?.close().catch(() => {});
    await app?.stop();
  }
  if (checks.failed > 0 && app) console.log(`\nThe example app's output:\n${app.output()}`);
  finish();
}

/** Prints the duration and the summary line, which must stay the last line of the run. */
function finish(): void {
  console.log(`\nfinished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(checks.summary());
  process.exitCode = checks.failed > 0 ? 1 : 0;
}

/** Runs `flow` in a new browser context (no cookies), then checks the console stayed clean. */
async function inFreshContext(run: Run, flow: (run: Run, page: Page, context: BrowserContext) => Promise<void>): Promise<void> {
  const context = await run.browser.newContext();
  context.setDefaultTimeout(ACTION_LIMIT_MS);
  context.setDefaultNavigationTimeout(ACTION_LIMIT_MS);
  const page = await context.newPage();
  const problems = watchConsole(page);
  try {
    await flow(run, page, context);
  } finally {
    run.checks.expect('the console showed no errors and no CSP violations', problems.length === 0, `\n  ${problems.join('\n  ')}`);
    await context.close().catch(() => {});
  }
}

async function signInVerifySignOut(run: Run, page: Page, context: BrowserContext): Promise<void> {
  const { checks, camera, app } = run;
  const appOrigin = new URL(app.url).origin;

  const home = await checks.step('the sign-in page opens', () => page.goto(app.url));
  checks.equal('the sign-in page answers 200', home?.status(), 200);
  checks.equal('the sign-in button says "Sign in with UltraCart"', await textOf(page, '#sign-in'), 'Sign in with UltraCart');
  checks.includes('the demo-mode notice says the vendors are emulated', await textOf(page, '#notice'), 'emulated');
  // A style blocked by the CSP would leave the link an unstyled blue underline.
  checks.equal(
    'the stylesheet is applied (the button has the brand colour)',
    await page.evaluate("getComputedStyle(document.getElementById('sign-in')).backgroundColor"),
    'rgb(11, 92, 171)',
  );
  // In forced-colours (high-contrast) mode backgrounds are dropped: only a border still outlines a button.
  await page.emulateMedia({ forcedColors: 'active' });
  const border = String(
    await page.evaluate("(s => s.borderTopStyle + ' ' + s.borderTopWidth)(getComputedStyle(document.getElementById('sign-in')))"),
  );
  await page.emulateMedia({ forcedColors: 'none' });
  checks.expect('the sign-in button keeps a visible border in forced-colours mode', /^solid [1-9]/.test(border), border);
  await camera.shoot(page, 'sign-in');

  await checks.step('"Sign in with UltraCart" leads to the UltraCart emulator login page', async () => {
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.origin === app.ultracartOrigin && url.pathname === '/login');
  });
  checks.equal('the login page asks to sign in to UltraCart', await textOf(page, 'h1'), 'Sign in to UltraCart');
  await camera.shoot(page, 'ultracart-login');

  await checks.step(`choosing ${USER.full_name} and approving comes back to the profile page`, async () => {
    await page.locator(`input[name="login"][value="${USER.login}"]`).check();
    await page.locator('#approve').click();
    await page.waitForURL(`${appOrigin}/profile`);
  });
  checks.equal('the profile greets the user', await textOf(page, 'h1'), `Hello, ${USER.full_name}`);
  checks.equal('the profile shows the name', await textOf(page, '#profile-name'), USER.full_name);
  checks.equal('the profile shows the login', await textOf(page, '#profile-login'), USER.login);
  checks.equal('the profile shows the email', await textOf(page, '#profile-email'), USER.email);
  const rows = await page.locator('#permissions tbody tr').allInnerTexts();
  const expectedRows = (USER.permissions ?? []).map((p) => [p.permission_group, p.permission_Name, p.selected ? 'yes' : 'no'].join(' '));
  checks.equal(
    'the profile lists the UltraCart permissions',
    JSON.stringify(rows.map((row) => row.replace(/\s+/g, ' ').trim())),
    JSON.stringify(expectedRows),
  );
  const expiry = Date.parse((await attributeOf(page, '#key-expires time', 'datetime')) ?? '');
  checks.expect(
    'the profile shows when the simple key expires (within the next hour)',
    expiry > Date.now() && expiry <= Date.now() + 3_600_000,
  );
  checks.includes('the header shows who is signed in', await textOf(page, '#signed-in-as'), USER.full_name!);
  const cookie = (await context.cookies()).find((c) => c.name === SESSION_COOKIE);
  checks.expect(
    'the session cookie is HttpOnly and SameSite=Lax',
    cookie?.httpOnly === true && cookie.sameSite === 'Lax',
    JSON.stringify(cookie),
  );
  await camera.shoot(page, 'profile');

  await verifyWithOidc(run, page);

  await checks.step('"Start the guided check" leads to the UltrapassId emulator page', async () => {
    await page.locator('#verify').click();
    await page.waitForURL((url) => url.origin === app.uauthOrigin && url.pathname === '/uauth');
  });
  checks.equal('the UltrapassId page asks to verify the identity', await textOf(page, 'h1'), 'Verify your identity');
  const shownWorkflow = await textOf(page, 'dd code >> nth=0');
  const shownPolicy = await textOf(page, 'dd code >> nth=1');
  checks.equal('the UltrapassId page runs the configured workflow', shownWorkflow, DEFAULT_UAUTH_WORKFLOW_KEY);
  await camera.shoot(page, 'uauth');

  await checks.step('completing the verification comes back to the result page', async () => {
    await page.locator('#complete').click();
    await page.waitForURL(`${appOrigin}/verify/result`);
  });
  checks.equal('the result page says the verification finished', await textOf(page, 'h1'), 'Identity verification finished');
  checks.equal('the result page shows the workflow', await textOf(page, '#workflow-key'), DEFAULT_UAUTH_WORKFLOW_KEY);
  const policy = await textOf(page, '#policy-id');
  checks.expect(
    'the result page shows the policy UltrapassId showed',
    shownPolicy !== null && policy === shownPolicy,
    `UltrapassId showed ${JSON.stringify(shownPolicy)}, the result page ${JSON.stringify(policy)}`,
  );
  await camera.shoot(page, 'verify-result');

  await checks.step('"Back to your profile" opens the profile', async () => {
    await page.locator('#back-to-profile').click();
    await page.waitForURL(`${appOrigin}/profile`);
  });
  checks.includes('the profile now says the guided check is done', await textOf(page, '#verification-status'), 'Checked with UltrapassId');
  checks.includes(
    'the profile still shows the OpenID Connect verification',
    await textOf(page, '#oidc-verification-status'),
    'Verified with UltrapassId on',
  );
  await camera.shoot(page, 'profile-verified');

  await checks.step('"Sign out" comes back to the sign-in page', async () => {
    await page.locator('#sign-out').click();
    await page.waitForURL(`${appOrigin}/?signedOut=1`);
    await page.locator('#sign-in').waitFor();
  });
  checks.equal('the sign-in page confirms the sign-out', await textOf(page, '#signed-out'), 'You are signed out.');
  checks.equal('the header no longer shows a signed-in user', await page.locator('#signed-in-as').count(), 0);
  checks.expect('the session cookie is gone', !(await context.cookies()).some((c) => c.name === SESSION_COOKIE));
  await camera.shoot(page, 'signed-out');

  await checks.step('the profile page now sends the browser to the sign-in page', async () => {
    await page.goto(`${appOrigin}/profile`);
    await page.waitForURL(`${appOrigin}/?returnTo=%2Fprofile`);
  });
  checks.equal(
    'the sign-in button would bring the user back to the profile',
    await attributeOf(page, '#sign-in', 'href'),
    '/auth/ultracart?returnTo=%2Fprofile',
  );
  await camera.shoot(page, 'profile-signed-out');
}

/**
 * "Verify identity with UltrapassId": the OpenID Connect flow through the OIDC emulator's login
 * page, on another site (localhost) than the app (127.0.0.1), cancelled once, then approved.
 */
async function verifyWithOidc(run: Run, page: Page): Promise<void> {
  const { checks, camera, app } = run;
  const appOrigin = new URL(app.url).origin;
  const atAuthorize = (url: URL): boolean => url.origin === app.oidcOrigin && url.pathname === '/oauth2/v2.0/authorize';
  checks.equal(
    'the OpenID Connect button says "Verify identity with UltrapassId"',
    await textOf(page, '#verify-oidc'),
    'Verify identity with UltrapassId',
  );

  await checks.step('"Verify identity with UltrapassId" leads to the OpenID Connect login page', async () => {
    await page.locator('#verify-oidc').click();
    await page.waitForURL(atAuthorize);
  });
  const authorize = new URL(page.url());
  checks.equal('the authorization request uses PKCE with S256', authorize.searchParams.get('code_challenge_method'), 'S256');
  checks.expect(
    'the authorization request carries a state and a nonce',
    !!authorize.searchParams.get('state') && !!authorize.searchParams.get('nonce'),
  );
  checks.equal('the login page asks to verify with UltrapassId', await textOf(page, 'h1'), 'Verify with UltrapassId');
  await camera.shoot(page, 'oidc-login');

  await checks.step('"Cancel" on the OpenID Connect page comes back to a page that says so', async () => {
    await page.locator('#cancel').click();
    await page.waitForURL(`${appOrigin}/verify/oidc/failed?reason=denied`);
  });
  checks.equal('the failure page says the verification was cancelled', await textOf(page, 'h1'), 'Verification was cancelled');
  checks.includes('the failure page says it was cancelled', await textOf(page, '#problem p'), 'cancelled');
  await camera.shoot(page, 'oidc-cancelled');

  await checks.step('"Back to your profile" opens the profile', async () => {
    await page.locator('#back-to-profile').click();
    await page.waitForURL(`${appOrigin}/profile`);
  });
  checks.equal('after the cancel, the same UltraCart user is still signed in', await textOf(page, '#profile-login'), USER.login);
  await checks.step('approving as Grace Hopper on the OpenID Connect page comes back to the profile', async () => {
    await page.locator('#verify-oidc').click();
    await page.waitForURL(atAuthorize);
    await page.locator('input[name="person"][value="person-grace"]').check();
    await page.locator('#approve').click();
    await page.waitForURL(`${appOrigin}/profile`);
  });
  checks.includes(
    'the profile says the identity was verified with OpenID Connect',
    await textOf(page, '#oidc-verification-status'),
    'Verified with UltrapassId on',
  );
  const subject = await textOf(page, '#oidc-subject');
  checks.expect(
    'the profile shows the verified subject (a per-organization hash)',
    /^[\w-]{43}$/.test(subject ?? ''),
    JSON.stringify(subject),
  );
  const verifiedAt = Date.parse((await attributeOf(page, '#oidc-verified-at', 'datetime')) ?? '');
  checks.expect('the profile shows when it was verified (just now)', Math.abs(Date.now() - verifiedAt) < 120_000, String(verifiedAt));
  checks.equal('the UltraCart user is still the one signed in', await textOf(page, '#profile-login'), USER.login);
  checks.expect('no code or state is left in the address bar', !/[?&](code|state)=/.test(page.url()), page.url());
  await camera.shoot(page, 'profile-oidc-verified');
}

async function cancelSignIn(run: Run, page: Page): Promise<void> {
  const { checks, camera, app } = run;
  const appOrigin = new URL(app.url).origin;
  await checks.step('the sign-in page leads to the UltraCart emulator login page', async () => {
    await page.goto(app.url);
    await page.locator('#sign-in').click();
    await page.waitForURL((url) => url.origin === app.ultracartOrigin && url.pathname === '/login');
  });
  await checks.step('"Cancel" comes back to the failure page', async () => {
    await page.locator('#deny').click();
    await page.waitForURL(`${appOrigin}/auth/failed?reason=denied`);
  });
  checks.equal('the failure page names the reason: denied', await attributeOf(page, '#problem', 'data-problem'), 'denied');
  checks.equal('the failure page says the sign-in was cancelled', await textOf(page, 'h1'), 'Sign-in was cancelled');
  checks.includes('the failure page explains that nothing was shared', await textOf(page, '#problem p'), 'nothing was shared');
  checks.equal('the failure page offers to sign in again', await attributeOf(page, '#sign-in-again', 'href'), '/');
  checks.equal('nobody is signed in', await page.locator('#signed-in-as').count(), 0);
  await camera.shoot(page, 'denied');
}

main().catch((err: unknown) => {
  checks.expect('the browser test runs without crashing', false, describeError(err));
  finish();
});
