import { expect } from 'chai';
import { beginSignIn, pathOf, startExample, type Example } from '../example-app/support.js';

const LIMIT = 5;

/** Threat model case 51: the callback route is rate limited per IP, apart from the sign-in route. */
describe('example app: the rate limit on the UltraCart callback', () => {
  let ex: Example;
  beforeEach(async () => {
    ex = await startExample({ settings: { rateLimit: { windowMs: 60_000, limit: LIMIT } } });
  });
  afterEach(() => ex.close());

  it('answers 429 with the friendly page once an IP has sent the limit of callbacks, setting no cookie', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const res = await ex.browser().get('/auth/ultracart/callback').expect(302);
      expect(res.headers.location).to.equal('/auth/failed?reason=noPendingSignIn');
    }
    const limited = await ex.browser().get('/auth/ultracart/callback').expect(429);
    expect(limited.text).to.include('Too many attempts');
    expect(limited.headers['set-cookie']).to.equal(undefined);
  });

  it('refuses a callback over the limit before reading its state, so even a genuine one waits', async () => {
    const browser = ex.browser();
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    for (let i = 0; i < LIMIT; i++) await ex.browser().get('/auth/ultracart/callback').expect(302);
    await browser.get(callback).expect(429);
    expect(ex.ultracart.count('token')).to.equal(0);
  });

  it('counts callbacks apart from sign-ins, so starting sign-ins does not use up the callbacks', async () => {
    const browser = ex.browser();
    for (let i = 0; i < LIMIT - 1; i++) await beginSignIn(ex.browser());
    const callback = pathOf(await ex.ultracart.approve(await beginSignIn(browser)));
    const res = await browser.get(callback).expect(302);
    expect(res.headers.location).to.equal('/profile');
  });
});
