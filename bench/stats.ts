/** Nearest-rank percentile of `values` (sorted in place); NaN when there are none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * values.length);
  return values[Math.min(values.length, Math.max(1, rank)) - 1]!;
}

export interface Spread {
  p50: number;
  p99: number;
}

export function spread(values: number[]): Spread {
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}
