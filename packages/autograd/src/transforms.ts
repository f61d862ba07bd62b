import { Tensor, mul, sum, tensor, zeros, zerosLike, add } from '@tapegrad/tensor';
import { isGradEnabled, withGradMode } from '@tapegrad/tensor/internal';
import { walk } from './backward.js';

/** Runs `fn` without recording: nothing computed inside requires grad. `fn` must be synchronous. */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}

/** How many transforms are currently evaluating their function: nested ones must keep their graphs. */
let depth = 0;

function traced<T>(fn: () => T): T {
  depth++;
  try {
    return withGradMode(true, fn);
  } finally {
    depth--;
  }
}

function describeArg(x: unknown): string {
  return x instanceof Tensor ? `a ${x.dtype} tensor` : typeof x;
}

/**
 * A primal to differentiate with respect to: a tensor that already requires grad is used as is (so
 * an enclosing transform sees through), anything else becomes a fresh leaf that requires grad.
 */
function primal(x: unknown, op: string, i: number): Tensor {
  const t = x instanceof Tensor ? x : typeof x === 'number' ? tensor(x, { dtype: 'float64' }) : null;
  if (t === null || (t.dtype !== 'float32' && t.dtype !== 'float64')) {
    throw new TypeError(`${op}: argument ${i} must be a float32/float64 tensor (or a number) to differentiate, got ${describeArg(x)}`);
  }
  return t.requiresGrad ? t : t.detach().requiresGrad_(true);
}

/**
 * Cotangents of `outputs` (seeded with `seeds`) with respect to `inputs`, as new tensors; no `.grad`
 * is touched. Inputs the outputs do not depend on get zeros.
 */
export function gradients(outputs: readonly Tensor[], inputs: readonly Tensor[], seeds: readonly Tensor[], createGraph: boolean): Tensor[] {
  const roots = outputs.filter((o) => o.requiresGrad);
  const rootSeeds = seeds.filter((_, i) => outputs[i]!.requiresGrad);
  const grads = walk(roots, rootSeeds, { createGraph, capture: new Set(inputs) });
  return inputs.map((x) => grads.get(x) ?? zerosLike(x));
}

type Fn = (...args: never[]) => Tensor;
/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  argnums?: number | number[];
}

function argnumList(argnums: number | number[] | undefined, n: number, op: string): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : argnums;
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= n) throw new RangeError(`${op}: argnums ${JSON.stringify(argnums)} out of range for ${n} arguments`);
  }
  return list;
}

function evaluate(f: Fn, args: unknown[], nums: number[], op: string): { xs: unknown[]; chosen: Tensor[]; out: Tensor; createGraph: boolean } {
  const xs = args.slice();
  const outer = depth > 0 && isGradEnabled();
  let createGraph = outer;
  const chosen = nums.map((i) => {
    if (args[i] instanceof Tensor && args[i].requiresGrad) createGraph = true;
    const p = primal(args[i], op, i);
    xs[i] = p;
    return p;
  });
  const out = traced(() => (f as (...a: unknown[]) => Tensor)(...xs));
  if (!(out instanceof Tensor) || out.size !== 1) {
    throw new TypeError(`${op}: the function must return a one-element tensor, got ${out instanceof Tensor ? `shape [${out.shape.join(',')}]` : typeof out}`);
  }
  return { xs, chosen, out, createGraph };
}

/**
 * The gradient of a scalar-valued `f` with respect to the arguments in `argnums` (default 0), as a
 * function of the same arguments. Works whether or not the arguments require grad, and nests:
 * `grad(grad(f))` is the second derivative.
 */
export function grad<F extends Fn>(f: F, opts: GradOptions = {}): (...args: Parameters<F>) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, opts);
  return (...args) => vg(...args)[1];
}

/** Like `grad`, but also returns f's value: `[value, grads]`. */
export function valueAndGrad<F extends Fn>(f: F, opts: GradOptions = {}): (...args: Parameters<F>) => [Tensor, Tensor | Tensor[]] {
  return (...args) => {
    const nums = argnumList(opts.argnums, args.length, 'grad');
    const { chosen, out, createGraph } = evaluate(f, args, nums, 'grad');
    const seed = zerosLike(out).add(1);
    const gs = gradients([out], chosen, [seed], createGraph);
    const value = createGraph ? out : out.detach();
    return [value, typeof opts.argnums === 'object' ? gs : gs[0]!];
  };
}

/**
 * Evaluates f at the primals and returns its output with a function mapping an output cotangent
 * to one cotangent per primal (J^T u).
 */
export function vjp(f: (...xs: Tensor[]) => Tensor, ...primals: Tensor[]): { out: Tensor; vjp(cotangent: Tensor): Tensor[] } {
  const createGraph = depth > 0 && isGradEnabled();
  const xs = primals.map((p, i) => primal(p, 'vjp', i));
  const out = traced(() => f(...xs));
  return {
    out: createGraph ? out : out.detach(),
    vjp(cotangent: Tensor): Tensor[] {
      if (cotangent.shape.length !== out.shape.length || cotangent.shape.some((d, i) => d !== out.shape[i])) {
        throw new RangeError(`vjp: cotangent shape [${cotangent.shape.join(',')}] does not match the output's [${out.shape.join(',')}]`);
      }
      return gradients([out], xs, [cotangent], createGraph || cotangent.requiresGrad);
    },
  };
}

/**
 * Forward-mode product J v: f's output and its directional derivative along `tangents`.
 * Built on two reverse passes: g(u) = J^T u is linear in u, so d<g(u), v>/du = J v.
 */
export function jvp(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): { out: Tensor; tangent: Tensor } {
  if (primals.length !== tangents.length) {
    throw new RangeError(`jvp: got ${primals.length} primals but ${tangents.length} tangents`);
  }
  const createGraph = depth > 0 && isGradEnabled();
  const xs = primals.map((p, i) => primal(p, 'jvp', i));
  tangents.forEach((v, i) => {
    if (v.shape.length !== xs[i]!.shape.length || v.shape.some((d, k) => d !== xs[i]!.shape[k])) {
      throw new RangeError(`jvp: tangent ${i} has shape [${v.shape.join(',')}], primal has [${xs[i]!.shape.join(',')}]`);
    }
  });
  const out = traced(() => f(...xs));
  if (!out.requiresGrad) return { out, tangent: zerosLike(out) };
  const u = zeros(out.shape, { dtype: out.dtype }).requiresGrad_(true);
  const gs = traced(() => gradients([out], xs, [u], true));
  const inner = traced(() => gs.reduce<Tensor | null>((acc, g, i) => {
    const term = sum(mul(g, tangents[i]!));
    return acc === null ? term : add(acc, term);
  }, null)!);
  const [tangent] = gradients([inner], [u], [zerosLike(inner).add(1)], createGraph);
  return { out: createGraph ? out : out.detach(), tangent: tangent! };
}
