import { cpus, release, totalmem, type } from 'node:os';
import type { BenchConfig } from './config.js';
import type { RoundResult } from './load/round.js';
import { percentile, spread, type Spread } from './stats.js';

export type ContenderName = 'passport-ultracart' | 'floor (undici by hand)' | 'floor + Passport' | 'passport-oauth2';
export const PACKAGE: ContenderName = 'passport-ultracart';
export const FLOOR: ContenderName = 'floor (undici by hand)';
/** Diagnostic: the floor's flow signed in through Passport, to split Passport's cost from ours. */
export const FLOOR_PASSPORT: ContenderName = 'floor + Passport';
export const OAUTH2: ContenderName = 'passport-oauth2';

/** One measured round, with the upstream connections the app opened during it. */
export interface MeasuredRound {
  contender: ContenderName;
  latencyMs: number;
  result: RoundResult;
  upstreamConnections: number;
  /** The most upstream connections the app held open at once during the round (its own count). */
  peakUpstreamSockets: number;
  /** CPU time the contender's process used during the round. */
  appCpuMs: number;
  /** CPU time the emulator process used during the round. */
  emulatorCpuMs: number;
}

export interface Summary {
  contender: ContenderName;
  latencyMs: number;
  flowsPerSecond: number;
  roundRates: number[];
  /** Callback-leg p50 of each round, in round order. */
  roundCallbackP50s: number[];
  authorize: Spread;
  login: Spread;
  callback: Spread;
  errors: number;
  errorKinds: Map<string, number>;
  connectionsPerRound: number[];
  peakOpen: number;
  /** CPU milliseconds per completed flow, in the app and in the emulator process. */
  appCpuPerFlow: number;
  emulatorCpuPerFlow: number;
}

export function summarise(rounds: MeasuredRound[], contender: ContenderName, latencyMs: number): Summary {
  const mine = rounds.filter((round) => round.contender === contender && round.latencyMs === latencyMs);
  const all = (leg: 'authorize' | 'login' | 'callback'): number[] => mine.flatMap((round) => round.result.legs[leg]);
  const flows = mine.reduce((sum, round) => sum + round.result.flows, 0);
  const elapsed = mine.reduce((sum, round) => sum + round.result.elapsedMs, 0);
  const errorKinds = new Map<string, number>();
  for (const round of mine) for (const [kind, count] of round.result.errorKinds) errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + count);
  return {
    contender,
    latencyMs,
    flowsPerSecond: elapsed > 0 ? (flows * 1000) / elapsed : 0,
    roundRates: mine.map((round) => (round.result.flows * 1000) / round.result.elapsedMs),
    roundCallbackP50s: mine.map((round) => percentile([...round.result.legs.callback], 50)),
    authorize: spread(all('authorize')),
    login: spread(all('login')),
    callback: spread(all('callback')),
    errors: mine.reduce((sum, round) => sum + round.result.errors, 0),
    errorKinds,
    connectionsPerRound: mine.map((round) => round.upstreamConnections),
    peakOpen: Math.max(...mine.map((round) => round.peakUpstreamSockets)),
    appCpuPerFlow: flows > 0 ? mine.reduce((sum, round) => sum + round.appCpuMs, 0) / flows : Number.NaN,
    emulatorCpuPerFlow: flows > 0 ? mine.reduce((sum, round) => sum + round.emulatorCpuMs, 0) / flows : Number.NaN,
  };
}

export interface ReportInput {
  config: BenchConfig;
  command: string;
  poolSize: number;
  /** False when `--pool` gave the package its own agent instead of the built-in one. */
  poolIsDefault: boolean;
  summaries: Summary[];
  startedAt: Date;
  wallSeconds: number;
}

const ms = (value: number): string => (Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const legCell = (leg: Spread): string => `${ms(leg.p50)} / ${ms(leg.p99)}`;
const times = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');

/**
 * The median over rounds of `a`'s value / `b`'s value in the same round. Contenders alternate, so
 * round i of each ran within the same half-minute; pairing them cancels the machine's slow swings
 * in speed, which move every contender's whole-run figures by more than the contenders differ.
 */
export function pairedRatio(a: number[], b: number[]): number {
  const ratios = a.map((value, i) => value / b[i]!).filter(Number.isFinite);
  return percentile(ratios, 50);
}

/** The results as Markdown: machine, command, table, ratios, targets. Printed and written to bench/results.md. */
export function renderReport(input: ReportInput): string {
  const { config, summaries } = input;
  const cpu = cpus();
  const lines: string[] = [
    '# Benchmark results',
    '',
    `- Date: ${input.startedAt.toISOString()}`,
    `- Machine: ${cpu.length} CPU (nproc) ${cpu[0]?.model.trim() ?? 'unknown'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${type()} ${release()}`,
    `- Node ${process.version}`,
    `- Command: \`${input.command}\``,
    `- Load: ${config.concurrency} concurrent browsers, ${config.rounds} rounds of ${config.durationS} s per contender and latency (contenders alternate round-robin, ${config.warmupS} s unmeasured warm-up each), ${Math.round(input.wallSeconds)} s in all`,
    input.poolIsDefault
      ? `- Upstream pool: ${input.poolSize} connections per origin (the package's built-in shared agent; the floor's Pool has the same size)`
      : `- Upstream pool: ${input.poolSize} connections per origin (\`--pool\`: an undici Agent given to the package as \`dispatcher\`, and the floor's Pool)`,
    '',
    'Times are milliseconds, p50 / p99, per leg of a flow: **authorize** = GET sign-in route until its 302 (the app calls',
    'UltraCart `PUT /sso/authorize`; passport-oauth2 makes no call here), **login** = the vendor pages until the redirect to',
    'the callback, **callback** = GET callback with the cookie until the 302 to the success page (token + user calls, new',
    "session). **Upstream conns** = the app's TCP connections to the emulator process: most open at once (counted in the",
    "app) / most accepted in one round / accepted over the whole run (counted by the emulator, the load generator's own",
    "subtracted). **App CPU** / **emulator CPU** = user + system CPU time of the app's process / of the emulator process",
    "(which also serves the browser's login pages) per completed flow; less sensitive than flows/s to other load on the machine.",
    '',
    '| upstream latency | contender | flows/s | flows/s per round | authorize | login | callback | errors | upstream conns | app CPU ms/flow | emulator CPU ms/flow |',
    '| ---: | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summaries) {
    const conns = `${s.peakOpen} / ${Math.max(...s.connectionsPerRound)} / ${s.connectionsPerRound.reduce((a, b) => a + b, 0)}`;
    lines.push(
      `| ${s.latencyMs} ms | ${s.contender} | ${s.flowsPerSecond.toFixed(0)} | ${s.roundRates.map((rate) => rate.toFixed(0)).join(', ')} | ${legCell(s.authorize)} | ${legCell(s.login)} | ${legCell(s.callback)} | ${s.errors} | ${conns} | ${ms(s.appCpuPerFlow)} | ${ms(s.emulatorCpuPerFlow)} |`,
    );
  }

  lines.push(
    '',
    'Ratios are medians over rounds of the ratio within a round: contenders alternate, so round i of each ran back to',
    "back, and pairing them cancels the machine's slower and faster spells (see the per-round rates above).",
    '',
    '| upstream latency | flows/s: package / floor | flows/s: package / passport-oauth2 | callback p50: package / floor | callback p50: package / passport-oauth2 | flows/s: package / floor + Passport | flows/s: floor + Passport / floor |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const targets: string[] = [];
  for (const latencyMs of config.latencies) {
    const pick = (name: ContenderName): Summary => summaries.find((s) => s.contender === name && s.latencyMs === latencyMs)!;
    const [pkg, floor, floorPassport, oauth2] = [pick(PACKAGE), pick(FLOOR), pick(FLOOR_PASSPORT), pick(OAUTH2)];
    const flows = (a: Summary, b: Summary): number => pairedRatio(a.roundRates, b.roundRates);
    const callback = (a: Summary, b: Summary): number => pairedRatio(a.roundCallbackP50s, b.roundCallbackP50s);
    lines.push(
      `| ${latencyMs} ms | ${times(flows(pkg, floor))} | ${times(flows(pkg, oauth2))} | ${times(callback(pkg, floor))} | ${times(callback(pkg, oauth2))} | ${times(flows(pkg, floorPassport))} | ${times(flows(floorPassport, floor))} |`,
    );
    targets.push(
      verdict(`${latencyMs} ms: flows/s >= 0.9 x floor`, flows(pkg, floor) >= 0.9, times(flows(pkg, floor))),
      verdict(`${latencyMs} ms: callback p50 <= passport-oauth2's`, callback(pkg, oauth2) <= 1, times(callback(pkg, oauth2))),
    );
  }
  const pkg = summaries.filter((s) => s.contender === PACKAGE);
  const pkgRounds = pkg.flatMap((s) => s.connectionsPerRound);
  const pkgTotal = pkgRounds.reduce((a, b) => a + b, 0);
  const pkgPeak = Math.max(...pkg.map((s) => s.peakOpen));
  targets.push(
    verdict(`upstream connections open at once <= pool size (${input.poolSize})`, pkgPeak <= input.poolSize, `peak ${pkgPeak}`),
    verdict(
      `upstream connections accepted per round <= pool size (${input.poolSize})`,
      Math.max(...pkgRounds) <= input.poolSize,
      `most in one round: ${Math.max(...pkgRounds)}`,
    ),
    verdict(
      `upstream connections accepted over the whole run <= pool size (${input.poolSize})`,
      pkgTotal <= input.poolSize,
      `${pkgTotal} in ${pkgRounds.length} rounds${pkgTotal > input.poolSize ? "; a contender idles through the other contenders' rounds, longer than the emulator's 5 s keep-alive, so its pool reconnects when its next round starts" : ''}`,
    ),
  );
  lines.push(
    '',
    '## Targets (passport-ultracart)',
    '',
    ...targets.map((line) => `- ${line}`),
    '',
    "**floor + Passport** is not a target but a yardstick: the floor's flow signed in through Passport as the package",
    "contender uses it. Package / floor + Passport is what the package's own code costs; floor + Passport / floor is",
    'what any Passport strategy pays for Passport itself (its per-request middleware and its second save of the new session).',
  );

  const failures = summaries.filter((s) => s.errors > 0);
  if (failures.length > 0) {
    lines.push('', '## Errors', '');
    for (const s of failures) {
      const kinds = [...s.errorKinds].map(([kind, count]) => `${kind} (${count})`).join('; ');
      lines.push(`- ${s.latencyMs} ms, ${s.contender}: ${kinds}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function verdict(name: string, met: boolean, measured: string): string {
  return `${met ? 'met' : '**not met**'}: ${name} (${measured})`;
}
