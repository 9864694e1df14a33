import { expect } from 'chai';
import { commandLine, readConfig } from '../bench/config.js';
import type { RoundResult } from '../bench/load/round.js';
import { FLOOR_PASSPORT, PACKAGE, pairedRatio, summarise, type MeasuredRound } from '../bench/report.js';

/** A measured round with `flows` flows in 1 s and `mainCpuMs` of main-thread CPU. */
function round(contender: MeasuredRound['contender'], flows: number, mainCpuMs: number, callbacks: number[] = [1]): MeasuredRound {
  const result: RoundResult = {
    flows,
    elapsedMs: 1000,
    legs: { authorize: [1], login: [1], callback: callbacks },
    errors: 0,
    errorKinds: new Map(),
  };
  return {
    contender,
    latencyMs: 0,
    result,
    upstreamConnections: 0,
    peakUpstreamSockets: 0,
    appCpuMs: mainCpuMs * 1.2,
    appMainCpuMs: mainCpuMs,
    emulatorCpuMs: 0,
  };
}

describe('the benchmark’s arithmetic', () => {
  describe('pairedRatio', () => {
    it('is the median of the ratios within each round, not the ratio of the totals', () => {
      // The second round ran on a slow spell for both; the whole-run totals would give 0.67x.
      expect(pairedRatio([90, 30, 95], [100, 60, 100])).to.equal(0.9);
    });

    it('ignores a round where the second contender completed nothing', () => {
      expect(pairedRatio([90, 50, 80], [100, 0, 100])).to.equal(0.8);
    });

    it('is NaN when there is no round to compare', () => {
      expect(pairedRatio([], [])).to.be.NaN;
    });
  });

  describe('summarise', () => {
    it('gives each round its own main-thread microseconds per flow, flows/s and leg percentiles', () => {
      const rounds = [round(PACKAGE, 500, 250, [10, 20, 30]), round(FLOOR_PASSPORT, 400, 200), round(PACKAGE, 1000, 400, [5])];
      const summary = summarise(rounds, PACKAGE, 0);
      expect(summary.roundMainCpuPerFlow).to.deep.equal([500, 400]);
      expect(summary.roundRates).to.deep.equal([500, 1000]);
      expect(summary.roundLegs.map((legs) => legs.callback.p50)).to.deep.equal([20, 5]);
    });

    it('pairs CPU per flow by round, so a slow spell on both sides cancels out', () => {
      const pkg = summarise([round(PACKAGE, 500, 250), round(PACKAGE, 100, 100)], PACKAGE, 0);
      const yardstick = summarise([round(FLOOR_PASSPORT, 500, 250), round(FLOOR_PASSPORT, 100, 100)], FLOOR_PASSPORT, 0);
      expect(pairedRatio(pkg.roundMainCpuPerFlow, yardstick.roundMainCpuPerFlow)).to.equal(1);
    });
  });

  describe('readConfig', () => {
    it('defaults to 32 browsers, 5 rounds of 3 s after 4 s of warm-up, at 0 and 20 ms, on the built package', () => {
      expect(readConfig([], {})).to.deep.equal({
        packageFrom: 'dist',
        concurrency: 32,
        durationS: 3,
        rounds: 5,
        warmupS: 4,
        latencies: [0, 20],
        poolSize: undefined,
      });
    });

    it('lets a flag win over its environment variable', () => {
      const config = readConfig(['--rounds', '7', '--latencies=5'], { BENCH_ROUNDS: '2', BENCH_CONCURRENCY: '8' });
      expect(config).to.include({ rounds: 7, concurrency: 8 });
      expect(config.latencies).to.deep.equal([5]);
    });

    it('names the flag it cannot read', () => {
      expect(() => readConfig(['--concurrency', 'many'], {})).to.throw('--concurrency must be a number >= 1');
      expect(() => readConfig(['--latencies', '0,-3'], {})).to.throw('--latencies must be a list like 0,20');
      expect(() => readConfig(['--package', 'lib'], {})).to.throw('--package must be dist or src');
    });

    it('prints the command that reproduces a run', () => {
      expect(commandLine(['--rounds', '7'], { BENCH_CONCURRENCY: '8' })).to.equal('BENCH_CONCURRENCY=8 npm run bench -- --rounds 7');
    });
  });
});
