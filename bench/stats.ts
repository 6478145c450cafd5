/** Nearest-rank percentile of `samples` (0 < p ≤ 100). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Median, p99, min and max, rounded to 0.1 ms. */
export function summarize(samples: number[]): { p50: number; p99: number; min: number; max: number; n: number } {
  const round = (v: number) => Math.round(v * 10) / 10;
  return {
    p50: round(percentile(samples, 50)),
    p99: round(percentile(samples, 99)),
    min: round(Math.min(...samples)),
    max: round(Math.max(...samples)),
    n: samples.length,
  };
}
