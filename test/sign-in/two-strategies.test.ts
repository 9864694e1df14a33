import { expect } from 'chai';
import { callback, startContractApp, whoami, type ContractApp } from '../support/contract-app.js';

/**
 * An app that signs in with UltraCart and verifies with UltrapassId, both on their default stores.
 * A pending sign-in belongs to the strategy that started it (RFC 9700, 4.4: mix-up attacks).
 */
describe('two strategies in one app', () => {
  let c: ContractApp;
  beforeEach(async () => {
    c = await startContractApp();
  });
  afterEach(() => c.close());

  describe("a victim's UltrapassId state sent to the UltraCart callback with an attacker's UltraCart code (the session swap)", () => {
    for (let trial = 1; trial <= 5; trial++) {
      it(`leaves the victim signed in as themselves, with no UltraCart token call (trial ${trial})`, async () => {
        const { ultracart, ultrapassid } = c.flows;
        const victim = c.browser();
        const signIn = await ultracart.begin(victim);
        await callback(victim, await ultracart.approve(signIn.vendorURL, 'first'));
        const before = await whoami(victim);
        expect(before?.via).to.equal('ultracart');
        // The victim starts the identity check: its state is now in the URL UltrapassId receives.
        const { state: victimState } = await ultrapassid.begin(victim);
        // The attacker signs in with UltraCart as themselves and keeps the code.
        const attacker = c.browser();
        const attackerSignIn = await ultracart.begin(attacker);
        const attackerCode = new URL(await ultracart.approve(attackerSignIn.vendorURL, 'second'), 'http://app.invalid').searchParams.get(
          'code',
        );
        const tokenCalls = ultracart.exchanges();

        await callback(victim, `${ultracart.callbackPath}?state=${victimState}&code=${attackerCode}`);
        expect(await whoami(victim)).to.deep.equal(before);
        expect(ultracart.exchanges()).to.equal(tokenCalls);
      });
    }

    it('refuses it with 403 for a victim not signed in yet, and the victim can still finish the identity check', async () => {
      const { ultracart, ultrapassid } = c.flows;
      const victim = c.browser();
      const check = await ultrapassid.begin(victim);
      const attacker = c.browser();
      const attackerSignIn = await ultracart.begin(attacker);
      const attackerCode = new URL(await ultracart.approve(attackerSignIn.vendorURL, 'second'), 'http://app.invalid').searchParams.get(
        'code',
      );

      expect((await callback(victim, `${ultracart.callbackPath}?state=${check.state}&code=${attackerCode}`)).status).to.equal(403);
      expect(await whoami(victim)).to.equal(null);
      expect(ultracart.exchanges()).to.equal(0);
      expect((await callback(victim, await ultrapassid.approve(check.vendorURL))).status).to.equal(302);
      expect((await whoami(victim))?.via).to.equal('ultrapassid');
    });
  });

  describe('an UltraCart state sent to the UltrapassId callback', () => {
    it('is refused with 403 and no call to the token endpoint of either vendor', async () => {
      const { ultracart, ultrapassid } = c.flows;
      const browser = c.browser();
      const { state } = await ultracart.begin(browser);
      const outcome = await callback(browser, `${ultrapassid.callbackPath}?state=${state}&code=stolen`);
      expect(outcome.status).to.equal(403);
      expect(ultrapassid.exchanges()).to.equal(0);
      expect(ultracart.exchanges()).to.equal(0);
    });
  });

  describe('sign-ins of both strategies pending in one browser', () => {
    for (const [first, second] of [
      ['ultracart', 'ultrapassid'],
      ['ultrapassid', 'ultracart'],
    ] as const) {
      it(`keeps the ${second} sign-in pending when a forged ${first} callback arrives, 5 times of 5`, async () => {
        for (let trial = 0; trial < 5; trial++) {
          const browser = c.browser();
          const kept = await c.flows[second].begin(browser);
          await c.flows[first].begin(browser);
          await callback(browser, `${c.flows[first].callbackPath}?code=x&state=${'C'.repeat(43)}`);
          const outcome = await callback(browser, await c.flows[second].approve(kept.vendorURL));
          expect(outcome.status, `trial ${trial + 1}`).to.equal(302);
        }
      });
    }
  });
});
