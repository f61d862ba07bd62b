/**
 * The benchmark cases: THE extension point of `pnpm bench`.
 *
 * Each entry of `cases` is one row of the table. A case says how to turn the
 * measured seconds per call into the reported number (`score`, `unit`,
 * `better`) and how to build the workload in each framework:
 *
 *  - `tapegrad(tg)` gets the `tapegrad` module (public API only) and returns a Workload;
 *  - `tfjs(tf)` gets `@tensorflow/tfjs-core` with the backend already chosen
 *    (the same function serves the tfjs-cpu and tfjs-wasm columns);
 *  - `torch` names a workload kind implemented in ../torch_bench.py (function
 *    in KINDS there) and the JSON params it receives.
 *
 * A framework that a case leaves out shows "—" in its column. `run()` is what
 * gets timed; `check()` runs once, untimed, and returns a few numbers that must
 * agree across frameworks (all frameworks get the same inputs from `fill`), so
 * a wrong workload is caught instead of benchmarked.
 *
 * To add a case (e.g. the planned MLP training step, 784-256-128-10), append an
 * object here and a matching `kind_...` function to torch_bench.py.
 */
import type { TimingOptions } from './harness.js';
import type { Tapegrad } from './frameworks/tapegrad.js';
import type { Tfjs } from './frameworks/tfjs.js';
import { fill } from './data.js';
import { cnnEpochCase, cnnStepCase, transformerStepCase } from './training-cases.js';
import { encoderLayerCase, hvpCase, perSampleCase } from './research-cases.js';

export interface Workload {
  /** one timed call */
  run(): void;
  /** untimed; numbers that must agree across frameworks */
  check?(): number[];
  /** release resources (tfjs tensors) */
  dispose?(): void;
}

export interface BenchCase {
  /** stable key, used in results.json and by torch_bench.py */
  id: string;
  /** row label in the table */
  label: string;
  unit: string;
  /** is a bigger `score` better (throughput) or a smaller one (time) */
  better: 'higher' | 'lower';
  /** measured median seconds per `run()` -> reported value */
  score(secondsPerCall: number): number;
  /** per-case overrides of the timing procedure (see harness.ts) */
  timing?: Partial<TimingOptions>;
  tapegrad?(tg: Tapegrad): Workload;
  tfjs?(tf: Tfjs): Workload;
  torch?: { kind: string; params: Record<string, unknown> };
}

/** [mean |x|, first element, last element] of a flat array of values. */
export function summarize(values: ArrayLike<number>): number[] {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.abs(values[i]!);
  return [s / values.length, values[0]!, values[values.length - 1]!];
}

/** One training step: zero the gradients, differentiate `loss()`, let the optimizer update; returns the loss. */
export function optimizerStep(tg: Tapegrad, opt: { zeroGrad(): void; step(): void }, loss: () => import('tapegrad').Tensor): import('tapegrad').Tensor {
  opt.zeroGrad();
  const value = loss();
  tg.backward(value);
  opt.step();
  return value;
}

function meanAbs(values: ArrayLike<number>): number {
  return summarize(values)[0]!;
}

// --- 1. matmul ------------------------------------------------------------------

function matmulCase(n: number): BenchCase {
  const seedA = 1;
  const seedB = 2;
  return {
    id: `matmul_${n}`,
    label: `matmul ${n}x${n} f32`,
    unit: 'GFLOP/s',
    better: 'higher',
    score: (s) => (2 * n * n * n) / s / 1e9,
    tapegrad(tg) {
      const a = tg.tensor(fill(n * n, seedA), { shape: [n, n] });
      const b = tg.tensor(fill(n * n, seedB), { shape: [n, n] });
      return {
        run: () => void tg.matmul(a, b),
        check: () => summarize(tg.matmul(a, b).data()),
      };
    },
    tfjs(tf) {
      const a = tf.tensor2d(fill(n * n, seedA), [n, n]);
      const b = tf.tensor2d(fill(n * n, seedB), [n, n]);
      return {
        run: () => tf.matMul(a, b).dispose(),
        check: () => tf.tidy(() => summarize(tf.matMul(a, b).dataSync())),
        dispose: () => tf.dispose([a, b]),
      };
    },
    torch: { kind: 'matmul', params: { n, seedA, seedB } },
  };
}

// --- 2. elementwise a*b+c ----------------------------------------------------------

function ewiseCase(size: number): BenchCase {
  const seeds = { seedA: 3, seedB: 4, seedC: 5 };
  return {
    id: 'ewise_fma_1e6',
    label: 'a*b+c, 1e6 f32',
    unit: 'ns/elem',
    better: 'lower',
    score: (s) => (s / size) * 1e9,
    tapegrad(tg) {
      const a = tg.tensor(fill(size, seeds.seedA));
      const b = tg.tensor(fill(size, seeds.seedB));
      const c = tg.tensor(fill(size, seeds.seedC));
      return {
        run: () => void tg.add(tg.mul(a, b), c),
        check: () => summarize(tg.add(tg.mul(a, b), c).data()),
      };
    },
    tfjs(tf) {
      const a = tf.tensor1d(fill(size, seeds.seedA));
      const b = tf.tensor1d(fill(size, seeds.seedB));
      const c = tf.tensor1d(fill(size, seeds.seedC));
      return {
        run: () => tf.tidy(() => void tf.add(tf.mul(a, b), c)),
        check: () => tf.tidy(() => summarize(tf.add(tf.mul(a, b), c).dataSync())),
        dispose: () => tf.dispose([a, b, c]),
      };
    },
    torch: { kind: 'ewise_fma', params: { size, ...seeds } },
  };
}

// --- 3. per-op overhead: 1000 tiny ops, forward + backward ----------------------------

/**
 * x <- x*w, x <- x+b, x <- tanh(x), cycling, `ops` times on `size`-element
 * tensors; loss = sum(x); backward to w and b (both require grad). w stays near
 * 1 and b near 0 so that neither the values nor the gradients drift into
 * float32 denormals (which would measure the FPU instead of the framework).
 */
function opChainCase(ops: number, size: number): BenchCase {
  const p = { ops, size, seedX: 6, seedW: 7, seedB: 8, wLo: 0.9, wHi: 1.1, bLo: -0.1, bHi: 0.1 };
  return {
    id: `op_chain_${ops}`,
    label: `${ops}-op chain fwd+bwd, 16 f32`,
    unit: 'us/op',
    better: 'lower',
    score: (s) => (s / ops) * 1e6,
    tapegrad(tg) {
      const x0 = tg.tensor(fill(size, p.seedX));
      const w = tg.tensor(fill(size, p.seedW, p.wLo, p.wHi), { requiresGrad: true });
      const b = tg.tensor(fill(size, p.seedB, p.bLo, p.bHi), { requiresGrad: true });
      const step = () => {
        let x = x0;
        for (let i = 0; i < ops; i++) {
          const k = i % 3;
          x = k === 0 ? tg.mul(x, w) : k === 1 ? tg.add(x, b) : tg.tanh(x);
        }
        const loss = tg.sum(x);
        tg.backward(loss);
        return loss;
      };
      const clearGrads = () => {
        w.grad = null;
        b.grad = null;
      };
      return {
        run: () => {
          step();
          clearGrads();
        },
        check: () => {
          clearGrads();
          const loss = step();
          const out = [loss.item(), meanAbs(w.grad!.data()), meanAbs(b.grad!.data())];
          clearGrads();
          return out;
        },
      };
    },
    tfjs(tf) {
      const x0 = tf.tensor1d(fill(size, p.seedX));
      const w = tf.tensor1d(fill(size, p.seedW, p.wLo, p.wHi));
      const b = tf.tensor1d(fill(size, p.seedB, p.bLo, p.bHi));
      const f = (wt: import('@tensorflow/tfjs-core').Tensor, bt: import('@tensorflow/tfjs-core').Tensor) => {
        let x = x0;
        for (let i = 0; i < ops; i++) {
          const k = i % 3;
          x = k === 0 ? tf.mul(x, wt) : k === 1 ? tf.add(x, bt) : tf.tanh(x);
        }
        return tf.sum(x);
      };
      const gradsOf = tf.grads(f);
      const valueAndGradsOf = tf.valueAndGrads(f);
      return {
        run: () => tf.tidy(() => void gradsOf([w, b])),
        check: () =>
          tf.tidy(() => {
            const { value, grads } = valueAndGradsOf([w, b]);
            return [value.dataSync()[0]!, meanAbs(grads[0]!.dataSync()), meanAbs(grads[1]!.dataSync())];
          }),
        dispose: () => tf.dispose([x0, w, b]),
      };
    },
    torch: { kind: 'op_chain', params: p },
  };
}

// --- 4. an MLP training step --------------------------------------------------------

/**
 * One SGD step of a 784-256-128-10 ReLU MLP on a batch of 128 with softmax cross-entropy:
 * forward, backward, update. Weights, inputs and labels come from `fill`, so every framework
 * trains the same network; check() restarts from those weights and reports the loss before and
 * after one step.
 */
function mlpStepCase(batch: number, sizes: number[], lr: number): BenchCase {
  const p = { batch, sizes, lr, seedX: 20, seedY: 21, seedW: 30, scale: 0.05 };
  const layers = sizes.slice(1).map((out, i) => ({ in: sizes[i]!, out }));
  const weight = (i: number) => fill(layers[i]!.out * layers[i]!.in, p.seedW + 2 * i, -p.scale, p.scale);
  const bias = (i: number) => fill(layers[i]!.out, p.seedW + 2 * i + 1, -p.scale, p.scale);
  const inputs = () => fill(batch * sizes[0]!, p.seedX);
  const labels = () => Int32Array.from(fill(batch, p.seedY, 0, sizes[sizes.length - 1]!), Math.floor);
  return {
    id: 'mlp_step',
    label: `MLP ${sizes.join('-')} SGD step, batch ${batch}`,
    unit: 'ms/step',
    better: 'lower',
    score: (s) => s * 1e3,
    timing: { budgetSeconds: 3 },
    tapegrad(tg) {
      const mods: InstanceType<Tapegrad['Module']>[] = [];
      layers.forEach((l, i) => {
        mods.push(new tg.Linear(l.in, l.out));
        if (i < layers.length - 1) mods.push(new tg.ReLU());
      });
      const model = new tg.Sequential(...mods);
      const initial: Record<string, import('tapegrad').Tensor> = {};
      layers.forEach((l, i) => {
        initial[`${2 * i}.weight`] = tg.tensor(weight(i), { shape: [l.out, l.in] });
        initial[`${2 * i}.bias`] = tg.tensor(bias(i));
      });
      const x = tg.tensor(inputs(), { shape: [batch, sizes[0]!] });
      const y = tg.tensor(labels());
      const opt = new tg.SGD(model.parameters(), { lr });
      const step = () => optimizerStep(tg, opt, () => tg.crossEntropy(model.forward(x), y));
      return {
        run: () => void step(),
        check: () => {
          model.loadStateDict(initial);
          const before = step().item();
          return [before, tg.noGrad(() => tg.crossEntropy(model.forward(x), y).item())];
        },
      };
    },
    tfjs(tf) {
      type Var = import('@tensorflow/tfjs-core').Variable;
      const vars: Var[] = layers.flatMap((l, i) => [
        tf.variable(tf.tensor2d(weight(i), [l.out, l.in])) as Var,
        tf.variable(tf.tensor1d(bias(i))) as Var,
      ]);
      const x = tf.tensor2d(inputs(), [batch, sizes[0]!]);
      const y = tf.oneHot(tf.tensor1d(labels(), 'int32'), sizes[sizes.length - 1]!);
      const loss = () => {
        let h: import('@tensorflow/tfjs-core').Tensor = x;
        layers.forEach((_, i) => {
          h = tf.add(tf.matMul(h, vars[2 * i]!, false, true), vars[2 * i + 1]!);
          if (i < layers.length - 1) h = tf.relu(h);
        });
        return tf.losses.softmaxCrossEntropy(y, h) as import('@tensorflow/tfjs-core').Scalar;
      };
      const opt = tf.train.sgd(lr);
      return {
        run: () => tf.tidy(() => void opt.minimize(loss)),
        check: () =>
          tf.tidy(() => {
            layers.forEach((l, i) => {
              vars[2 * i]!.assign(tf.tensor2d(weight(i), [l.out, l.in]));
              vars[2 * i + 1]!.assign(tf.tensor1d(bias(i)));
            });
            const before = opt.minimize(loss, true)!.dataSync()[0]!;
            return [before, loss().dataSync()[0]!];
          }),
        dispose: () => {
          tf.dispose([...vars, x, y]);
          opt.dispose();
        },
      };
    },
    torch: { kind: 'mlp_step', params: p },
  };
}

// --- the list ------------------------------------------------------------------------

export const cases: BenchCase[] = [
  matmulCase(64),
  matmulCase(256),
  // a 1024^3 matmul is ~2 GFLOP; in plain JS that is seconds per call, so take fewer samples
  { ...matmulCase(1024), timing: { warmupSeconds: 0, budgetSeconds: 2, minSamples: 3 } },
  ewiseCase(1_000_000),
  opChainCase(1000, 16),
  mlpStepCase(128, [784, 256, 128, 10], 0.01),
  transformerStepCase(16, 64, 128, 4),
  cnnStepCase(64),
  cnnEpochCase(8000, 2000, 64),
  encoderLayerCase(16, 64, 64, 4, 256),
  perSampleCase('vmap', 64, [32, 64, 64, 1]),
  perSampleCase('loop', 64, [32, 64, 64, 1]),
  hvpCase(128, [32, 64, 64, 1]),
];
