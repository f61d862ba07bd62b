/**
 * The course's activations and their derivatives, g'(z) written from g's own output where it can
 * be, checked against tapegrad's grad() at a few points.
 * Run from the repo root after `pnpm build`:  pnpm tsx docs/examples/activation-derivatives.ts
 */
import { grad, leakyRelu, linspace, relu, sigmoid, sub, sum, tanh, type Tensor } from 'tapegrad';

// Points away from 0, where ReLU's derivative is not defined (tapegrad uses 0 there, as PyTorch).
const z = linspace(-3, 3, 6, { dtype: 'float64' });

const table: [string, (z: Tensor) => Tensor, (z: Tensor) => Tensor][] = [
  ['sigmoid', sigmoid, (z) => { const a = sigmoid(z); return a.mul(sub(1, a)); }],           // g' = a (1 - a)
  ['tanh', tanh, (z) => { const a = tanh(z); return sub(1, a.mul(a)); }],                    // g' = 1 - a^2
  ['relu', relu, (z) => z.gt(0).to('float64')],                                              // g' = 1 if z > 0 else 0
  ['leaky relu', (z) => leakyRelu(z, 0.01), (z) => z.gt(0).to('float64').mul(0.99).add(0.01)], // g' = 1 if z > 0 else 0.01
];

console.log(`z = ${JSON.stringify(z.toArray())}`);
for (const [name, g, gPrime] of table) {
  // The sum's gradient is the elementwise derivative: each z_i only affects g(z_i).
  const auto = grad((t: Tensor) => sum(g(t)))(z) as Tensor;
  const gap = sub(auto, gPrime(z)).abs().max().item();
  const shown = (auto.toArray() as number[]).map((v) => Number(v.toFixed(4)));
  console.log(`${name.padEnd(10)} g'(z) = ${JSON.stringify(shown)}  max |autograd - formula| = ${gap.toExponential(1)}`);
}
