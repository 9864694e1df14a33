/**
 * `npm run bench`: complete browser-like sign-in flows against three Express 5 apps, each in its
 * own process, over one emulator process. See bench/README.md for what is measured and how.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { commandLine, readConfig } from './config.js';
import { PACKAGE_POOL_SIZE, ROUTES } from './contenders/serve.js';
import type { UpstreamAddresses } from './ipc.js';
import { BrowserPools } from './load/browsers.js';
import type { FlowTarget } from './load/flow.js';
import { runRound } from './load/round.js';
import { control, startChild, stopAll, type Child } from './processes.js';
import {
  FLOOR,
  FLOOR_PASSPORT,
  OAUTH2,
  OIDC_PASSPORT,
  OAUTH_PASSPORT,
  ULTRACART_OAUTH,
  PACKAGE,
  renderReport,
  summarise,
  ULTRAPASSID,
  type ContenderName,
  type MeasuredRound,
} from './report.js';

/** Every app measured, in one round-robin. A new flow adds its contender and yardstick here and in report.ts's COMPARISONS. */
const CONTENDERS: Array<{ name: ContenderName; file: string }> = [
  { name: PACKAGE, file: './contenders/passport-ultracart.ts' },
  { name: FLOOR, file: './contenders/floor.ts' },
  { name: FLOOR_PASSPORT, file: './contenders/floor-passport.ts' },
  { name: OAUTH2, file: './contenders/passport-oauth2.ts' },
  { name: ULTRAPASSID, file: './contenders/ultrapassid.ts' },
  { name: OIDC_PASSPORT, file: './contenders/floor-passport-oidc.ts' },
  { name: ULTRACART_OAUTH, file: './contenders/ultracart-oauth.ts' },
  { name: OAUTH_PASSPORT, file: './contenders/floor-passport-oauth.ts' },
];

/**
 * Builds dist/ and points the apps' `passport-ultracart` at it (tsx then reads a tsconfig without
 * the root one's paths to src/), so the package is measured as users run it.
 */
function preparePackage(from: 'dist' | 'src'): Record<string, string> {
  if (from === 'src') return {};
  console.error('Building dist/ (npm run build) so the apps run the package as users install it...');
  const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) throw new Error('npm run build failed: the bench measures the built package (use --package src to skip)');
  return { TSX_TSCONFIG_PATH: fileURLToPath(new URL('./tsconfig.dist.json', import.meta.url)) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const config = readConfig(argv, process.env);
  const startedAt = new Date();
  const t0 = performance.now();
  const packageEnv = preparePackage(config.packageFrom);

  const emulator = await startChild('emulator', './emulator-process.ts', packageEnv);
  const upstream = emulator.ready.upstream as UpstreamAddresses;
  const apps = await Promise.all(
    CONTENDERS.map(async ({ name, file }) => ({
      name,
      child: await startChild(name, file, {
        ...packageEnv,
        BENCH_UPSTREAM: JSON.stringify(upstream),
        BENCH_POOL: config.poolSize === undefined ? '' : String(config.poolSize),
      }),
    })),
  );
  const browsers = new BrowserPools(config.concurrency);
  const vendorOrigins = [upstream.ultracartOrigin, upstream.oauth2Origin, new URL(upstream.oidcIssuer).origin];
  const target = (child: Child): FlowTarget => ({
    origin: child.ready.url,
    signInPath: ROUTES.signIn,
    callbackPath: ROUTES.callback,
    successPath: ROUTES.success,
  });

  /**
   * Counters read before and after each round. Upstream connections are everything the emulator
   * process accepted minus the load generator's own; CPU times are each process's own account.
   */
  const snapshot = async (
    app: Child,
  ): Promise<{ connections: number; peakSockets: number; appCpu: number; appMainCpu: number; emulatorCpu: number }> => {
    const [upstreamReply, appReply] = await Promise.all([control(emulator, { type: 'stats' }), control(app, { type: 'stats' })]);
    const accepted = upstreamReply.connections!.ultracart + upstreamReply.connections!.oauth2 + upstreamReply.connections!.oidc;
    const ours = vendorOrigins.reduce((sum, origin) => sum + browsers.connectionsTo(origin), 0);
    return {
      connections: accepted - ours,
      peakSockets: appReply.peakSockets ?? 0,
      appCpu: appReply.cpuMicros,
      appMainCpu: appReply.mainThreadCpuMicros,
      emulatorCpu: upstreamReply.cpuMicros,
    };
  };

  const rounds: MeasuredRound[] = [];
  // Warm-up included: what a CPU profile of a whole run (BENCH_CHILD_ARGS=--cpu-prof) is divided by.
  const flowsInAll = new Map<ContenderName, number>();
  const count = (name: ContenderName, flows: number): void => void flowsInAll.set(name, (flowsInAll.get(name) ?? 0) + flows);
  try {
    for (const latencyMs of config.latencies) {
      await control(emulator, { type: 'latency', ms: latencyMs });
      for (const app of apps) {
        if (config.warmupS > 0)
          count(app.name, (await runRound(browsers, target(app.child), config.concurrency, config.warmupS * 1000)).flows);
      }
      for (let round = 0; round < config.rounds; round++) {
        // Rotate who goes first, so no contender always follows the same neighbour.
        const order = apps.map((_, i) => apps[(i + round) % apps.length]!);
        for (const app of order) {
          await control(emulator, { type: 'reset' });
          const before = await snapshot(app.child);
          const result = await runRound(browsers, target(app.child), config.concurrency, config.durationS * 1000);
          const after = await snapshot(app.child);
          count(app.name, result.flows);
          const measured: MeasuredRound = {
            contender: app.name,
            latencyMs,
            result,
            upstreamConnections: after.connections - before.connections,
            peakUpstreamSockets: after.peakSockets,
            appCpuMs: (after.appCpu - before.appCpu) / 1000,
            appMainCpuMs: (after.appMainCpu - before.appMainCpu) / 1000,
            emulatorCpuMs: (after.emulatorCpu - before.emulatorCpu) / 1000,
          };
          rounds.push(measured);
          console.error(`  ${latencyMs} ms, round ${round + 1}/${config.rounds}, ${describeRound(measured)}`);
        }
      }
    }
  } finally {
    await browsers.close();
    await stopAll();
  }

  const summaries = config.latencies.flatMap((latencyMs) => CONTENDERS.map(({ name }) => summarise(rounds, name, latencyMs)));
  const report = renderReport({
    config,
    command: commandLine(argv, process.env),
    poolSize: config.poolSize ?? PACKAGE_POOL_SIZE,
    poolIsDefault: config.poolSize === undefined,
    summaries,
    startedAt,
    wallSeconds: (performance.now() - t0) / 1000,
  });
  console.log(`\n${report}`);
  await writeFile(new URL('./results.md', import.meta.url), report);
  console.log('Written to bench/results.md');
  console.error(`Flows per contender, warm-up included: ${[...flowsInAll].map(([name, flows]) => `${name} ${flows}`).join(', ')}`);
}

function describeRound({ contender, result, upstreamConnections, appMainCpuMs }: MeasuredRound): string {
  const rate = (result.flows * 1000) / result.elapsedMs;
  const cpu = result.flows > 0 ? ((appMainCpuMs * 1000) / result.flows).toFixed(0) : '-';
  return `${contender}: ${rate.toFixed(0)} flows/s, main-thread CPU ${cpu} µs/flow, ${result.errors} errors, ${upstreamConnections} upstream connections`;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopAll().finally(() => process.exit(130));
  });
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exitCode = 1;
});
