import { expect } from 'chai';
import { ownRedisServer, type OwnRedisServer } from '../support/redis-server.js';
import { beginSignIn, pathOf, startExample, whoIsSignedIn, type Example } from './support.js';

/** The `data-problem` of a rendered problem page. */
function problemOf(html: string): string | undefined {
  return /data-problem="([^"]+)"/.exec(html)?.[1];
}

/**
 * Threat model case 57: the example app with everything on a Redis of the test's own (sessions,
 * rate limits, used states), which the test pauses with SIGSTOP. A paused Redis keeps its
 * connections open and answers nothing, so only a deadline on each command ends the wait.
 */
describe('example app: sessions on a Redis that stalls', function () {
  this.timeout(30_000);
  let server: OwnRedisServer;
  let ex: Example;

  before(async function () {
    server = await ownRedisServer(this);
    ex = await startExample({ settings: { redis: { url: server.url, prefix: 'redis-stall-test:' } } });
  });
  after(async () => {
    server?.resume();
    await ex?.close();
    await server?.stop();
  });

  async function signedInBrowser(): Promise<ReturnType<Example['browser']>> {
    const browser = ex.browser();
    const callback = await ex.ultracart.approve(await beginSignIn(browser));
    await browser.get(pathOf(callback)).expect(302);
    return browser;
  }

  /** Runs `step` with Redis paused; resolves to its answer and how long it took. */
  async function whilePaused<T>(step: () => Promise<T>): Promise<{ value: T; ms: number }> {
    server.pause();
    const started = performance.now();
    try {
      const value = await step();
      return { value, ms: performance.now() - started };
    } finally {
      server.resume();
    }
  }

  it('answers a signed-in page 503 with the friendly page within two seconds', async () => {
    const browser = await signedInBrowser();
    const { value: res, ms } = await whilePaused(() => browser.get('/profile'));
    expect(ms).to.be.below(2000);
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('1');
    expect(problemOf(res.text)).to.equal('store-unavailable');
    expect(res.text).to.include('This site is unavailable for a moment');
  });

  it('answers the start of a sign-in 503 within two seconds, without calling UltraCart', async () => {
    ex.ultracart.reset();
    const { value: res, ms } = await whilePaused(() => ex.browser().get('/auth/ultracart'));
    expect(ms).to.be.below(2000);
    expect(res.status).to.equal(503);
    expect(ex.ultracart.count('authorize')).to.equal(0);
  });

  it('answers every one of many requests made during the stall within two seconds', async () => {
    const browser = await signedInBrowser();
    const { value: answers } = await whilePaused(() =>
      Promise.all(
        Array.from({ length: 20 }, async () => {
          const started = performance.now();
          const res = await browser.get('/profile');
          return { status: res.status, ms: performance.now() - started };
        }),
      ),
    );
    expect(answers.map((a) => a.status)).to.deep.equal(Array(20).fill(503));
    expect(Math.max(...answers.map((a) => a.ms))).to.be.below(2000);
  });

  it('recovers by itself once Redis answers again, the user still signed in', async () => {
    const browser = await signedInBrowser();
    await whilePaused(() => browser.get('/profile').expect(503));
    const resumed = performance.now();
    let recoveredAfterMs: number | undefined;
    while (recoveredAfterMs === undefined && performance.now() - resumed < 10_000) {
      const res = await browser.get('/profile');
      if (res.status === 200) recoveredAfterMs = performance.now() - resumed;
    }
    expect(recoveredAfterMs, 'the app did not recover within 10 s').to.not.equal(undefined);
    expect(await whoIsSignedIn(browser)).to.equal('ada');
    // A new sign-in works as well, sessions, limits and used states all on Redis again.
    expect(await whoIsSignedIn(await signedInBrowser())).to.equal('ada');
  });
});
