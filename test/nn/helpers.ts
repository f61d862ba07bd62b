import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { add, backward, checkGrad, mul, sum, tensor, type CheckGradResult, type DType, type Tensor } from 'tapegrad';
import { Module, functionalCall } from '@tapegrad/nn';

/** A tensor as the fixture scripts write it: flat row-major data, non-finite numbers as strings. */
export interface EncodedTensor {
  shape: number[];
  dtype: 'float32' | 'float64' | 'int32' | 'int64' | 'bool';
  data: (number | string | boolean)[];
}

const SPECIAL: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };

/** Decodes a fixture tensor (int64 becomes int32; `as` converts floats). */
export function decode(e: EncodedTensor, as?: DType): Tensor {
  const values = e.data.map((v) => (typeof v === 'string' ? SPECIAL[v]! : Number(v)));
  const dtype: DType = e.dtype === 'int64' ? 'int32' : e.dtype;
  const target = as !== undefined && (dtype === 'float32' || dtype === 'float64') ? as : dtype;
  return tensor(values, { dtype: target, shape: e.shape });
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url)), 'utf8')) as T;
}

/**
 * Expects actual to equal expected elementwise within atol + rtol * |expected| (same shape; equal
 * infinities and NaNs match), naming the first offending element.
 */
export function expectClose(actual: Tensor, expected: Tensor, tol: number, what: string): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const a = actual.data();
  const b = expected.data();
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (Number.isNaN(y) ? Number.isNaN(x) : x === y) continue;
    const excess = Math.abs(x - y) - (tol + tol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${a[worst]}, expected ${b[worst]} (tolerance ${tol}; ${countBad(a, b, tol)} of ${b.length} elements off)`);
  }
}

function countBad(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const x = a[i]!, y = b[i]!;
    if (Number.isNaN(y) ? Number.isNaN(x) : x === y) continue;
    if (!(Math.abs(x - y) <= tol + tol * Math.abs(y))) n++;
  }
  return n;
}

/** Runs `run(inner, ...xs)` as its forward, so functionalCall can drive any way of calling a module. */
class Runner extends Module {
  constructor(readonly inner: Module, readonly run: (m: Module, ...xs: Tensor[]) => Tensor) {
    super();
  }
  override forward(...xs: Tensor[]): Tensor {
    return this.run(this.inner, ...xs);
  }
}

/**
 * Gradient check of a module in float64 through autograd's checkGrad: the float inputs and every
 * parameter are the checked arguments (parameters substituted with functionalCall).
 */
export function checkModuleGrad(
  m: Module,
  inputs: Tensor[],
  run: (m: Module, ...xs: Tensor[]) => Tensor = (mod, ...xs) => (mod.forward as (...a: Tensor[]) => Tensor)(...xs),
): CheckGradResult {
  const runner = new Runner(m.to('float64'), run);
  const named = runner.namedParameters();
  const f = (...ts: Tensor[]): Tensor => {
    const subst = Object.fromEntries(named.map(([n], i) => [n, ts[inputs.length + i]!]));
    return functionalCall(runner, subst, ...ts.slice(0, inputs.length));
  };
  return checkGrad(f, [...inputs.map((x) => x.to('float64')), ...named.map(([, p]) => p)]);
}

/** One layer case of a PyTorch fixture (see test/nn/torch/make_nn_fixtures.py). */
export interface LayerCase {
  name: string;
  dtype: 'float32' | 'float64';
  mode: 'train' | 'eval';
  state: Record<string, EncodedTensor>;
  inputs: EncodedTensor[];
  outputs: EncodedTensor[];
  cotangents: EncodedTensor[];
  paramGrads: Record<string, EncodedTensor>;
  /** null for inputs PyTorch did not differentiate (indices, masks). */
  inputGrads: (EncodedTensor | null)[];
  stateAfter?: Record<string, EncodedTensor>;
}

/** How a case calls its module: the outputs, in the fixture's order. */
export type Run = (m: Module, ...xs: Tensor[]) => Tensor[];

/**
 * Loads PyTorch's state dict into `model` (strictly, after converting it to the case's dtype) and
 * checks the state-dict and parameter names and order, the outputs, the gradients of
 * <outputs, cotangents> with respect to every parameter and differentiated input, and the buffers
 * after the forward pass, to `tol`.
 */
export function checkLayerCase(c: LayerCase, made: Module, run: Run, tol: number): void {
  const model = made.to(c.dtype);
  model.loadStateDict(Object.fromEntries(Object.entries(c.state).map(([k, v]) => [k, decode(v)])));
  model.train(c.mode === 'train');
  // Same names, in PyTorch's order.
  expect(Object.keys(model.stateDict())).toEqual(Object.keys(c.state));
  expect(model.namedParameters().map(([n]) => n)).toEqual(Object.keys(c.paramGrads));

  const xs = c.inputs.map((e) => decode(e));
  xs.forEach((x, i) => {
    if (c.inputGrads[i] !== null && (x.dtype === 'float32' || x.dtype === 'float64')) x.requiresGrad_(true);
  });
  const outs = run(model, ...xs);
  expect(outs.length).toBe(c.outputs.length);
  outs.forEach((o, i) => expectClose(o, decode(c.outputs[i]!), tol, `output ${i}`));

  const total = outs.map((o, i) => sum(mul(o, decode(c.cotangents[i]!)))).reduce((a, b) => add(a, b));
  backward(total);
  for (const [name, p] of model.namedParameters()) {
    expect(p.grad, `gradient of ${name}`).not.toBeNull();
    expectClose(p.grad!, decode(c.paramGrads[name]!), tol, `gradient of ${name}`);
  }
  c.inputGrads.forEach((g, i) => {
    if (g === null) return;
    expect(xs[i]!.grad, `gradient of input ${i}`).not.toBeNull();
    expectClose(xs[i]!.grad!, decode(g), tol, `gradient of input ${i}`);
  });
  if (c.stateAfter !== undefined) {
    const after = model.stateDict();
    for (const [k, v] of Object.entries(c.stateAfter)) expectClose(after[k]!, decode(v), tol, `${k} after the forward pass`);
  }
}
