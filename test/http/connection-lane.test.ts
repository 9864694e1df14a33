import { expect } from 'chai';
import { Agent } from 'undici';
import { ConnectionLane, type LaneCall } from '../../src/http/connection-lane.js';

/** A call that records what the lane did with it. */
class Call implements LaneCall {
  started = false;
  abandoned = false;
  constructor(
    readonly name: string,
    private readonly timeLeft = true,
    private readonly timeLeftAfterTimeout = timeLeft,
  ) {}
  start(): void {
    this.started = true;
  }
  queued(): void {}
  hasTimeLeft(afterTimeout: boolean): boolean {
    return afterTimeout ? this.timeLeftAfterTimeout : this.timeLeft;
  }
  abandon(): void {
    this.abandoned = true;
  }
}

describe('a connection lane', () => {
  const lane = (limit: number): ConnectionLane => new ConnectionLane(new Agent(), limit);

  describe('with every slot taken by calls in flight', () => {
    it('queues the next calls and starts them in arrival order as slots free up', () => {
      const l = lane(2);
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((name) => new Call(name));
      for (const call of [a!, b!, c!, d!]) l.enter(call);
      expect([a, b, c, d].map((call) => call!.started)).to.deep.equal([true, true, false, false]);
      l.leave();
      expect([c, d].map((call) => call!.started)).to.deep.equal([true, false]);
      expect(l.load).to.deep.equal({ active: 2, waiting: 1, lingering: 0 });
    });

    it('skips a queued call with too little time left and starts the one behind it', () => {
      const l = lane(1);
      const late = new Call('late', false);
      const next = new Call('next');
      l.enter(new Call('first'));
      l.enter(late);
      l.enter(next);
      l.leave();
      expect([late.started, next.started]).to.deep.equal([false, true]);
    });
  });

  describe('when callers give up on calls in flight', () => {
    it('gives a slot freed by a timeout only to a waiting call with enough time left for a stalled upstream', () => {
      const l = lane(1);
      const first = new Call('first');
      const nearlyDue = new Call('nearly due', true, false);
      const fresh = new Call('fresh');
      l.enter(first);
      l.enter(nearlyDue);
      l.enter(fresh);
      l.linger(first);
      expect([nearlyDue.started, fresh.started]).to.deep.equal([false, true]);
    });

    it('starts a new call at once although every earlier exchange still lingers', () => {
      const l = lane(2);
      const [a, b] = [new Call('a'), new Call('b')];
      l.enter(a);
      l.enter(b);
      const waiting = new Call('c');
      l.enter(waiting);
      l.linger(a);
      expect(waiting.started).to.equal(true);
      l.linger(b);
      const fresh = new Call('d');
      l.enter(fresh);
      expect(fresh.started).to.equal(true);
      expect(l.load).to.deep.equal({ active: 2, waiting: 0, lingering: 2 });
    });

    it('ends the exchange that has lingered longest once twice the limit are held, and no other', () => {
      const l = lane(2);
      const lingering = ['a', 'b', 'c', 'd'].map((name) => new Call(name));
      for (const call of lingering) {
        l.enter(call);
        l.linger(call);
      }
      expect(lingering.some((call) => call.abandoned)).to.equal(false);
      l.enter(new Call('e'));
      expect(lingering.map((call) => call.abandoned)).to.deep.equal([true, false, false, false]);
      expect(l.load.active + l.load.lingering).to.equal(l.maxConnections);
    });

    it('forgets a lingering exchange once it has ended, so it is never ended twice', () => {
      const l = lane(1);
      const a = new Call('a');
      const b = new Call('b');
      for (const call of [a, b]) {
        l.enter(call);
        l.linger(call);
      }
      l.settled(a);
      l.enter(new Call('c'));
      expect([a.abandoned, b.abandoned]).to.deep.equal([false, false]);
      l.enter(new Call('d'));
      expect(b.abandoned).to.equal(false);
      expect(l.load).to.deep.equal({ active: 1, waiting: 1, lingering: 1 });
    });
  });
});
