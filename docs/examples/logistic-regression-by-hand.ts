/**
 * Logistic regression in the course's notation, gradients by hand next to tapegrad's.
 * Run from the repo root after `pnpm build`:  pnpm tsx docs/examples/logistic-regression-by-hand.ts
 */
import { Generator, grad, log, matmul, mean, mul, rand, randn, sigmoid, sub, sum, tensor, zeros, type Tensor } from 'tapegrad';

const generator = new Generator(0);
const nx = 3, m = 200;

// Data: one example per column. Two Gaussian blobs, y = 1 for the blob around (+1, +1, +1).
const Y = rand([1, m], { generator, dtype: 'float64' }).gt(0.5).to('float64');   // (1, m)
const X = randn([nx, m], { generator, dtype: 'float64' }).add(Y.mul(2).sub(1));    // (n_x, m): the (1, m) shift broadcasts down the n_x rows

// Parameters.
let w = zeros([nx, 1], { dtype: 'float64' });   // (n_x, 1)
let b = tensor(0, { dtype: 'float64' });          // a scalar, broadcast over the m columns

/** J(w, b) = -(1/m) sum(Y log A + (1 - Y) log(1 - A)),  A = sigmoid(w^T X + b). */
function cost(w: Tensor, b: Tensor): Tensor {
  const A = sigmoid(matmul(w.T, X).add(b));      // (1, m)
  return mul(sum(mul(Y, log(A)).add(mul(sub(1, Y), log(sub(1, A))))), -1 / m);
}

const alpha = 0.5;
for (let i = 0; i <= 300; i++) {
  // The course's formulas...
  const A = sigmoid(matmul(w.T, X).add(b));
  const dZ = sub(A, Y);                          // dZ = A - Y            (1, m)
  const dwByHand = matmul(X, dZ.T).div(m);       // dw = (1/m) X dZ^T     (n_x, 1)
  const dbByHand = mean(dZ);                     // db = (1/m) sum(dZ)    scalar
  // ...and autograd.
  const [dw, db] = grad(cost, { argnums: [0, 1] })(w, b) as [Tensor, Tensor];
  const gap = Math.max(sub(dw, dwByHand).abs().max().item(), Math.abs(db.item() - dbByHand.item()));
  if (i % 100 === 0) console.log(`iteration ${i}: J = ${cost(w, b).item().toFixed(6)}, |autograd - by hand| = ${gap.toExponential(1)}`);
  // Gradient descent.
  w = w.sub(dw.mul(alpha));
  b = b.sub(db.mul(alpha));
}

const A = sigmoid(matmul(w.T, X).add(b));
const accuracy = A.gt(0.5).eq(Y.gt(0.5)).to('float64').mean().item();
console.log(`w = ${JSON.stringify((w.toArray() as number[][]).map((r) => Number(r[0]!.toFixed(3))))}, b = ${b.item().toFixed(3)}`);
console.log(`training accuracy: ${(100 * accuracy).toFixed(1)}%`);
