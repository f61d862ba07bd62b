/**
 * Timing harness. The same procedure is implemented in torch_bench.py
 * (`measure`), so every column is measured the same way:
 *
 *  1. warm-up: call the workload until `warmupSeconds` have passed (at least
 *     `minWarmupCalls` calls, at most `maxWarmupCalls`);
 *  2. pick `inner`, the number of calls per sample, so one sample lasts about
 *     `sampleSeconds` (fast workloads are batched, slow ones run once);
 *  3. take samples until `budgetSeconds` have been spent and at least
 *     `minSamples` exist (or `maxSamples` exist);
 *  4. report the median of (sample time / inner).
 */
export interface TimingOptions {
  warmupSeconds: number;
  minWarmupCalls: number;
  maxWarmupCalls: number;
  sampleSeconds: number;
  budgetSeconds: number;
  minSamples: number;
  maxSamples: number;
}

export const defaultTiming: TimingOptions = {
  warmupSeconds: 1.0,
  minWarmupCalls: 1,
  maxWarmupCalls: 1_000_000,
  sampleSeconds: 0.05,
  budgetSeconds: 1.5,
  minSamples: 3,
  maxSamples: 15,
};

export interface Timing {
  /** median seconds per call */
  secondsPerCall: number;
  samples: number;
  /** calls per sample */
  inner: number;
  /** relative spread of the samples: (max - min) / median */
  spread: number;
}

const now = (): number => performance.now() / 1000;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function measure(run: () => void, opts: Partial<TimingOptions> = {}): Timing {
  const o: TimingOptions = { ...defaultTiming, ...opts };

  // 1. warm-up, which also gives a first estimate of the time per call
  let calls = 0;
  const w0 = now();
  let elapsed = 0;
  while (calls < o.maxWarmupCalls && (calls < o.minWarmupCalls || elapsed < o.warmupSeconds)) {
    run();
    calls++;
    elapsed = now() - w0;
  }
  const estimate = Math.max(elapsed / calls, 1e-9);

  // 2. calls per sample
  const inner = Math.max(1, Math.round(o.sampleSeconds / estimate));

  // 3. samples
  const perCall: number[] = [];
  const s0 = now();
  while (
    perCall.length < o.maxSamples &&
    (perCall.length < o.minSamples || now() - s0 < o.budgetSeconds)
  ) {
    const t0 = now();
    for (let i = 0; i < inner; i++) run();
    perCall.push((now() - t0) / inner);
  }

  const med = median(perCall);
  return {
    secondsPerCall: med,
    samples: perCall.length,
    inner,
    spread: (Math.max(...perCall) - Math.min(...perCall)) / med,
  };
}
