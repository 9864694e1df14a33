import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import type { Express } from 'express';
import fc from 'fast-check';
import type { UltraCartEmulator } from 'passport-ultracart/testing';
import { SessionStateStore, type StateStore } from '../../src/index.js';
import { startExample, type Example } from '../example-app/support.js';
import { startHarness, type Harness } from '../support/harness.js';
import { hostilePath, NORMALISED_OFF_SITE, whyNotSameOrigin } from '../support/return-paths.js';
import { pathOf } from '../support/browser.js';
import { rawGet, type RawResponse } from './support.js';

/**
 * Threat model case 50 over raw sockets: return targets that only turn into `//evil.com` once the
 * URL parser has removed their dot segments, through every way a return target reaches a
 * `Location`: the strategy's `returnTo` option (the README quickstart), `returnToParam`, and the
 * example app's `/?returnTo=` and sign-in route, for signed-out and signed-in browsers.
 */

/** Each payload as a browser could send it: percent-encoded, and (when the request line allows it) as typed. */
const ENCODED = NORMALISED_OFF_SITE.map(encodeURIComponent);
const AS_TYPED = NORMALISED_OFF_SITE.filter((p) => !p.includes('#'));
/** A fixed sample of generated mixes, so a failure reproduces. */
const GENERATED = fc.sample(hostilePath, { numRuns: 12, seed: 50 }).map(encodeURIComponent);

async function listen(app: Express): Promise<{ server: Server; port: number }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function cookieFrom(res: RawResponse, name: string): string | undefined {
  return res.headers
    .get('set-cookie')
    ?.find((c) => c.startsWith(`${name}=`))
    ?.split(';', 1)[0];
}

function locationOf(res: RawResponse): string {
  const values = res.headers.get('location') ?? [];
  expect(values, res.head).to.have.length(1);
  return values[0]!;
}

/** Starts a sign-in at `target`, approves it at the emulator and sends the callback raw; resolves to the callback's answer. */
async function signInRaw(
  port: number,
  emulator: UltraCartEmulator,
  target: string,
  cookieName: string,
): Promise<{ finished: RawResponse; cookie: string }> {
  const started = await rawGet(port, target);
  expect(started.status, started.head).to.equal(302);
  const cookie = cookieFrom(started, cookieName)!;
  const callback = await emulator.approve(locationOf(started));
  const finished = await rawGet(port, pathOf(callback), { Cookie: cookie });
  expect(finished.status, finished.head).to.equal(302);
  return { finished, cookie: cookieFrom(finished, cookieName) ?? cookie };
}

describe('return targets that the URL parser normalises off-site, sent raw', function () {
  this.timeout(60_000);

  describe('an app passing ?returnTo= to the strategy as the returnTo option, as the quickstart does', () => {
    let h: Harness;
    let server: Server;
    let port: number;
    before(async () => {
      h = await startHarness();
      ({ server, port } = await listen(h.app));
    });
    after(async () => {
      await stop(server);
      await h.close();
    });

    for (const payload of [...ENCODED, ...AS_TYPED]) {
      it(`lands the browser on the default page for returnTo=${payload}`, async () => {
        const { finished } = await signInRaw(port, h.emulator, `/login?returnTo=${payload}`, 'sid');
        expect(locationOf(finished)).to.equal('/me');
      });
    }

    it('lands the browser on its own origin for every generated mix', async () => {
      for (const payload of GENERATED) {
        const { finished } = await signInRaw(port, h.emulator, `/login?returnTo=${payload}`, 'sid');
        expect(whyNotSameOrigin(locationOf(finished)), payload).to.equal(undefined);
      }
    });

    it('still brings the browser back to a safe returnTo', async () => {
      const { finished } = await signInRaw(port, h.emulator, '/login?returnTo=%2Forders%2F..%2Faccount%3Ftab%3D1', 'sid');
      expect(locationOf(finished)).to.equal('/account?tab=1');
    });
  });

  describe('an app using the returnToParam option', () => {
    let h: Harness;
    let server: Server;
    let port: number;
    before(async () => {
      h = await startHarness({ strategy: { returnToParam: 'next' } });
      ({ server, port } = await listen(h.app));
    });
    after(async () => {
      await stop(server);
      await h.close();
    });

    for (const payload of [...ENCODED, ...AS_TYPED]) {
      it(`lands the browser on the default page for next=${payload}`, async () => {
        const { finished } = await signInRaw(port, h.emulator, `/login?next=${payload}`, 'sid');
        expect(locationOf(finished)).to.equal('/me');
      });
    }

    it('lands the browser on its own origin for every generated mix', async () => {
      for (const payload of GENERATED) {
        const { finished } = await signInRaw(port, h.emulator, `/login?next=${payload}`, 'sid');
        expect(whyNotSameOrigin(locationOf(finished)), payload).to.equal(undefined);
      }
    });

    it('still brings the browser back to a safe next', async () => {
      const { finished } = await signInRaw(port, h.emulator, '/login?next=%2Forders%2F42', 'sid');
      expect(locationOf(finished)).to.equal('/orders/42');
    });
  });

  describe('an app whose own state store hands back a returnTo that is no longer safe', () => {
    let h: Harness;
    let server: Server;
    let port: number;
    before(async () => {
      const inner = new SessionStateStore();
      const tampering: StateStore = {
        save: (req, pending) => inner.save(req, pending),
        take: async (req, state) => {
          const taken = await inner.take(req, state);
          return taken.pending ? { ...taken, pending: { ...taken.pending, returnTo: '/.//evil.com' } } : taken;
        },
      };
      h = await startHarness({ strategy: { stateStore: tampering } });
      ({ server, port } = await listen(h.app));
    });
    after(async () => {
      await stop(server);
      await h.close();
    });

    it('leaves returnTo out of req.authInfo, so the app falls back to its default page', async () => {
      const { finished } = await signInRaw(port, h.emulator, '/login?returnTo=%2Forders', 'sid');
      expect(locationOf(finished)).to.equal('/me');
    });
  });

  describe('the example app', () => {
    const COOKIE = 'ultracart-example.sid';
    let ex: Example;
    let server: Server;
    let port: number;
    before(async () => {
      // Every browser here comes from 127.0.0.1; the limit is not what is under test.
      ex = await startExample({ settings: { rateLimit: { windowMs: 60_000, limit: 10_000 } } });
      ({ server, port } = await listen(ex.app));
    });
    after(async () => {
      await stop(server);
      await ex.close();
    });

    describe('with a signed-in browser, whose home page redirects at once', () => {
      let cookie: string;
      before(async () => {
        ({ cookie } = await signInRaw(port, ex.ultracart, '/auth/ultracart', COOKIE));
      });

      for (const payload of [...ENCODED, ...AS_TYPED]) {
        it(`sends the browser to /profile for /?returnTo=${payload}`, async () => {
          const res = await rawGet(port, `/?returnTo=${payload}`, { Cookie: cookie });
          expect(res.status).to.equal(302);
          expect(locationOf(res)).to.equal('/profile');
        });
      }

      it('keeps every generated mix on its own origin', async () => {
        for (const payload of GENERATED) {
          const res = await rawGet(port, `/?returnTo=${payload}`, { Cookie: cookie });
          expect(res.status).to.equal(302);
          expect(whyNotSameOrigin(locationOf(res)), payload).to.equal(undefined);
        }
      });
    });

    describe('with a signed-out browser, which follows the sign-in page to UltraCart and back', () => {
      for (const payload of [...ENCODED, ...AS_TYPED]) {
        it(`offers a sign-in without the target and lands on /profile for /?returnTo=${payload}`, async () => {
          const home = await rawGet(port, `/?returnTo=${payload}`);
          expect(home.status).to.equal(200);
          const href = /id="sign-in" href="([^"]+)"/.exec(home.body)?.[1];
          expect(href).to.equal('/auth/ultracart');
          const { finished } = await signInRaw(port, ex.ultracart, href!, COOKIE);
          expect(locationOf(finished)).to.equal('/profile');
        });
      }
    });

    describe('with a signed-out browser sent straight to the sign-in route', () => {
      for (const payload of [...ENCODED, ...AS_TYPED]) {
        it(`lands on /profile for /auth/ultracart?returnTo=${payload}`, async () => {
          const { finished } = await signInRaw(port, ex.ultracart, `/auth/ultracart?returnTo=${payload}`, COOKIE);
          expect(locationOf(finished)).to.equal('/profile');
        });
      }

      it('keeps every generated mix on its own origin', async () => {
        for (const payload of GENERATED) {
          const { finished } = await signInRaw(port, ex.ultracart, `/auth/ultracart?returnTo=${payload}`, COOKIE);
          expect(whyNotSameOrigin(locationOf(finished)), payload).to.equal(undefined);
        }
      });
    });
  });
});
