/**
 * A physics-informed neural network: a small tanh MLP u(x) learns the solution of
 *     u''(x) = -pi^2 sin(pi x) on [-1, 1],  u(-1) = u(1) = 0      (exact solution: sin(pi x))
 * from the equation alone, no samples of the solution. The loss needs u'' at collocation points,
 * so it differentiates u twice with grad, and backward of that loss then reaches the parameters u
 * closes over through both derivatives.
 * Run from the repo root after `pnpm build`:  pnpm tsx docs/examples/pinn.ts
 */
import {
  Adam, Generator, add, backward, grad, linspace, matmul, mean, mul, noGrad, pow, randn, reshape, sin, squeeze, sub, tanh, tensor, vmap,
  zeros, type Tensor,
} from 'tapegrad';

const gen = new Generator(7);
const layer = (n: number, m: number): Tensor[] => [
  randn([n, m], { generator: gen, dtype: 'float64' }).mul(Math.sqrt(1 / n)).requiresGrad_(),
  zeros([m], { dtype: 'float64' }).requiresGrad_(),
];
const params = [...layer(1, 20), ...layer(20, 20), ...layer(20, 1)];

/** The network at one point x (a 0-d tensor), closing over the parameters. */
function u(x: Tensor): Tensor {
  let h = reshape(x, [1, 1]);
  for (let i = 0; i < params.length; i += 2) {
    h = add(matmul(h, params[i]!), params[i + 1]!);
    if (i + 2 < params.length) h = tanh(h);
  }
  return squeeze(h);
}

// u'' at every collocation point at once: vmap over the points of grad(grad(u)).
const uxx = vmap(grad(grad(u)));
const xs = linspace(-1, 1, 32, { dtype: 'float64' });
const boundary = tensor([-1, 1], { dtype: 'float64' });

function loss(): Tensor {
  const residual = add(uxx(xs), mul(sin(mul(xs, Math.PI)), Math.PI ** 2));
  return add(mean(pow(residual, 2)), mean(pow(vmap(u)(boundary), 2)));
}

const opt = new Adam(params, { lr: 0.01 });
const steps = Number(process.argv[2] ?? 400);
for (let step = 0; step <= steps; step++) {
  opt.zeroGrad();
  const l = loss();
  if (step % 100 === 0) console.log(`step ${String(step).padStart(4)}  loss ${l.item().toExponential(3)}`);
  if (step === steps) break;
  backward(l);
  opt.step();
}

const test = linspace(-1, 1, 101, { dtype: 'float64' });
const error = noGrad(() => sub(vmap(u)(test), sin(mul(test, Math.PI))).abs().max().item());
console.log(`max |u(x) - sin(pi x)| on [-1, 1]: ${error.toFixed(4)}`);
