import { expect } from 'chai';
import { MemoryUsedStateLedger, type UsedStateLedger } from '../../src/index.js';
import {
  callback,
  FLOW_NAMES,
  startContractApp,
  whoami,
  type ContractApp,
  type Flow,
  type FlowName,
  type FlowSettings,
} from '../support/contract-app.js';
import { pause } from '../support/time.js';

/**
 * The behaviour every strategy of the package owes its users, written once and run against each:
 * how a callback is accepted or refused, in the app that mounts all of them side by side on their
 * default stores.
 */
const FORGED_STATE = 'B'.repeat(43);

for (const name of FLOW_NAMES) {
  // The strategy mounted beside it whose callbacks are the most alike: another vendor, or the same one.
  const other: FlowName = name === 'ultrapassid' ? 'ultracart' : name === 'ultracart' ? 'ultrapassid' : 'ultracart';

  describe(`the sign-in contract, for the ${name} strategy`, () => {
    let c: ContractApp;
    let flow: Flow;
    afterEach(() => c.close());

    async function start(settings: FlowSettings = {}): Promise<void> {
      c = await startContractApp({ [name]: settings });
      flow = c.flows[name];
    }

    /** A browser with a sign-in of this flow pending, and the callback the vendor would send it to. */
    async function pendingSignIn(): Promise<{ browser: ReturnType<ContractApp['browser']>; state: string; genuine: string }> {
      const browser = c.browser();
      const { vendorURL, state } = await flow.begin(browser);
      return { browser, state, genuine: await flow.approve(vendorURL) };
    }

    describe('a callback whose state is missing, empty, wrong or duplicated', () => {
      beforeEach(() => start());

      for (const [what, query] of [
        ['missing', 'code=c'],
        ['empty', 'code=c&state='],
        ['wrong', `code=c&state=${FORGED_STATE}`],
        ['not a state at all', 'code=c&state=%3Cscript%3E'],
      ] as const) {
        it(`is refused with 403 when the state is ${what}, and uses up the real sign-in, with no code exchange`, async () => {
          const { browser, genuine } = await pendingSignIn();
          expect((await callback(browser, `${flow.callbackPath}?${query}`)).status).to.equal(403);
          expect((await callback(browser, genuine)).status).to.equal(403);
          expect(await whoami(browser)).to.equal(null);
          expect(flow.exchanges()).to.equal(0);
        });
      }

      it('is refused with 400 stateMalformed when the state is repeated, and the real sign-in is used up too', async () => {
        const { browser, state, genuine } = await pendingSignIn();
        const outcome = await callback(browser, `${flow.callbackPath}?code=c&state=${state}&state=${state}`);
        expect(outcome).to.include({ status: 400, reason: 'stateMalformed' });
        expect((await callback(browser, genuine)).status).to.equal(403);
        expect(flow.exchanges()).to.equal(0);
      });

      it('says stateMismatch for a wrong state in a browser with a sign-in pending', async () => {
        const { browser } = await pendingSignIn();
        expect(await callback(browser, `${flow.callbackPath}?code=c&state=${FORGED_STATE}`)).to.include({
          status: 403,
          reason: 'stateMismatch',
        });
      });

      it('says noPendingSignIn to a browser that started nothing, and sets no cookie', async () => {
        const res = await c.browser().get(`${flow.callbackPath}?code=c&state=${FORGED_STATE}`);
        expect(res.status).to.equal(403);
        expect(res.body.reason).to.equal('noPendingSignIn');
        expect(res.headers['set-cookie']).to.equal(undefined);
      });
    });

    describe("a callback carrying another browser's approved sign-in (login CSRF)", () => {
      beforeEach(() => start());

      it("is refused with 403 and no code exchange, and the victim's own sign-in still completes", async () => {
        const attacker = await pendingSignIn();
        const victim = await pendingSignIn();
        expect((await callback(victim.browser, attacker.genuine)).status).to.equal(403);
        expect(await whoami(victim.browser)).to.equal(null);
        expect(flow.exchanges()).to.equal(0);
        expect((await callback(victim.browser, victim.genuine)).status).to.equal(302);
        expect((await whoami(victim.browser))?.via).to.equal(name);
      });
    });

    describe('a replayed callback', () => {
      beforeEach(() => start());

      it('signs in once: the same callback again, in another browser, is refused without a second exchange', async () => {
        const { browser, genuine } = await pendingSignIn();
        expect((await callback(browser, genuine)).status).to.equal(302);
        expect((await callback(c.browser(), genuine)).status).to.equal(403);
        expect(flow.exchanges()).to.equal(1);
      });

      it('makes one code exchange for 20 concurrent copies of one callback from one browser', async () => {
        const { browser, genuine } = await pendingSignIn();
        const outcomes = await Promise.all(Array.from({ length: 20 }, () => callback(browser, genuine)));
        expect(outcomes.filter((o) => o.status === 302)).to.have.length(1);
        expect(outcomes.filter((o) => o.status === 403)).to.have.length(19);
        expect(flow.exchanges()).to.equal(1);
      });
    });

    describe('a reload of the callback after a successful sign-in', () => {
      it('sends the signed-in user to signedInRedirect, still signed in', async () => {
        await start({ signedInRedirect: '/' });
        const { browser, genuine } = await pendingSignIn();
        await callback(browser, genuine);
        const reload = await callback(browser, genuine);
        expect(reload).to.include({ status: 302, location: '/' });
        expect((await whoami(browser))?.via).to.equal(name);
        expect(flow.exchanges()).to.equal(1);
      });

      it('says alreadyUsed, not a cookie problem, with signedInRedirect off', async () => {
        await start({ signedInRedirect: false });
        const { browser, genuine } = await pendingSignIn();
        await callback(browser, genuine);
        expect(await callback(browser, genuine)).to.include({ status: 403, reason: 'alreadyUsed' });
      });
    });

    describe('a sign-in that took too long', () => {
      it('is refused with 403 expired and no code exchange', async () => {
        await start({ stateTtlMs: 1000 });
        const { browser, genuine } = await pendingSignIn();
        await pause(1100);
        expect(await callback(browser, genuine)).to.include({ status: 403, reason: 'expired' });
        expect(flow.exchanges()).to.equal(0);
      });
    });

    describe('a person who cancels at the vendor', () => {
      it('gets 401 denied, with no code exchange', async () => {
        await start();
        const browser = c.browser();
        const { vendorURL } = await flow.begin(browser);
        expect(await callback(browser, await flow.deny(vendorURL))).to.include({ status: 401, reason: 'denied' });
        expect(flow.exchanges()).to.equal(0);
      });
    });

    describe('a verify function that does not sign the person in', () => {
      it('refuses with 403 notAllowed when it returns false', async () => {
        await start({ verify: 'refuse' });
        const { browser, genuine } = await pendingSignIn();
        expect(await callback(browser, genuine)).to.include({ status: 403, reason: 'notAllowed' });
        expect(await whoami(browser)).to.equal(null);
      });

      it('ends in an error when it throws, and nobody is signed in', async () => {
        await start({ verify: 'throw' });
        const { browser, genuine } = await pendingSignIn();
        expect((await callback(browser, genuine)).status).to.equal(500);
        expect(await whoami(browser)).to.equal(null);
      });

      it('ends in a VERIFY_TIMEOUT error when it never answers within verifyTimeoutMs', async () => {
        await start({ verify: 'hang', verifyTimeoutMs: 50 });
        const { browser, genuine } = await pendingSignIn();
        expect(await callback(browser, genuine)).to.include({ status: 500, code: 'VERIFY_TIMEOUT' });
        expect(await whoami(browser)).to.equal(null);
      });
    });

    describe('a used-state ledger', () => {
      it('that cannot answer fails the callback closed: 503 with Retry-After, no code exchange', async () => {
        const down: UsedStateLedger = { claim: () => Promise.reject(new Error('ledger down')) };
        await start({ usedStates: down });
        const { browser, genuine } = await pendingSignIn();
        const res = await browser.get(genuine);
        expect(res.status).to.equal(503);
        expect(res.headers['retry-after']).to.equal('1');
        expect(res.body.code).to.equal('USED_STATES_UNAVAILABLE');
        expect(flow.exchanges()).to.equal(0);
      });

      it("of the user's own, subclassing the in-memory one, is asked for every callback", async () => {
        const asked: string[] = [];
        class MirroredLedger extends MemoryUsedStateLedger {
          override claim(state: string, expiresAt: number): Promise<boolean> {
            asked.push(state);
            return super.claim(state, expiresAt);
          }
        }
        await start({ usedStates: new MirroredLedger() });
        const { browser, state, genuine } = await pendingSignIn();
        expect((await callback(browser, genuine)).status).to.equal(302);
        expect(asked).to.deep.equal([state]);
      });

      it('that answers anything but true lets nobody in', async () => {
        await start({ usedStates: { claim: () => Promise.resolve('yes' as unknown as boolean) } });
        const { browser, genuine } = await pendingSignIn();
        expect(await callback(browser, genuine)).to.include({ status: 403, reason: 'alreadyUsed' });
        expect(flow.exchanges()).to.equal(0);
      });
    });

    describe(`the ${other} strategy mounted in the same app`, () => {
      beforeEach(() => start());

      it(`leaves this sign-in pending when a stray or forged callback reaches the ${other} callback`, async () => {
        const { browser, genuine } = await pendingSignIn();
        expect((await callback(browser, `${c.flows[other].callbackPath}?code=x&state=${FORGED_STATE}`)).status).to.equal(403);
        expect((await callback(browser, genuine)).status).to.equal(302);
        expect((await whoami(browser))?.via).to.equal(name);
      });

      it(`refuses a state the ${other} strategy issued, with no code exchange at either vendor`, async () => {
        const browser = c.browser();
        const { state: foreignState } = await c.flows[other].begin(browser);
        const attacker = await pendingSignIn();
        const code = new URL(attacker.genuine, 'http://app.invalid').searchParams.get('code');
        const outcome = await callback(browser, `${flow.callbackPath}?code=${code}&state=${foreignState}`);
        expect(outcome.status).to.equal(403);
        expect(await whoami(browser)).to.equal(null);
        expect(flow.exchanges()).to.equal(0);
        expect(c.flows[other].exchanges()).to.equal(0);
      });
    });
  });
}
