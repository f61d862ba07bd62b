/**
 * Per-sample gradients: the gradient of the loss of every example of a batch separately, as
 * differentially private training (clip each example's gradient) or influence estimates need.
 * vmap(grad(loss)) computes them in one batched pass; the parameters are shared (inAxes null),
 * the examples are mapped over (inAxes 0). Checked against a loop over the examples, and timed.
 * Run from the repo root after `pnpm build`:  pnpm tsx docs/examples/per-sample-gradients.ts
 */
import {
  Generator, add, gather, grad, logSoftmax, matmul, neg, randint, randn, relu, reshape, slice, stack, sum, vmap, type Tensor,
} from 'tapegrad';

const gen = new Generator(1);
const sizes = [32, 64, 10];
const layer = (n: number, m: number): [Tensor, Tensor] => [
  randn([n, m], { generator: gen, dtype: 'float64' }).mul(1 / Math.sqrt(n)),
  randn([m], { generator: gen, dtype: 'float64' }).mul(0.1),
];
const params: [Tensor, Tensor, Tensor, Tensor] = [...layer(sizes[0]!, sizes[1]!), ...layer(sizes[1]!, sizes[2]!)];
const batch = 64;
const X = randn([batch, sizes[0]!], { generator: gen, dtype: 'float64' });
const Y = randint(0, sizes[2]!, [batch], { generator: gen });

/** Cross-entropy of one example (x: [32], y: a 0-d class index) under the MLP with parameters W1, b1, W2, b2. */
function loss(W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor, x: Tensor, y: Tensor): Tensor {
  const logits = add(matmul(relu(add(matmul(x, W1), b1)), W2), b2);
  return neg(sum(gather(logSoftmax(logits, -1), 0, reshape(y, [1]))));
}

const argnums = [0, 1, 2, 3];
const perSample = vmap(grad(loss, { argnums }), { inAxes: [null, null, null, null, 0, 0] });

const t0 = performance.now();
const grads = perSample(...params, X, Y) as Tensor[];
const tVmap = performance.now() - t0;

const t1 = performance.now();
const rows = Array.from({ length: batch }, (_, i) => {
  const x = reshape(slice(X, [i], [i + 1]), [sizes[0]!]);
  const y = reshape(slice(Y, [i], [i + 1]), []);
  return grad(loss, { argnums })(...params, x, y);
});
const looped = argnums.map((k) => stack(rows.map((r) => r[k]!), 0));
const tLoop = performance.now() - t1;

grads.forEach((g, k) => {
  const gap = g.sub(looped[k]!).abs().max().item();
  console.log(`parameter ${k}: per-sample gradients ${JSON.stringify(g.shape)}, max |vmap - loop| = ${gap.toExponential(1)}`);
});
// Each example's gradient norm over all parameters: what DP-SGD clips.
const norms = grads.map((g) => sum(g.mul(g), g.shape.slice(1).map((_, d) => d + 1))).reduce((a, b) => add(a, b)).sqrt();
console.log(`per-example gradient norms: min ${norms.min().item().toFixed(3)}, max ${norms.max().item().toFixed(3)}`);
console.log(`vmap ${tVmap.toFixed(1)} ms, loop over ${batch} examples ${tLoop.toFixed(1)} ms (first calls, unwarmed)`);
