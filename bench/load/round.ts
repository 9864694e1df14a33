import { performance } from 'node:perf_hooks';
import type { BrowserPools } from './browsers.js';
import { FlowError, signInOnce, type FlowTarget, type LegTimes } from './flow.js';

export interface RoundResult {
  flows: number;
  /** From the first flow's start to the last flow's end (flows started before the deadline all finish). */
  elapsedMs: number;
  legs: { [leg in keyof LegTimes]: number[] };
  errors: number;
  /** Error message -> count, to say what failed without flooding the report. */
  errorKinds: Map<string, number>;
}

/** Runs `concurrency` browsers, each signing in again and again, until `durationMs` has passed. */
export async function runRound(browsers: BrowserPools, target: FlowTarget, concurrency: number, durationMs: number): Promise<RoundResult> {
  const result: RoundResult = {
    flows: 0,
    elapsedMs: 0,
    legs: { authorize: [], login: [], callback: [] },
    errors: 0,
    errorKinds: new Map(),
  };
  const started = performance.now();
  const deadline = started + durationMs;

  async function browser(): Promise<void> {
    while (performance.now() < deadline) {
      try {
        const legs = await signInOnce(browsers, target);
        result.flows += 1;
        result.legs.authorize.push(legs.authorize);
        result.legs.login.push(legs.login);
        result.legs.callback.push(legs.callback);
      } catch (err) {
        result.errors += 1;
        const kind = err instanceof FlowError ? err.message : `network: ${(err as { code?: string }).code ?? (err as Error).message}`;
        result.errorKinds.set(kind, (result.errorKinds.get(kind) ?? 0) + 1);
        // A contender that fails at once would otherwise spin this loop without yielding to I/O.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, browser));
  result.elapsedMs = performance.now() - started;
  return result;
}
