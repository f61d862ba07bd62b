/**
 * Workloads of the second release: per-sample gradients (vmap against a loop), a Hessian-vector
 * product, and one training step of nn's TransformerEncoderLayer. Each framework builds the same
 * computation from the same `fill` weights and data, so check() compares results across them.
 */
import { optimizerStep, summarize, type BenchCase } from './cases.js';
import type { Tapegrad } from './frameworks/tapegrad.js';
import { fill } from './data.js';

type Tensor = import('tapegrad').Tensor;

const meanAbs = (values: ArrayLike<number>): number => summarize(values)[0]!;

/** The shapes of an MLP's parameters, [W0, b0, W1, b1, ...] with W of shape [in, out]. */
function mlpShapes(sizes: readonly number[]): number[][] {
  return sizes.slice(1).flatMap((out, i) => [[sizes[i]!, out], [out]]);
}

/** x W0 + b0, tanh, ..., the last layer linear; `qs` are the parameters in mlpShapes order. */
function mlpForward(tg: Tapegrad, qs: readonly Tensor[], x: Tensor): Tensor {
  let h = x;
  for (let i = 0; i < qs.length; i += 2) {
    h = tg.add(tg.matmul(h, qs[i]!), qs[i + 1]!);
    if (i + 2 < qs.length) h = tg.tanh(h);
  }
  return h;
}

/** Gradients of each sample's squared error with respect to the MLP's parameters, batched by vmap or by a loop. */
export function perSampleCase(mode: 'vmap' | 'loop', batch: number, sizes: number[]): BenchCase {
  const p = { mode, batch, sizes, seedX: 40, seedY: 41, seedW: 50, scale: 0.3 };
  const shapes = mlpShapes(sizes);
  const inputs = sizes[0]!, outputs = sizes[sizes.length - 1]!;
  return {
    id: `per_sample_${mode}`,
    label: `per-sample grads (${mode}), MLP ${sizes.join('-')}, batch ${batch}`,
    unit: 'ms/batch',
    better: 'lower',
    score: (s) => s * 1e3,
    tapegrad(tg) {
      const ps = shapes.map((shape, k) => tg.tensor(fill(shape.reduce((a, b) => a * b, 1), p.seedW + k, -p.scale, p.scale), { shape }));
      const X = tg.tensor(fill(batch * inputs, p.seedX), { shape: [batch, inputs] });
      const Y = tg.tensor(fill(batch * outputs, p.seedY), { shape: [batch, outputs] });
      const n = ps.length;
      const loss = (...args: Tensor[]): Tensor => tg.sum(tg.square(tg.sub(mlpForward(tg, args.slice(0, n), args[n]!), args[n + 1]!)));
      const g = tg.grad(loss, { argnums: ps.map((_, k) => k) });
      const perSample = tg.vmap(g, { inAxes: [...ps.map(() => null), 0, 0] });
      const row = (t: Tensor, i: number): Tensor => tg.select(t, 0, i);
      const loop = (): Tensor[] => {
        const rows = Array.from({ length: batch }, (_, i) => g(...ps, row(X, i), row(Y, i)));
        return ps.map((_, k) => tg.stack(rows.map((r) => r[k]!), 0));
      };
      const compute = mode === 'vmap' ? () => perSample(...ps, X, Y) as Tensor[] : loop;
      return { run: () => void compute(), check: () => compute().map((t) => meanAbs(t.data())) };
    },
    torch: { kind: 'per_sample', params: p },
  };
}

/** One Hessian-vector product of an MLP's mean squared error, with respect to all its parameters. */
export function hvpCase(batch: number, sizes: number[]): BenchCase {
  const p = { batch, sizes, seedX: 42, seedY: 43, seedW: 60, seedV: 70, scale: 0.3 };
  const shapes = mlpShapes(sizes);
  const size = (k: number): number => shapes[k]!.reduce((a, b) => a * b, 1);
  const inputs = sizes[0]!, outputs = sizes[sizes.length - 1]!;
  return {
    id: 'hvp_mlp',
    label: `Hessian-vector product, MLP ${sizes.join('-')}, batch ${batch}`,
    unit: 'ms/call',
    better: 'lower',
    score: (s) => s * 1e3,
    tapegrad(tg) {
      const ps = shapes.map((shape, k) => tg.tensor(fill(size(k), p.seedW + k, -p.scale, p.scale), { shape }));
      const vs = shapes.map((shape, k) => tg.tensor(fill(size(k), p.seedV + k), { shape }));
      const X = tg.tensor(fill(batch * inputs, p.seedX), { shape: [batch, inputs] });
      const Y = tg.tensor(fill(batch * outputs, p.seedY), { shape: [batch, outputs] });
      const loss = (...qs: Tensor[]): Tensor => tg.mean(tg.square(tg.sub(mlpForward(tg, qs, X), Y)));
      return { run: () => void tg.hvp(loss, ps, vs), check: () => tg.hvp(loss, ps, vs).tangent.map((t) => meanAbs(t.data())) };
    },
    torch: { kind: 'hvp', params: p },
  };
}

/**
 * One AdamW step of nn's TransformerEncoderLayer (post-norm, ReLU, no dropout) on [batch, seq, d]
 * with a mean-squared loss. Parameters are filled in sorted-name order in both frameworks (the
 * names are PyTorch's), so the two start from the same weights.
 */
export function encoderLayerCase(batch: number, seq: number, d: number, heads: number, ff: number): BenchCase {
  const p = { batch, seq, d, heads, ff, lr: 1e-3, seedX: 80, seedT: 81, seedW: 90, scale: 0.05 };
  return {
    id: 'encoder_layer_step',
    label: `TransformerEncoderLayer step, [${batch},${seq},${d}] ${heads} heads, ff ${ff}`,
    unit: 'ms/step',
    better: 'lower',
    score: (s) => s * 1e3,
    timing: { budgetSeconds: 3 },
    tapegrad(tg) {
      const layer = new tg.TransformerEncoderLayer(d, heads, { dimFeedforward: ff, dropout: 0 });
      const initial: Record<string, Tensor> = {};
      [...layer.namedParameters()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).forEach(([name, q], i) => {
        initial[name] = tg.tensor(fill(q.size, p.seedW + i, -p.scale, p.scale), { shape: q.shape.slice() });
      });
      layer.loadStateDict(initial);
      const x = tg.tensor(fill(batch * seq * d, p.seedX), { shape: [batch, seq, d] });
      const target = tg.tensor(fill(batch * seq * d, p.seedT), { shape: [batch, seq, d] });
      const opt = new tg.AdamW(layer.parameters(), { lr: p.lr });
      const step = (): Tensor => optimizerStep(tg, opt, () => tg.mseLoss(layer.call(x), target));
      return {
        run: () => void step(),
        check: () => {
          layer.loadStateDict(initial);
          return [step().item()];
        },
      };
    },
    torch: { kind: 'encoder_layer_step', params: p },
  };
}
