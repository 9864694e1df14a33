import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FailureMessages } from 'passport-ultracart';
import { startUltraCartEmulator, type UltraCartEmulator } from 'passport-ultracart/testing';
import { Browser, pathOf } from './support/browser.js';
import { ROOT, spawnApp, type ExampleAppProcess } from './support/example-app-process.js';
import { DEVELOPER_WORDS, visibleText } from './support/user-words.js';
import { freePort, signInAndOut, startQuickstart } from './support/quickstart.js';

/*
 * The Quickstart is examples/quickstart/, run here as it is, in a child process, the way its first
 * line says to run it: the TypeScript file and its CommonJS twin. (test/package.test.ts runs the
 * CommonJS one again from the packed tarball, as a newcomer's empty folder would.)
 */

const SCRIPTS = ['examples/quickstart/server.ts', 'examples/quickstart/server.cjs'];

describe('the Quickstart, run as it is', function () {
  this.timeout(60_000);
  let app: ExampleAppProcess | undefined;
  let emulator: UltraCartEmulator | undefined;

  afterEach(async () => {
    await app?.stop();
    await emulator?.close();
    app = undefined;
    emulator = undefined;
  });

  async function start(script: string, env: Record<string, string> = {}): Promise<Browser> {
    const started = await startQuickstart(script, env);
    app = started.app;
    return started.browser;
  }

  for (const script of SCRIPTS) {
    describe(`${script} with no configuration`, () => {
      it('says it signs in against the emulator, and signs Ada in there and out, with a cookie that works on http', async () => {
        const browser = await start(script);
        expect(app!.output()).to.match(/No ULTRACART_SIMPLE_KEY: signing in against the UltraCart emulator at http:\/\/127\.0\.0\.1:\d+/);
        const { home, signedIn, signedOut, cookie } = await signInAndOut(browser);
        expect(home).to.contain('<a href="/auth/ultracart">Sign in with UltraCart</a>');
        expect(signedIn).to.contain('Signed in as Ada Lovelace.');
        expect(signedOut).to.contain('Sign in with UltraCart');
        // Not Secure: over plain http express-session would not send a Secure cookie at all.
        expect(cookie)
          .to.match(/; HttpOnly/i)
          .and.match(/; SameSite=Lax/i)
          .and.not.match(/; Secure/i);
      });
    });

    describe(`${script} given an UltraCart key`, () => {
      it('signs in with that key, ends the session cookie with the user key, and revokes the key at sign-out', async () => {
        emulator = await startUltraCartEmulator();
        const browser = await start(script, { ULTRACART_SIMPLE_KEY: emulator.appKey, ULTRACART_BASE_URL: emulator.url });
        expect(app!.output()).to.not.contain('emulator');

        const begin = await browser.get('/auth/ultracart?returnTo=/');
        const returned = await browser.get(pathOf(await emulator.approve(begin.headers.get('location')!, 'grace')));
        expect(returned.status).to.equal(302);
        expect(returned.headers.getSetCookie().find((line) => line.startsWith('connect.sid='))).to.match(/; Expires=/);
        expect(await (await browser.get('/')).text()).to.contain('Signed in as Grace Hopper.');
        expect(emulator.calls.find((call) => call.endpoint === 'token')!.headers['x-ultracart-simple-key']).to.equal(emulator.appKey);

        await browser.post('/logout', {});
        expect(emulator.count('revoke')).to.equal(1);
        expect(await (await browser.get('/')).text()).to.contain('Sign in with UltraCart');
      });

      it('shows why on its failure page, with a way to try again, when the user cancels', async () => {
        emulator = await startUltraCartEmulator();
        const browser = await start(script, { ULTRACART_SIMPLE_KEY: emulator.appKey, ULTRACART_BASE_URL: emulator.url });
        const begin = await browser.get('/auth/ultracart');
        const returned = await browser.get(pathOf(await emulator.deny(begin.headers.get('location')!)));
        expect(returned.status).to.equal(302);
        expect(returned.headers.get('location')).to.equal('/signin-failed?reason=denied');
        const page = await browser.get('/signin-failed?reason=denied');
        expect(page.status).to.equal(401);
        const text = await page.text();
        expect(text).to.not.contain('The sign-in did not complete.');
        expect(text).to.contain('<a href="/auth/ultracart">Try again</a>');
        expect(emulator.count('token')).to.equal(0);
      });

      it('names the reason on its failure page for a browser without a session, and on a reload', async () => {
        emulator = await startUltraCartEmulator();
        const browser = await start(script, { ULTRACART_SIMPLE_KEY: emulator.appKey, ULTRACART_BASE_URL: emulator.url });
        const stranger = await new Browser(browser.origin).get(`/auth/ultracart/callback?code=c&state=${'A'.repeat(43)}`);
        expect(stranger.headers.get('location')).to.equal('/signin-failed?reason=noPendingSignIn');
        expect(stranger.headers.getSetCookie()).to.deep.equal([]);
        for (let load = 0; load < 2; load += 1) {
          expect(await (await browser.get('/signin-failed?reason=noPendingSignIn')).text()).to.contain(
            FailureMessages.noPendingSignIn.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
          );
        }
        for (const odd of ['__proto__', 'toString', 'denied&reason=denied']) {
          expect(await (await browser.get(`/signin-failed?reason=${odd}`)).text(), odd).to.contain('The sign-in did not complete.');
        }
      });

      it('shows the user words for the person for every reason, never set-up detail meant for the developer', async () => {
        emulator = await startUltraCartEmulator();
        const browser = await start(script, { ULTRACART_SIMPLE_KEY: emulator.appKey, ULTRACART_BASE_URL: emulator.url });
        for (const reason of Object.keys(FailureMessages)) {
          const page = await browser.get(`/signin-failed?reason=${reason}`);
          expect(page.status, reason).to.equal(401);
          const text = await page.text();
          expect(visibleText(text), reason).to.not.match(DEVELOPER_WORDS);
        }
      });

      it("after a sign-out, answers a reload of the used callback with a page in the user's words", async () => {
        emulator = await startUltraCartEmulator();
        const browser = await start(script, { ULTRACART_SIMPLE_KEY: emulator.appKey, ULTRACART_BASE_URL: emulator.url });
        const begin = await browser.get('/auth/ultracart');
        const callback = pathOf(await emulator.approve(begin.headers.get('location')!));
        expect((await browser.get(callback)).headers.get('location')).to.equal('/');
        // Signed in: the reload goes home (the strategy's signedInRedirect), the user still signed in.
        expect((await browser.get(callback)).headers.get('location')).to.equal('/');
        expect(await (await browser.get('/')).text()).to.contain('Signed in as Ada Lovelace.');
        await browser.post('/logout', {});
        const reload = await browser.get(callback);
        const failed = await browser.get(reload.headers.get('location')!);
        expect(failed.status).to.equal(401);
        const text = await failed.text();
        expect(visibleText(text)).to.not.match(DEVELOPER_WORDS);
        expect(text).to.not.contain('The sign-in did not complete.');
        expect(emulator.count('token')).to.equal(1);
      });
    });
  }

  for (const script of SCRIPTS) {
    describe(`${script} refusing to start`, () => {
      async function refusal(env: Record<string, string>): Promise<string> {
        app = spawnApp(script, { PORT: String(await freePort()), ...env });
        expect(await app.exited).to.equal(1);
        return app.stderr();
      }

      it('in production without SESSION_SECRET, saying what to set', async () => {
        expect(await refusal({ NODE_ENV: 'production' })).to.contain('Set SESSION_SECRET to a random string of 32 bytes or more');
      });

      it('with a SESSION_SECRET shorter than 32 bytes', async () => {
        expect(await refusal({ SESSION_SECRET: 'x'.repeat(31) })).to.contain('Set SESSION_SECRET to a random string of 32 bytes or more');
      });

      it('in production with a key but no ULTRACART_CALLBACK_URL, rather than sending UltraCart a localhost address', async () => {
        const stderr = await refusal({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), ULTRACART_SIMPLE_KEY: 'a-real-key' });
        expect(stderr).to.contain('Set ULTRACART_CALLBACK_URL to https://<your host>/auth/ultracart/callback');
      });
    });
  }
});

describe('the README', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  /** The body of every fenced block of `language` in the README. */
  function blocks(language: string): string[] {
    return [...readme.matchAll(new RegExp(`^\`\`\`${language}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]!);
  }

  it('shows examples/quickstart/server.ts, character for character, as its Quickstart', () => {
    expect(blocks('ts')).to.include(readFileSync(join(ROOT, 'examples/quickstart/server.ts'), 'utf8'));
  });
});

describe('the Quickstart in CommonJS', () => {
  /** What the two files must agree on: the routes, the variables read, and every string literal. */
  function surface(file: string): { routes: string[]; variables: string[]; strings: string[] } {
    // Comments dropped (the first line says how to run each file); `//` inside a URL is kept.
    const code = readFileSync(join(ROOT, file), 'utf8').replace(/(^|\s)\/\/.*$/gm, '$1');
    const all = (pattern: RegExp): string[] => [...code.matchAll(pattern)].map((m) => m[1] ?? m[2]!);
    return {
      routes: all(/app\.(?:get|post|use|set)\(\s*'([^']*)'/g),
      variables: all(/process\.env\.(\w+)/g),
      strings: all(/'((?:[^'\\\n]|\\.)*)'|`([^`]*)`/g),
    };
  }

  it('is the TypeScript Quickstart without its types: same routes, variables and messages', () => {
    expect(surface('examples/quickstart/server.cjs')).to.deep.equal(surface('examples/quickstart/server.ts'));
  });
});
