import { expect } from 'chai';
import { log } from '../../src/log.js';
import { callback, startContractApp, type ContractApp } from '../support/contract-app.js';

/**
 * What one request can do to the diagnosis others get: nothing. Evidence that a sign-in began on
 * another host is kept with that sign-in's state, and what came with the request is quoted in the
 * log.
 */
describe('the set-up diagnosis, steered by one request', () => {
  let c: ContractApp;
  let lines: string[];
  const original = { enabled: log.strategy.enabled, log: log.strategy.log, warn: console.warn };
  beforeEach(async () => {
    console.warn = () => {};
    c = await startContractApp();
    lines = [];
    log.strategy.enabled = true;
    log.strategy.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  });
  afterEach(async () => {
    log.strategy.enabled = original.enabled;
    log.strategy.log = original.log;
    console.warn = original.warn;
    await c.close();
  });

  describe('a sign-in started with a foreign Host header', () => {
    it("leaves another user's lost-cookie failure a plain noPendingSignIn, not hostMismatch", async () => {
      const { ultracart } = c.flows;
      await c.browser().get('/auth/ultracart').set('Host', 'evil.example').expect(302);
      // Another user: the sign-in's cookie does not come back (a cookieless browser brings the callback).
      const starter = c.browser();
      const { vendorURL } = await ultracart.begin(starter);
      const outcome = await callback(c.browser(), await ultracart.approve(vendorURL));
      expect(outcome).to.include({ status: 403, reason: 'noPendingSignIn' });
    });

    it('still says hostMismatch to the browser whose own sign-in began on the other host', async () => {
      const { ultracart } = c.flows;
      const elsewhere = c.browser();
      const res = await elsewhere.get('/auth/ultracart').set('Host', 'localhost').expect(302);
      const back = await ultracart.approve(res.headers.location as string);
      // The callback lands on the callback's host, where the cookie set on localhost is not sent.
      expect(await callback(c.browser(), back)).to.include({ status: 403, reason: 'hostMismatch' });
    });

    it('quotes the foreign host in the debug log, so its text cannot pass for the line’s own', async () => {
      const host = 'evil.example";alert(1);x="<b>PWNED</b>';
      await c.browser().get('/auth/ultracart').set('Host', host);
      const line = lines.find((l) => l.includes('began on host'));
      expect(line).to.be.a('string');
      expect(line).to.include(JSON.stringify(host.toLowerCase()));
      expect(line).to.not.include(`host ${host.toLowerCase()},`);
    });
  });
});
