/** Latency samples in milliseconds → the numbers we report. */
export interface LoadResult {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarise(name: string, samplesMs: number[], errors: number, seconds: number): LoadResult {
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (q: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    name,
    requests: samplesMs.length,
    errors,
    seconds: round(seconds),
    rps: round(samplesMs.length / seconds),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    p99: round(at(0.99)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : NaN),
  };
}

/**
 * Closed-loop load: `concurrency` workers each issue the next request as soon as the previous
 * one finished, for `seconds`. Bounded in time and count, loopback only.
 */
export async function closedLoop(
  name: string,
  opts: { concurrency: number; seconds: number; maxRequests?: number },
  request: (worker: number) => Promise<boolean>,
): Promise<LoadResult> {
  const samples: number[] = [];
  let errors = 0;
  const started = performance.now();
  const endAt = started + opts.seconds * 1000;
  const max = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async (_, worker) => {
      while (performance.now() < endAt && samples.length + errors < max) {
        const t0 = performance.now();
        const ok = await request(worker).catch(() => false);
        if (ok) samples.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  return summarise(name, samples, errors, (performance.now() - started) / 1000);
}

export function printTable(results: LoadResult[]): void {
  console.log('| benchmark | requests | errors | req/s | p50 ms | p90 ms | p99 ms | max ms |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) console.log(`| ${r.name} | ${r.requests} | ${r.errors} | ${r.rps} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} |`);
}
