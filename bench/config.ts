/** What one `npm run bench` measures. Flags win over environment variables, which win over defaults. */
export interface BenchConfig {
  /** Browsers signing in at once. `--concurrency` / `BENCH_CONCURRENCY`, default 32. */
  concurrency: number;
  /** Length of each measured round. `--duration` (seconds) / `BENCH_DURATION`, default 3. */
  durationS: number;
  /** Measured rounds per contender and latency. `--rounds` / `BENCH_ROUNDS`, default 5: ratios are paired by round, so more short rounds beat a few long ones. */
  rounds: number;
  /**
   * Unmeasured warm-up per contender and latency. `--warmup` (seconds) / `BENCH_WARMUP`, default 4: with
   * 1 s, the apps were still reaching V8's optimising tiers in the first measured rounds on a busy 2-core machine.
   */
  warmupS: number;
  /** Upstream latencies to measure at. `--latencies 0,20` / `BENCH_LATENCIES`, default 0 and 20 ms. */
  latencies: number[];
  /**
   * Upstream connections per origin for the package (given its own undici Agent through the
   * `dispatcher` option) and the floor. `--pool` / `BENCH_POOL`; default: the package's built-in
   * shared agent, and the floor at the same size.
   */
  poolSize: number | undefined;
  /**
   * What the apps import as `passport-ultracart`: `dist`, the built package users install (built
   * first), or `src`, the TypeScript sources through tsx (which adds a `__name` call to every
   * closure it creates). `--package` / `BENCH_PACKAGE`, default `dist`.
   */
  packageFrom: 'dist' | 'src';
}

const FLAGS = {
  concurrency: ['--concurrency', 'BENCH_CONCURRENCY', '32'],
  durationS: ['--duration', 'BENCH_DURATION', '3'],
  rounds: ['--rounds', 'BENCH_ROUNDS', '5'],
  warmupS: ['--warmup', 'BENCH_WARMUP', '4'],
  latencies: ['--latencies', 'BENCH_LATENCIES', '0,20'],
  poolSize: ['--pool', 'BENCH_POOL', ''],
  packageFrom: ['--package', 'BENCH_PACKAGE', 'dist'],
} as const;

export function readConfig(argv: string[], env: NodeJS.ProcessEnv): BenchConfig {
  const raw = (key: keyof typeof FLAGS): string => {
    const [flag, variable, fallback] = FLAGS[key];
    const index = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
    if (index !== -1) return argv[index]!.includes('=') ? argv[index]!.split('=')[1]! : (argv[index + 1] ?? '');
    return env[variable] ?? fallback;
  };
  const number = (key: keyof typeof FLAGS, min: number): number => {
    const value = Number(raw(key));
    if (!Number.isFinite(value) || value < min) throw new Error(`${FLAGS[key][0]} must be a number >= ${min}`);
    return value;
  };
  const latencies = raw('latencies')
    .split(',')
    .map((part) => Number(part.trim()));
  if (latencies.length === 0 || latencies.some((ms) => !Number.isInteger(ms) || ms < 0))
    throw new Error('--latencies must be a list like 0,20');
  const packageFrom = raw('packageFrom');
  if (packageFrom !== 'dist' && packageFrom !== 'src') throw new Error('--package must be dist or src');
  return {
    packageFrom,
    concurrency: Math.floor(number('concurrency', 1)),
    durationS: number('durationS', 0.5),
    rounds: Math.floor(number('rounds', 1)),
    warmupS: number('warmupS', 0),
    latencies,
    poolSize: raw('poolSize') === '' ? undefined : Math.floor(number('poolSize', 1)),
  };
}

/** The command that reproduces this run, for the report. */
export function commandLine(argv: string[], env: NodeJS.ProcessEnv): string {
  const vars = Object.values(FLAGS)
    .map(([, variable]) => variable)
    .filter((variable) => env[variable] !== undefined)
    .map((variable) => `${variable}=${env[variable]}`);
  return [...vars, 'npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
}
