import { expect } from 'chai';
import { ConsumedStates } from '../../src/sign-in/used-states/consumed-states.js';

const MINUTE = 60_000;

describe('ConsumedStates: the per-process record of used states', () => {
  describe('within a state’s lifetime', () => {
    it('lets a state be claimed once and refuses every later claim', () => {
      const consumed = new ConsumedStates();
      expect(consumed.claim('state-a', 10 * MINUTE, 0)).to.equal(true);
      expect(consumed.claim('state-a', 10 * MINUTE, 1)).to.equal(false);
      expect(consumed.claim('state-a', 10 * MINUTE, 2)).to.equal(false);
    });

    it('keeps states apart', () => {
      const consumed = new ConsumedStates();
      expect(consumed.claim('state-a', 10 * MINUTE, 0)).to.equal(true);
      expect(consumed.claim('state-b', 10 * MINUTE, 0)).to.equal(true);
      expect(consumed.size).to.equal(2);
    });
  });

  describe('once states expire', () => {
    it('forgets an expired state, which could no longer be pending anywhere', () => {
      const consumed = new ConsumedStates();
      consumed.claim('state-a', MINUTE, 0);
      consumed.claim('state-b', 5 * MINUTE, 0);
      consumed.claim('state-c', 10 * MINUTE, MINUTE + 1);
      expect(consumed.size).to.equal(2);
      expect(consumed.claim('state-b', 5 * MINUTE, MINUTE + 2)).to.equal(false);
    });

    it('stays small and correct over a long run of sign-ins that each expire', () => {
      const consumed = new ConsumedStates();
      for (let i = 0; i < 20_000; i++) {
        const now = i * 1_000;
        expect(consumed.claim(`state-${i}`, now + 10 * MINUTE, now)).to.equal(true);
        expect(consumed.claim(`state-${i}`, now + 10 * MINUTE, now)).to.equal(false);
      }
      // Ten minutes at one sign-in a second.
      expect(consumed.size).to.be.within(600, 601);
      expect(consumed.claim('state-19999', 0, 19_999_000)).to.equal(false);
    });
  });

  describe('at its bound', () => {
    it('never holds more than maxEntries, letting the oldest go first', () => {
      const consumed = new ConsumedStates(100);
      for (let i = 0; i < 5_000; i++) consumed.claim(`state-${i}`, 10 * MINUTE, 0);
      expect(consumed.size).to.equal(100);
      // Every claim at the bound makes room first, so this one lets state-4900 go.
      expect(consumed.claim('state-4999', 10 * MINUTE, 0)).to.equal(false);
      expect(consumed.claim('state-4901', 10 * MINUTE, 0)).to.equal(false);
      expect(consumed.claim('state-0', 10 * MINUTE, 0)).to.equal(true);
      expect(consumed.size).to.equal(100);
    });
  });
});
