import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { startExample, type Example } from '../example-app/support.js';
import { pathOf } from '../support/browser.js';
import { cookiePair } from '../support/cookies.js';
import { rawGet, type RawResponse } from './support.js';

const SESSION_COOKIE = 'ultracart-example.sid';

/**
 * Cases 21 and 22 against the example app over a raw socket: `res.redirect` passes `//evil.com`,
 * `/\evil.com` and `javascript:` through, and client libraries would normalise these payloads
 * (or refuse CR/LF) before the app ever saw them.
 */
describe('returnTo, state and error_description sent raw to the example app', () => {
  let ex: Example;
  let server: Server;
  let port: number;

  beforeEach(async () => {
    ex = await startExample();
    server = ex.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await ex.close();
  });

  function sessionCookie(res: RawResponse): string | undefined {
    return cookiePair(res.headers.get('set-cookie'), SESSION_COOKIE);
  }

  /** Starts a sign-in with `signInTarget` sent raw, approves it and follows the callback; resolves to its response. */
  async function signInRaw(signInTarget: string): Promise<{ started: RawResponse; finished: RawResponse; cookie: string }> {
    const started = await rawGet(port, signInTarget);
    expect(started.status, started.head).to.equal(302);
    const cookie = sessionCookie(started)!;
    const callback = await ex.ultracart.approve(started.headers.get('location')![0]!);
    const finished = await rawGet(port, pathOf(callback), { Cookie: cookie });
    return { started, finished, cookie: sessionCookie(finished) ?? cookie };
  }

  /** True when no header of `res` was written by the payload. */
  function noInjectedHeader(res: RawResponse): boolean {
    return !res.headers.has('x-injected') && !(res.headers.get('set-cookie') ?? []).some((c) => c.startsWith('injected='));
  }

  const HOSTILE = [
    '//evil.com',
    '/\\evil.com',
    '/\\/evil.com',
    '//evil.com/%2F..',
    'https://evil.com',
    'javascript:alert(1)',
    'https://app@evil.com',
    '%2F%2Fevil.com',
    '/%5Cevil.com',
    '/%09/evil.com',
  ];

  describe('a hostile returnTo on the sign-in route', () => {
    for (const hostile of HOSTILE) {
      it(`still sends the browser to UltraCart for returnTo=${hostile}, and lands it on /profile`, async () => {
        const { started, finished } = await signInRaw(`/auth/ultracart?returnTo=${hostile}`);
        expect(started.headers.get('location')![0]).to.match(new RegExp(`^${ex.ultracart.origin}/login\\?request=`));
        expect(finished.status).to.equal(302);
        expect(finished.headers.get('location')).to.deep.equal(['/profile']);
      });
    }

    it('never lets a raw tab in returnTo reach the app: Node answers 400', async () => {
      const res = await rawGet(port, '/auth/ultracart?returnTo=/\t/evil.com');
      // The encoded form, /%09/evil.com above, is the one that reaches the app, and is dropped there.
      expect(res.status).to.equal(400);
      expect(ex.ultracart.count('authorize')).to.equal(0);
    });

    it('keeps a safe returnTo, to show the hostile ones fail for what they are', async () => {
      const { finished } = await signInRaw('/auth/ultracart?returnTo=/verify/result');
      expect(finished.headers.get('location')).to.deep.equal(['/verify/result']);
    });
  });

  describe('a hostile returnTo on the home page of a signed-in user, which redirects at once', () => {
    for (const hostile of HOSTILE) {
      it(`sends the signed-in user to /profile for returnTo=${hostile}`, async () => {
        const { cookie } = await signInRaw('/auth/ultracart');
        const res = await rawGet(port, `/?returnTo=${hostile}`, { Cookie: cookie });
        expect(res.status).to.equal(302);
        expect(res.headers.get('location')).to.deep.equal(['/profile']);
      });
    }
  });

  describe('CR/LF in what the browser sends', () => {
    it('reads a raw CR/LF as the end of the request line, so the rest becomes request headers and no response header', async () => {
      const res = await rawGet(port, '/auth/ultracart?returnTo=/a\r\nX-Injected: 1\r\nSet-Cookie: injected=1');
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')![0]).to.match(new RegExp(`^${ex.ultracart.origin}/login\\?request=`));
      expect(noInjectedHeader(res)).to.equal(true);
    });

    it('drops a returnTo holding an encoded CR/LF, injecting no header at sign-in or after it', async () => {
      const payload = '/a%0D%0AX-Injected:%201%0D%0ASet-Cookie:%20injected=1';
      const { started, finished } = await signInRaw(`/auth/ultracart?returnTo=${payload}`);
      expect(noInjectedHeader(started)).to.equal(true);
      expect(noInjectedHeader(finished)).to.equal(true);
      expect(finished.headers.get('location')).to.deep.equal(['/profile']);
    });

    it('drops an encoded CR/LF returnTo on the home page of a signed-in user', async () => {
      const { cookie } = await signInRaw('/auth/ultracart');
      const res = await rawGet(port, '/?returnTo=/a%0D%0AX-Injected:%201', { Cookie: cookie });
      expect(res.headers.get('location')).to.deep.equal(['/profile']);
      expect(noInjectedHeader(res)).to.equal(true);
    });

    it('fails a state holding an encoded CR/LF with a plain redirect to the failure page, no 500', async () => {
      const started = await rawGet(port, '/auth/ultracart');
      const cookie = sessionCookie(started)!;
      const res = await rawGet(port, '/auth/ultracart/callback?code=abc&state=%0D%0AX-Injected:%201%0D%0ASet-Cookie:%20injected=1', {
        Cookie: cookie,
      });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.deep.equal(['/auth/failed?reason=stateMismatch']);
      expect(noInjectedHeader(res)).to.equal(true);
      expect(ex.ultracart.count('token')).to.equal(0);
    });

    it('fails a denial whose error_description holds CR/LF and markup without echoing either', async () => {
      const started = await rawGet(port, '/auth/ultracart');
      const cookie = sessionCookie(started)!;
      const denied = await ex.ultracart.deny(started.headers.get('location')![0]!);
      const payload = '%0D%0AX-Injected:%201%0D%0A%3Cscript%3Ealert(1)%3C/script%3E';
      const res = await rawGet(port, `${pathOf(denied)}&error_description=${payload}`, { Cookie: cookie });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.deep.equal(['/auth/failed?reason=denied']);
      expect(noInjectedHeader(res)).to.equal(true);
      const page = await fetch(`http://127.0.0.1:${port}/auth/failed?reason=denied`, { headers: { cookie } });
      const html = await page.text();
      expect(html).to.include('Sign-in was cancelled');
      expect(html).to.not.include('alert(1)');
      expect(html).to.not.include('X-Injected');
    });
  });
});
