import { cpus, release, totalmem, type } from 'node:os';
import type { BenchConfig } from './config.js';
import type { RoundResult } from './load/round.js';
import { percentile, spread, type Spread } from './stats.js';

export type ContenderName =
  | 'passport-ultracart'
  | 'floor (undici by hand)'
  | 'floor + Passport'
  | 'passport-oauth2'
  | 'UltrapassIdStrategy (OIDC)'
  | 'openid-client/passport (OIDC)'
  | 'UltraCartOAuthStrategy (OAuth)'
  | 'floor + Passport (OAuth)';
export const PACKAGE: ContenderName = 'passport-ultracart';
export const FLOOR: ContenderName = 'floor (undici by hand)';
/** The yardstick: the floor's flow signed in through Passport, so Passport's own cost is on both sides. */
export const FLOOR_PASSPORT: ContenderName = 'floor + Passport';
export const OAUTH2: ContenderName = 'passport-oauth2';
export const ULTRAPASSID: ContenderName = 'UltrapassIdStrategy (OIDC)';
/** The OIDC flow's yardstick: openid-client's own Passport strategy, the least a Passport OIDC sign-in costs. */
export const OIDC_PASSPORT: ContenderName = 'openid-client/passport (OIDC)';
export const ULTRACART_OAUTH: ContenderName = 'UltraCartOAuthStrategy (OAuth)';
/** The OAuth flow's yardstick: its two upstream steps (approval redirect, form-encoded token call) as a minimal Passport strategy. */
export const OAUTH_PASSPORT: ContenderName = 'floor + Passport (OAuth)';

/** A flow of the package measured against its own yardstick (and, for the callback leg, a peer). */
export interface Comparison {
  flow: string;
  contender: ContenderName;
  yardstick: ContenderName;
  /** Whose callback p50 the contender's must not exceed. */
  callbackPeer?: ContenderName;
}

/**
 * What the targets compare: each flow of the package against its yardstick, the same upstream
 * calls as a minimal Passport strategy (or the ecosystem's own Passport strategy), each a file in
 * `contenders/` and a line in `run.ts`'s CONTENDERS.
 */
export const COMPARISONS: Comparison[] = [
  { flow: 'UltraCart sign-in', contender: PACKAGE, yardstick: FLOOR_PASSPORT, callbackPeer: OAUTH2 },
  { flow: 'UltrapassId OIDC sign-in', contender: ULTRAPASSID, yardstick: OIDC_PASSPORT },
  { flow: 'UltraCart OAuth connection', contender: ULTRACART_OAUTH, yardstick: OAUTH_PASSPORT },
];
/** Main-thread CPU per flow at most this many times the yardstick's. */
export const CPU_TARGET = 1.05;
/** Flows/s at least this many times the yardstick's. */
export const RATE_TARGET = 0.95;

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
  /** CPU time of the contender's main thread during the round: the main figure, steadier than flows/s. */
  appMainCpuMs: number;
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
  /** Main-thread CPU microseconds per completed flow in each round, in round order. */
  roundMainCpuPerFlow: number[];
  /** Each round's legs, in round order. */
  roundLegs: Array<{ authorize: Spread; login: Spread; callback: Spread }>;
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
    roundMainCpuPerFlow: mine.map((round) => (round.result.flows > 0 ? (round.appMainCpuMs * 1000) / round.result.flows : Number.NaN)),
    roundLegs: mine.map((round) => ({
      authorize: spread([...round.result.legs.authorize]),
      login: spread([...round.result.legs.login]),
      callback: spread([...round.result.legs.callback]),
    })),
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
const micros = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : '-');

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
    config.packageFrom === 'dist'
      ? '- Package: the built `dist/`, as users install it'
      : '- Package: `src/` through tsx (`--package src`), which adds a `__name` call to every closure',
    '',
    'Times are milliseconds, p50 / p99, per leg of a flow: **authorize** = GET sign-in route until its 302 (the app calls',
    'UltraCart `PUT /sso/authorize`; passport-oauth2 makes no call here), **login** = the vendor pages until the redirect to',
    'the callback, **callback** = GET callback with the cookie until the 302 to the success page (token + user calls, new',
    "session). **Upstream conns** = the app's TCP connections to the emulator process: most open at once (counted in the",
    "app) / most accepted in one round / accepted over the whole run (counted by the emulator, the load generator's own",
    "subtracted). **App CPU** / **emulator CPU** = user + system CPU time of the app's process / of the emulator process",
    "(which also serves the browser's login pages) per completed flow; less sensitive than flows/s to other load on the machine.",
    '',
    "**Main-thread CPU** = CPU time of the app process's main (JavaScript) thread per completed flow, read from",
    '`/proc/self/task/<pid>/schedstat` in the app before and after each round: the steadiest figure on a shared machine,',
    'and the one the targets are set on. Ratios are medians over rounds of the ratio within a round.',
    '',
    '| upstream latency | contender | flows/s | authorize | login | callback | errors | upstream conns | main-thread CPU µs/flow (median of rounds) | app CPU ms/flow | emulator CPU ms/flow |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of summaries) {
    const conns = `${s.peakOpen} / ${Math.max(...s.connectionsPerRound)} / ${s.connectionsPerRound.reduce((a, b) => a + b, 0)}`;
    lines.push(
      `| ${s.latencyMs} ms | ${s.contender} | ${s.flowsPerSecond.toFixed(0)} | ${legCell(s.authorize)} | ${legCell(s.login)} | ${legCell(s.callback)} | ${s.errors} | ${conns} | ${micros(percentile([...s.roundMainCpuPerFlow], 50))} | ${ms(s.appCpuPerFlow)} | ${ms(s.emulatorCpuPerFlow)} |`,
    );
  }

  lines.push(
    '',
    '### Per round',
    '',
    'Round i of every contender ran back to back (who goes first rotates each round).',
    '',
    '| upstream latency | contender | round | flows/s | authorize | login | callback | main-thread CPU µs/flow |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of summaries) {
    s.roundRates.forEach((rate, i) => {
      const legs = s.roundLegs[i]!;
      lines.push(
        `| ${s.latencyMs} ms | ${s.contender} | ${i + 1} | ${rate.toFixed(0)} | ${legCell(legs.authorize)} | ${legCell(legs.login)} | ${legCell(legs.callback)} | ${micros(s.roundMainCpuPerFlow[i]!)} |`,
      );
    });
  }

  lines.push(
    '',
    '## Paired ratios',
    '',
    'Medians over rounds of the ratio within a round: contenders alternate, so round i of each ran back to back, and',
    "pairing them cancels the machine's slower and faster spells.",
    '',
    '| upstream latency | flow | main-thread CPU/flow: package / yardstick | flows/s: package / yardstick | callback p50: package / yardstick | callback p50: package / peer |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
  );
  const targets: string[] = [];
  for (const latencyMs of config.latencies) {
    const pick = (name: ContenderName): Summary | undefined => summaries.find((s) => s.contender === name && s.latencyMs === latencyMs);
    for (const comparison of COMPARISONS) {
      const [pkg, yardstick] = [pick(comparison.contender), pick(comparison.yardstick)];
      if (!pkg || !yardstick) continue;
      const peer = comparison.callbackPeer ? pick(comparison.callbackPeer) : undefined;
      const cpu = pairedRatio(pkg.roundMainCpuPerFlow, yardstick.roundMainCpuPerFlow);
      const rate = pairedRatio(pkg.roundRates, yardstick.roundRates);
      const callback = pairedRatio(pkg.roundCallbackP50s, yardstick.roundCallbackP50s);
      const peerCallback = peer ? pairedRatio(pkg.roundCallbackP50s, peer.roundCallbackP50s) : Number.NaN;
      lines.push(
        `| ${latencyMs} ms | ${comparison.flow}: ${comparison.contender} / ${comparison.yardstick} | ${times(cpu)} | ${times(rate)} | ${times(callback)} | ${peer ? `${times(peerCallback)} (${peer.contender})` : '-'} |`,
      );
      const label = `${latencyMs} ms, ${comparison.flow}`;
      targets.push(
        verdict(`${label}: main-thread CPU per flow <= ${CPU_TARGET} x ${comparison.yardstick}`, cpu <= CPU_TARGET, times(cpu)),
        verdict(`${label}: flows/s >= ${RATE_TARGET} x ${comparison.yardstick}`, rate >= RATE_TARGET, times(rate)),
      );
      if (peer) targets.push(verdict(`${label}: callback p50 <= ${peer.contender}'s`, peerCallback <= 1, times(peerCallback)));
    }
    const [pkg, floor, floorPassport] = [pick(PACKAGE), pick(FLOOR), pick(FLOOR_PASSPORT)];
    if (pkg && floor && floorPassport) {
      lines.push(
        `| ${latencyMs} ms | (for reference) UltraCart: ${PACKAGE} / ${FLOOR}; ${FLOOR_PASSPORT} / ${FLOOR} | ${times(pairedRatio(pkg.roundMainCpuPerFlow, floor.roundMainCpuPerFlow))}; ${times(pairedRatio(floorPassport.roundMainCpuPerFlow, floor.roundMainCpuPerFlow))} | ${times(pairedRatio(pkg.roundRates, floor.roundRates))}; ${times(pairedRatio(floorPassport.roundRates, floor.roundRates))} | - | - |`,
      );
    }
  }
  const pkg = summaries.filter((s) => s.contender === PACKAGE);
  const pkgRounds = pkg.flatMap((s) => s.connectionsPerRound);
  const pkgPeak = Math.max(...pkg.map((s) => s.peakOpen));
  targets.push(
    verdict(`upstream connections open at once <= pool size (${input.poolSize})`, pkgPeak <= input.poolSize, `peak ${pkgPeak}`),
    verdict(
      `upstream connections accepted per round <= pool size (${input.poolSize})`,
      Math.max(...pkgRounds) <= input.poolSize,
      `most in one round: ${Math.max(...pkgRounds)}`,
    ),
  );
  lines.push(
    '',
    '## Targets',
    '',
    ...targets.map((line) => `- ${line}`),
    '',
    "**floor + Passport** is the UltraCart flow's yardstick: the floor's upstream calls as a minimal Passport strategy, set up",
    "with Passport exactly as the package contender, so Passport's own cost is on both sides. **openid-client/passport** is",
    "the OIDC flow's: openid-client's own Passport strategy against the same emulator.",
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
