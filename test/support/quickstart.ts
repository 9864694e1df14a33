import { expect } from 'chai';
import { createServer } from 'node:net';
import { Browser, pathOf } from './browser.js';
import { spawnApp, spawnCommandLine, type ExampleAppProcess } from './example-app-process.js';

/** A port nobody listens on now: the Quickstart builds its callback URL from PORT before it listens. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a Quickstart file (or, with `commandLine`, the shell command that runs it) on a free port; resolves once it prints the address to open. */
export async function startQuickstart(
  script: string,
  env: Record<string, string> = {},
  where: { cwd?: string; tsx?: boolean; commandLine?: boolean } = {},
): Promise<{ app: ExampleAppProcess; browser: Browser }> {
  const port = await freePort();
  const app = where.commandLine
    ? spawnCommandLine(script, { PORT: String(port), ...env }, where.cwd ?? '.')
    : spawnApp(script, { PORT: String(port), ...env }, where);
  const [, origin] = await app.waitFor(/Open (http:\/\/localhost:\d+)\//, 30_000);
  expect(origin).to.equal(`http://localhost:${port}`);
  return { app, browser: new Browser(origin!) };
}

/** Submits the emulator's login page as a person would: pick `login`, press Approve (or Cancel). */
export async function decide(browser: Browser, loginUrl: string, decision: 'approve' | 'deny', login = 'ada'): Promise<string> {
  const page = await browser.get(loginUrl);
  expect(page.status).to.equal(200);
  expect(await page.text()).to.contain('id="approve"');
  const request = new URL(loginUrl).searchParams.get('request')!;
  const answer = await browser.post(new URL('/login', loginUrl).href, { request, login, decision });
  expect(answer.status).to.equal(303);
  return answer.headers.get('location')!;
}

/**
 * What a newcomer does with the Quickstart and no UltraCart account: open it, sign in on the
 * emulator's login page, see who is signed in, sign out. Returns the pages' text for assertions.
 */
export async function signInAndOut(browser: Browser): Promise<{ home: string; signedIn: string; signedOut: string; cookie: string }> {
  const home = await (await browser.get('/')).text();
  const begin = await browser.get('/auth/ultracart');
  expect(begin.status).to.equal(302);
  const cookie = begin.headers.getSetCookie().find((line) => line.startsWith('connect.sid=')) ?? '';
  const callback = await decide(browser, begin.headers.get('location')!, 'approve');
  expect(callback).to.match(/^http:\/\/localhost:\d+\/auth\/ultracart\/callback\?/);
  const returned = await browser.get(pathOf(callback));
  expect(returned.status).to.equal(302);
  expect(returned.headers.get('location')).to.equal('/');
  const signedIn = await (await browser.get('/')).text();
  expect((await browser.post('/logout', {})).status).to.equal(303);
  const signedOut = await (await browser.get('/')).text();
  return { home, signedIn, signedOut, cookie };
}
