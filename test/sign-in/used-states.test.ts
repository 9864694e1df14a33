import { expect } from 'chai';
import { MemoryUsedStateLedger, processUsedStates } from '../../src/index.js';
import { processUsedStates as processUsedStatesFromModule } from '../../src/sign-in/used-states/ledger.js';

/** Ten minutes from whenever it is read: the suite may run for longer than that before this file's tests. */
const later = (): number => Date.now() + 10 * 60_000;

describe('MemoryUsedStateLedger: used states in this process', () => {
  describe('claiming', () => {
    it('resolves true for the first claim of a state and false for every later one', async () => {
      const ledger = new MemoryUsedStateLedger();
      expect(await ledger.claim('state-a', later())).to.equal(true);
      expect(await ledger.claim('state-a', later())).to.equal(false);
    });

    it('counts each state once, however often it is claimed', async () => {
      const ledger = new MemoryUsedStateLedger();
      expect(await ledger.claim('state-b', later())).to.equal(true);
      expect(await ledger.claim('state-b', later())).to.equal(false);
      expect(ledger.size).to.equal(1);
    });

    it('grants exactly one of many simultaneous claims of one state', async () => {
      const ledger = new MemoryUsedStateLedger();
      const results = await Promise.all(Array.from({ length: 200 }, () => ledger.claim('state-c', later())));
      expect(results.filter(Boolean)).to.have.length(1);
    });
  });

  describe('its options', () => {
    it('refuses a maxEntries that is not a positive integer, naming the option', () => {
      expect(() => new MemoryUsedStateLedger({ maxEntries: 0 })).to.throw(TypeError, /MemoryUsedStateLedger: the maxEntries option/);
      expect(() => new MemoryUsedStateLedger({ maxEntries: '5' as never })).to.throw(TypeError, /maxEntries/);
    });
  });
});

describe('processUsedStates: the ledger every strategy of a process shares by default', () => {
  it('is one in-memory ledger, the same object however it is imported', () => {
    expect(processUsedStates).to.be.instanceOf(MemoryUsedStateLedger);
    expect(processUsedStates).to.equal(processUsedStatesFromModule);
  });

  it('is kept on a global symbol, so a second copy of the package in the process shares it', () => {
    const key = Symbol.for('passport-ultracart.processUsedStates');
    expect((globalThis as Record<symbol, unknown>)[key]).to.equal(processUsedStates);
  });
});
