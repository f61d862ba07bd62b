/**
 * The course's hand-derived backpropagation formulas, checked against tapegrad's autograd in
 * float64. Notation: X (n_x, m), Y (1, m), Z = W X + b, dZ = A - Y.
 */
import { describe, expect, it } from 'vitest';
import {
  Generator, backward, grad, log, matmul, mean, mul, rand, randn, relu, sigmoid, sub, sum, tanh, tensor, type Tensor,
} from 'tapegrad';
import { cost as logisticCost } from '../../packages/examples/src/logistic-regression.js';
import { costShallow, type ShallowParams } from '../../packages/examples/src/shallow-network.js';
import { costDeep, type Activation } from '../../packages/examples/src/deep-network.js';

const f64 = { dtype: 'float64' as const };

function maxAbsDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.data(), y = b.data();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  return worst;
}

function expectClose(a: Tensor, b: Tensor, tol = 1e-10): void {
  expect(a.dtype).toBe('float64');
  expect(maxAbsDiff(a, b)).toBeLessThanOrEqual(tol);
}

/** Random 0/1 labels of shape (1, m), float64. */
function labels(m: number, generator: Generator): Tensor {
  return rand([1, m], { ...f64, generator }).gt(0.5).to('float64');
}

/** The course's cost, literally: J = -(1/m) sum(Y log A + (1 - Y) log(1 - A)). */
function crossEntropy(A: Tensor, Y: Tensor): Tensor {
  const m = Y.shape[1]!;
  return mul(sum(mul(Y, log(A)).add(mul(sub(1, Y), log(sub(1, A))))), -1 / m);
}

describe('logistic regression: dJ/dw = (1/m) X (A - Y)^T, dJ/db = mean(A - Y)', () => {
  const generator = new Generator(11);
  const nx = 6, m = 9;
  const X = randn([nx, m], { ...f64, generator });
  const Y = labels(m, generator);
  const w = randn([nx, 1], { ...f64, generator }).mul(0.5);
  const b = tensor(0.3, f64);
  const A = sigmoid(matmul(w.T, X).add(b));
  const dZ = sub(A, Y);
  const dwByHand = matmul(X, dZ.T).div(m);
  const dbByHand = mean(dZ);

  it('autograd of the literal course cost gives the hand-derived gradients', () => {
    const J = (w_: Tensor, b_: Tensor): Tensor => crossEntropy(sigmoid(matmul(w_.T, X).add(b_)), Y);
    const [dw, db] = grad(J, { argnums: [0, 1] })(w, b) as [Tensor, Tensor];
    expect(dw.shape).toEqual([nx, 1]);
    expect(db.shape).toEqual([]);
    expectClose(dw, dwByHand);
    expectClose(db, dbByHand);
  });

  it('the example\'s stable cost (through Z, with softplus) is the same function with the same gradients', () => {
    const J = logisticCost(w, b, X, Y);
    expect(Math.abs(J.item() - crossEntropy(A, Y).item())).toBeLessThanOrEqual(1e-12);
    const [dw, db] = grad(logisticCost, { argnums: [0, 1] })(w, b, X, Y) as [Tensor, Tensor];
    expectClose(dw, dwByHand);
    expectClose(db, dbByHand);
  });

  it('the vectorized gradient equals the course\'s loop over the m examples', () => {
    const x = X.toArray() as number[][];
    const a = (A.toArray() as number[][])[0]!;
    const y = (Y.toArray() as number[][])[0]!;
    const dw = new Array<number>(nx).fill(0);
    let db = 0;
    for (let i = 0; i < m; i++) {
      const dz = a[i]! - y[i]!;
      for (let j = 0; j < nx; j++) dw[j]! += x[j]![i]! * dz;
      db += dz;
    }
    expectClose(tensor(Float64Array.from(dw.map((v) => v / m)), { shape: [nx, 1] }), dwByHand, 1e-13);
    expect(Math.abs(db / m - dbByHand.item())).toBeLessThanOrEqual(1e-13);
  });
});

describe('two-layer network (tanh hidden layer, sigmoid output): the course\'s backprop', () => {
  const generator = new Generator(5);
  const nx = 3, nh = 4, m = 8;
  const X = randn([nx, m], { ...f64, generator });
  const Y = labels(m, generator);
  const p: ShallowParams = {
    W1: randn([nh, nx], { ...f64, generator }).mul(0.8),
    b1: randn([nh, 1], { ...f64, generator }).mul(0.1),
    W2: randn([1, nh], { ...f64, generator }).mul(0.8),
    b2: randn([1, 1], { ...f64, generator }).mul(0.1),
  };
  // Forward propagation.
  const Z1 = matmul(p.W1, X).add(p.b1);
  const A1 = tanh(Z1);
  const A2 = sigmoid(matmul(p.W2, A1).add(p.b2));
  // Backward propagation, by hand.
  const dZ2 = sub(A2, Y);
  const dW2 = matmul(dZ2, A1.T).div(m);
  const db2 = sum(dZ2, 1, true).div(m);
  const dZ1 = mul(matmul(p.W2.T, dZ2), sub(1, mul(A1, A1)));
  const dW1 = matmul(dZ1, X.T).div(m);
  const db1 = sum(dZ1, 1, true).div(m);

  it('backward() of the literal cost fills .grad with dW1, db1, dW2, db2', () => {
    const leaves = [p.W1, p.b1, p.W2, p.b2].map((t) => t.detach().requiresGrad_(true)) as [Tensor, Tensor, Tensor, Tensor];
    const [W1, b1, W2, b2] = leaves;
    const J = crossEntropy(sigmoid(matmul(W2, tanh(matmul(W1, X).add(b1))).add(b2)), Y);
    backward(J);
    expectClose(W1.grad!, dW1);
    expectClose(b1.grad!, db1);
    expectClose(W2.grad!, dW2);
    expectClose(b2.grad!, db2);
    expect(b1.grad!.shape).toEqual([nh, 1]);
  });

  it('grad() of the shallow-network example\'s cost gives the same four gradients', () => {
    const J = (W1: Tensor, b1: Tensor, W2: Tensor, b2: Tensor): Tensor => costShallow({ W1, b1, W2, b2 }, X, Y, 'tanh');
    const gs = grad(J, { argnums: [0, 1, 2, 3] })(p.W1, p.b1, p.W2, p.b2) as Tensor[];
    [dW1, db1, dW2, db2].forEach((want, i) => expectClose(gs[i]!, want));
  });

  it('dZ1 is the gradient of J with respect to Z1 (the intermediate the formulas are built on)', () => {
    const [gZ1] = grad((z1: Tensor) => crossEntropy(sigmoid(matmul(p.W2, tanh(z1)).add(p.b2)), Y), { argnums: [0] })(Z1) as Tensor[];
    // dZ1 above is per-example (without the 1/m); J averages over m.
    expectClose(gZ1!.mul(m), dZ1);
  });
});

describe('L-layer network: dZ[l] = W[l+1]^T dZ[l+1] * g\'[l](Z[l]), dW[l] = (1/m) dZ[l] A[l-1]^T', () => {
  it('the deep-network example\'s gradients match the general backward recursion', () => {
    const generator = new Generator(3);
    const layers = [5, 4, 3, 1];
    const g: Activation[] = ['relu', 'tanh', 'sigmoid'];
    const m = 7;
    const X = randn([layers[0]!, m], { ...f64, generator });
    const Y = labels(m, generator);
    const params: Tensor[] = [];
    for (let l = 1; l < layers.length; l++) {
      params.push(randn([layers[l]!, layers[l - 1]!], { ...f64, generator }));
      params.push(randn([layers[l]!, 1], { ...f64, generator }).mul(0.1));
    }
    // Forward, keeping the caches Z[l] and A[l].
    const A: Tensor[] = [X], Z: Tensor[] = [X];
    for (let l = 1; l < layers.length; l++) {
      Z[l] = matmul(params[2 * l - 2]!, A[l - 1]!).add(params[2 * l - 1]!);
      A[l] = g[l - 1] === 'relu' ? relu(Z[l]!) : g[l - 1] === 'tanh' ? tanh(Z[l]!) : sigmoid(Z[l]!);
    }
    const L = layers.length - 1;
    const gPrime = (l: number): Tensor => (g[l - 1] === 'relu' ? Z[l]!.gt(0).to('float64') : sub(1, mul(A[l]!, A[l]!)));
    // Backward, for l = L down to 1.
    const byHand: Tensor[] = new Array(2 * L);
    let dZ = sub(A[L]!, Y);
    for (let l = L; l >= 1; l--) {
      byHand[2 * l - 2] = matmul(dZ, A[l - 1]!.T).div(m);
      byHand[2 * l - 1] = sum(dZ, 1, true).div(m);
      if (l > 1) dZ = mul(matmul(params[2 * l - 2]!.T, dZ), gPrime(l - 1));
    }
    const gs = grad((...ps: Tensor[]) => costDeep(ps, g, X, Y), { argnums: params.map((_, i) => i) })(...params) as Tensor[];
    gs.forEach((got, i) => expectClose(got, byHand[i]!));
  });
});
