import { expect } from 'chai';
import { connectRedis, type Redis } from '../../example-app/redis.js';
import { BoundedMemoryStore } from '../../example-app/session-store.js';
import { ownRedisServer, type OwnRedisServer } from '../support/redis-server.js';
import { beginSignIn, pathOf, startExample, whoIsSignedIn, type Example } from './support.js';

/** The `data-problem` of a rendered problem page. */
function problemOf(html: string): string | undefined {
  return /data-problem="([^"]+)"/.exec(html)?.[1];
}

/**
 * The example app with its used states on a Redis of the test's own, which the test stops with
 * SIGSTOP. Sessions stay in memory, so what is seen is the ledger failing, not the session store.
 */
describe('example app: used states on a Redis that stalls', function () {
  let server: OwnRedisServer;
  let redis: Redis;
  let ex: Example;

  before(async function () {
    server = await ownRedisServer(this);
    redis = await connectRedis(server.url, () => {});
    ex = await startExample({
      settings: { redis: { url: server.url, prefix: 'used-states-test:' } },
      deps: { redis, sessionStore: new BoundedMemoryStore() },
    });
  });

  after(async () => {
    server?.resume();
    await ex?.close();
    if (redis?.isOpen) await redis.close();
    await server?.stop();
  });

  beforeEach(() => ex.ultracart.reset());

  it('answers the callback with the 503 "sign-in unavailable" page within two seconds, signing nobody in', async () => {
    const browser = ex.browser();
    const callback = await ex.ultracart.approve(await beginSignIn(browser));
    server.pause();
    let res;
    const started = performance.now();
    try {
      res = await browser.get(pathOf(callback));
    } finally {
      server.resume();
    }
    expect(performance.now() - started).to.be.below(2_000);
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('1');
    expect(problemOf(res.text)).to.equal('sign-in-unavailable');
    expect(await whoIsSignedIn(browser)).to.equal(null);
    expect(ex.ultracart.count('token')).to.equal(0);
  });

  it('signs in again, without a restart, once Redis answers', async () => {
    const browser = ex.browser();
    const stalled = await ex.ultracart.approve(await beginSignIn(browser));
    server.pause();
    try {
      await browser.get(pathOf(stalled)).expect(503);
    } finally {
      server.resume();
    }
    const callback = await ex.ultracart.approve(await beginSignIn(browser));
    const res = await browser.get(pathOf(callback)).expect(302);
    expect(res.headers.location).to.equal('/profile');
    expect(await whoIsSignedIn(browser)).to.equal('ada');
    expect(ex.ultracart.count('token')).to.equal(1);
  });
});
