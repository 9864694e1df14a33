import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import fc from 'fast-check';
import { startHarness, type Harness, CALLBACK_PATH } from '../support/harness.js';

/**
 * Property: whatever query string and headers a browser sends to the callback, the app never
 * answers 5xx, never crashes, and signs someone in only for the exact state and code of a real
 * flow. Upstream bodies are fuzzed too: they may give 502, never a signed-in user from garbage.
 */
describe('fuzzing the callback leg', function () {
  this.timeout(120_000);
  let h: Harness;
  let server: Server;
  let base: string;

  before(async () => {
    h = await startHarness();
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await h.close();
  });

  /** Begins a sign-in; returns the cookie, the real state and a real code for it. */
  async function pendingSignIn(): Promise<{ cookie: string; state: string; code: string }> {
    const res = await fetch(`${base}/login`, { redirect: 'manual' });
    const cookie = (res.headers.get('set-cookie') ?? '').split(';', 1)[0]!;
    const callback = new URL(await h.emulator.approve(res.headers.get('location')!));
    return { cookie, state: callback.searchParams.get('state')!, code: callback.searchParams.get('code')! };
  }

  async function signedIn(cookie: string): Promise<boolean> {
    const res = await fetch(`${base}/me`, { headers: { cookie } });
    return ((await res.json()) as { user: unknown }).user !== null;
  }

  const token = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 60 }),
    fc.constantFrom('', '%', '%00', '%0d%0a', '..', '__proto__', 'constructor', 'A'.repeat(43), 'x'.repeat(600)),
  );
  const name = fc.oneof(
    fc.constantFrom('state', 'code', 'error', 'error_description', 'state[x]', 'code[]', '__proto__'),
    fc.string({ maxLength: 12 }),
  );
  const pair = fc.tuple(name, token);
  /** Where the real state and code go: absent, once, twice, or as an array. */
  const placement = fc.constantFrom('absent', 'once', 'twice', 'array');

  it('never answers 5xx and signs in only for the exact state and code of the flow', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(pair, { maxLength: 6 }),
        placement,
        placement,
        fc.boolean(),
        async (noise, statePlace, codePlace, withError) => {
          const { cookie, state, code } = await pendingSignIn();
          const params = new URLSearchParams();
          const place = (key: string, value: string, how: string) => {
            if (how === 'once') params.append(key, value);
            if (how === 'twice') (params.append(key, value), params.append(key, value));
            if (how === 'array') params.append(`${key}[]`, value);
          };
          place('state', state, statePlace);
          place('code', code, codePlace);
          if (withError) params.append('error', 'access_denied');
          for (const [k, v] of noise) params.append(k, v);
          const res = await fetch(`${base}${CALLBACK_PATH}?${params}`, { headers: { cookie }, redirect: 'manual' });
          await res.arrayBuffer();
          expect(res.status, `status for ?${params}`).to.be.below(500);
          const exact =
            params.getAll('state').length === 1 &&
            params.get('state') === state &&
            params.getAll('code').length === 1 &&
            params.get('code') === code &&
            !params.has('error');
          const newCookie = (res.headers.get('set-cookie') ?? cookie).split(';', 1)[0]!;
          expect(await signedIn(newCookie), `signed in for ?${params}`).to.equal(exact && res.status === 302);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never answers 5xx to a callback without any pending sign-in, whatever the headers', async () => {
    const headerValue = fc.string({ maxLength: 200 }).filter((v) => /^[\x20-\x7e]*$/.test(v));
    await fc.assert(
      fc.asyncProperty(fc.array(pair, { maxLength: 6 }), headerValue, headerValue, async (noise, cookieHeader, forwarded) => {
        const params = new URLSearchParams(noise);
        const res = await fetch(`${base}${CALLBACK_PATH}?${params}`, {
          headers: { cookie: cookieHeader, 'x-forwarded-for': forwarded, 'x-forwarded-host': forwarded },
          redirect: 'manual',
        });
        await res.arrayBuffer();
        expect(res.status).to.be.oneOf([302, 400, 401, 403]);
      }),
      { numRuns: 600 },
    );
    expect(h.emulator.count('authorize')).to.be.greaterThan(0);
  });

  it('answers a 4xx or 502-504, never a crash or a sign-in, whatever /sso/token returns', async () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    const body = fc.oneof(
      json.map((v) => JSON.stringify(v)),
      fc
        .record({
          simple_key: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
          expiration_dts: fc.oneof(fc.string(), fc.integer()),
          ip_address: fc.anything(),
        })
        .map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
    );
    const status = fc.constantFrom(200, 200, 201, 204, 301, 400, 401, 404, 410, 429, 500, 503);
    const contentType = fc.constantFrom('application/json', 'application/json; charset=UTF-8', 'text/html', 'text/plain', '');
    await fc.assert(
      fc.asyncProperty(body, status, contentType, async (text, code, type) => {
        const flow = await pendingSignIn();
        h.emulator.inject('token', { status: code, body: text, contentType: type });
        const res = await fetch(`${base}${CALLBACK_PATH}?state=${flow.state}&code=${flow.code}`, {
          headers: { cookie: flow.cookie },
          redirect: 'manual',
        });
        await res.arrayBuffer();
        const newCookie = (res.headers.get('set-cookie') ?? flow.cookie).split(';', 1)[0]!;
        // A fuzzed body can at best carry a made-up simple_key, which the real user endpoint then refuses.
        expect(res.status, `status for ${code} ${type} ${text}`).to.be.oneOf([401, 403, 502, 503, 504]);
        expect(await signedIn(newCookie)).to.equal(false);
      }),
      { numRuns: 300 },
    );
  });
});
