import { expect } from 'chai';
import { CookieStateStore } from '../../src/index.js';
import { callback, startContractApp, whoami, type ContractApp, type FlowSettings } from '../support/contract-app.js';

/**
 * Two tabs of one browser that start a sign-in at the same moment (two tabs restored together, a
 * link opened twice). Each authorize leg reads the browser's pending sign-ins and writes them back,
 * so the later write can drop the earlier entry. The tab whose entry was lost must not take the
 * other tab's sign-in down with it: its state is one we issued, not a guess.
 */
const STORES: Array<[string, () => FlowSettings]> = [
  ['in the session', () => ({})],
  [
    'in a signed cookie',
    () => ({ stateStore: new CookieStateStore({ secret: 'two-tabs-secret-of-at-least-32-characters', secure: false }) }),
  ],
];

for (const [where, settings] of STORES) {
  describe(`two tabs starting an UltraCart sign-in at the same moment, pending sign-ins ${where}`, () => {
    let c: ContractApp;
    beforeEach(async () => {
      c = await startContractApp({ ultracart: settings() });
    });
    afterEach(() => c.close());

    for (const order of ['first tab returns first', 'second tab returns first'] as const) {
      it(`signs in at least one tab in each of 20 trials, and never fails both (${order})`, async () => {
        const { ultracart } = c.flows;
        for (let trial = 0; trial < 20; trial++) {
          const browser = c.browser();
          // A session (and its cookie) the browser already has, as after any earlier visit.
          await browser.get('/');
          const [a, b] = await Promise.all([ultracart.begin(browser), ultracart.begin(browser)]);
          const returns = await Promise.all([ultracart.approve(a.vendorURL), ultracart.approve(b.vendorURL)]);
          const ordered = order === 'first tab returns first' ? returns : [...returns].reverse();
          const statuses: number[] = [];
          for (const path of ordered) statuses.push((await callback(browser, path)).status);
          expect(statuses.filter((s) => s === 302).length, `trial ${trial + 1}: ${statuses.join(', ')}`).to.be.greaterThan(0);
          expect((await whoami(browser))?.via).to.equal('ultracart');
        }
      });
    }
  });
}
