/**
 * The course's two-layer network (tanh hidden layer, sigmoid output): forward propagation,
 * backpropagation by hand, and the same gradients from tapegrad's backward().
 * Run from the repo root after `pnpm build`:  pnpm tsx docs/examples/two-layer-backprop.ts
 */
import { Generator, backward, log, matmul, mul, rand, randn, sigmoid, sub, sum, tanh, zeros, type Tensor } from 'tapegrad';

const generator = new Generator(1);
const f64 = { dtype: 'float64' as const };
const nx = 2, nh = 4, ny = 1, m = 5;
const X = randn([nx, m], { ...f64, generator });                           // (n_x, m)
const Y = rand([ny, m], { ...f64, generator }).gt(0.5).to('float64');      // (1, m)

// Parameters: small random W (break the symmetry), zero b.
const W1 = randn([nh, nx], { ...f64, generator }).mul(0.5).requiresGrad_(true);   // (n_h, n_x)
const b1 = zeros([nh, 1], { ...f64, requiresGrad: true });                        // (n_h, 1)
const W2 = randn([ny, nh], { ...f64, generator }).mul(0.5).requiresGrad_(true);   // (n_y, n_h)
const b2 = zeros([ny, 1], { ...f64, requiresGrad: true });                        // (n_y, 1)

// Forward propagation.
const Z1 = matmul(W1, X).add(b1);     // (n_h, m): b1 is broadcast over the m columns
const A1 = tanh(Z1);
const Z2 = matmul(W2, A1).add(b2);    // (1, m)
const A2 = sigmoid(Z2);
const J = mul(sum(mul(Y, log(A2)).add(mul(sub(1, Y), log(sub(1, A2))))), -1 / m);

// Backward propagation by hand (detached: plain numbers, nothing recorded).
const [a1, a2, w2] = [A1.detach(), A2.detach(), W2.detach()];
const dZ2 = sub(a2, Y);                                    // dZ2 = A2 - Y
const dW2 = matmul(dZ2, a1.T).div(m);                      // dW2 = (1/m) dZ2 A1^T
const db2 = sum(dZ2, 1, true).div(m);                      // db2 = (1/m) sum(dZ2, axis=1, keepdims)
const dZ1 = mul(matmul(w2.T, dZ2), sub(1, mul(a1, a1)));   // dZ1 = W2^T dZ2 * g1'(Z1), g1' = 1 - A1^2 for tanh
const dW1 = matmul(dZ1, X.T).div(m);                       // dW1 = (1/m) dZ1 X^T
const db1 = sum(dZ1, 1, true).div(m);                      // db1 = (1/m) sum(dZ1, axis=1, keepdims)

// Backward propagation by tapegrad.
backward(J);

const rows: [string, Tensor, Tensor][] = [['dW1', W1.grad!, dW1], ['db1', b1.grad!, db1], ['dW2', W2.grad!, dW2], ['db2', b2.grad!, db2]];
console.log(`J = ${J.item().toFixed(6)}`);
for (const [name, auto, hand] of rows) {
  const gap = sub(auto, hand).abs().max().item();
  console.log(`${name.padEnd(4)} shape [${auto.shape.join(',')}]  max |autograd - by hand| = ${gap.toExponential(1)}`);
}
