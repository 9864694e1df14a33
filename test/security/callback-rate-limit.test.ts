import { expect } from 'chai';
import { beginSignIn, pathOf, startExample, type Example } from '../example-app/support.js';

/** The `Cookie` header a browser would send back for the cookies `setCookie` set. */
function cookieHeaderFrom(setCookie: string[] | string | undefined): string {
  return ([] as string[])
    .concat(setCookie ?? [])
    .map((line) => line.split(';')[0]!)
    .join('; ');
}

const LIMIT = 20;

/**
 * Threat model cases 51 and 67: the callback route is rate limited per IP, apart from the sign-in
 * route, counting only callbacks that cannot succeed, so users sharing an address are never locked
 * out by someone else's bogus callbacks.
 */
describe('example app: the rate limit on the UltraCart callback', () => {
  for (const stateStore of ['session', 'cookie'] as const) {
    describe(`with pending sign-ins in the ${stateStore}`, () => {
      let ex: Example;
      beforeEach(async () => {
        ex = await startExample({ settings: { stateStore, rateLimit: { windowMs: 60_000, limit: LIMIT } } });
      });
      afterEach(() => ex.close());

      /** Sends `count` callbacks no pending sign-in matches, each from a new browser with no cookie. */
      async function bogusCallbacks(count: number, headers: Record<string, string> = {}): Promise<number[]> {
        const statuses: number[] = [];
        for (let i = 0; i < count; i++) {
          const res = await ex
            .browser()
            .get(`/auth/ultracart/callback?code=c${i}&state=${'A'.repeat(43)}`)
            .set(headers);
          statuses.push(res.status);
        }
        return statuses;
      }

      it('answers 429 with the friendly page once an IP has sent the limit of bogus callbacks, setting no cookie', async () => {
        expect(await bogusCallbacks(LIMIT)).to.deep.equal(Array(LIMIT).fill(302));
        const limited = await ex.browser().get('/auth/ultracart/callback').expect(429);
        expect(limited.text).to.include('Too many attempts');
        expect(limited.headers['set-cookie']).to.equal(undefined);
      });

      it('signs in a real user’s valid callback from an address that has just sent the limit of bogus ones', async () => {
        const browser = ex.browser();
        const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
        await bogusCallbacks(LIMIT);
        await ex.browser().get('/auth/ultracart/callback').expect(429);
        const res = await browser.get(callback).expect(302);
        expect(res.headers.location).to.equal('/profile');
        expect(ex.ultracart.count('token')).to.equal(1);
        // And the bogus ones are still refused afterwards.
        await ex.browser().get('/auth/ultracart/callback').expect(429);
      });

      it('counts a callback with the browser’s own cookie but a state it was not given, and uses up its sign-in', async () => {
        const browser = ex.browser();
        const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
        await bogusCallbacks(LIMIT - 1);
        const guessed = await browser.get(`/auth/ultracart/callback?code=x&state=${'B'.repeat(43)}`).expect(302);
        expect(guessed.headers.location).to.match(/^\/auth\/failed\?reason=/);
        // The guess was counted (the limit is reached) and used the real state up, as any wrong guess does.
        await ex.browser().get('/auth/ultracart/callback').expect(429);
        expect((await browser.get(callback)).status).to.equal(429);
        expect(ex.ultracart.count('token')).to.equal(0);
      });

      it('never counts genuine callbacks against their address, so many users behind one address all sign in', async () => {
        await bogusCallbacks(LIMIT - 1);
        for (let i = 0; i < LIMIT - 1; i++) {
          const browser = ex.browser();
          const res = await browser.get(pathOf(await ex.ultracart.approve(await beginSignIn(browser)))).expect(302);
          expect(res.headers.location).to.equal('/profile');
        }
        expect(await bogusCallbacks(2)).to.deep.equal([302, 429]);
      });

      if (stateStore === 'cookie') {
        it('counts replays of one genuine callback (a copied pending cookie) against that sign-in alone', async () => {
          const browser = ex.browser();
          const started = await browser.get('/auth/ultracart').expect(302);
          const copied = cookieHeaderFrom(started.headers['set-cookie']);
          const callback = pathOf(await ex.ultracart.approve(started.headers.location as string));
          await browser.get(callback).expect(302);
          const replays: number[] = [];
          for (let i = 0; i < LIMIT; i++) replays.push((await ex.browser().get(callback).set('Cookie', copied)).status);
          expect(replays).to.deep.equal([...Array(LIMIT - 1).fill(302), 429]);
          expect(ex.ultracart.count('token')).to.equal(1);
          // The address's own count is untouched: a bogus callback from it is still answered.
          expect(await bogusCallbacks(1)).to.deep.equal([302]);
        });
      }

      it('counts callbacks apart from sign-ins, so starting sign-ins does not use up the callbacks', async () => {
        for (let i = 0; i < LIMIT - 1; i++) await beginSignIn(ex.browser());
        expect(await bogusCallbacks(LIMIT)).to.deep.equal(Array(LIMIT).fill(302));
      });
    });
  }

  describe('behind a proxy (TRUST_PROXY=1)', () => {
    let ex: Example;
    beforeEach(async () => {
      ex = await startExample({ settings: { trustProxy: 1, rateLimit: { windowMs: 60_000, limit: LIMIT } } });
    });
    afterEach(() => ex.close());

    it('signs in a real user even after the limit of bogus callbacks was sent in the name of their address', async () => {
      const victim = { 'X-Forwarded-For': '203.0.113.7' };
      const browser = ex.browser();
      const started = await browser.get('/auth/ultracart').set(victim).expect(302);
      const callback = pathOf(await ex.ultracart.approve(started.headers.location as string));
      for (let i = 0; i < LIMIT; i++) await ex.browser().get('/auth/ultracart/callback').set(victim).expect(302);
      await ex.browser().get('/auth/ultracart/callback').set(victim).expect(429);
      const res = await browser.get(callback).set(victim).expect(302);
      expect(res.headers.location).to.equal('/profile');
    });
  });
});
