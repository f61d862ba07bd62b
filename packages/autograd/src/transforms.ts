import { ShapeError, Tensor, onesLike, tensor, zerosLike } from '@tapegrad/tensor';
import { fmtShape, isGradEnabled, sameShape, withGradMode } from '@tapegrad/tensor/internal';
import { pullback, walk } from './backward.js';
import { beginCall, callGraph, dependsOnGrad, describeValue, tensorOutputs, type TransformCall } from './levels.js';

export { noGrad, enableGrad } from './modes.js';

/** Throws a TypeError unless `f` is a function. */
export function checkFunction(f: unknown, op: string): void {
  if (typeof f !== 'function') throw new TypeError(`${op}: expected a function to transform, got ${describeValue(f)}`);
}

/** Checks one argument to differentiate: a float tensor (a plain number becomes a float64 scalar). */
export function differentiable(x: unknown, op: string, what: string): Tensor {
  const t = x instanceof Tensor ? x : typeof x === 'number' ? tensor(x, { dtype: 'float64' }) : null;
  if (t === null || (t.dtype !== 'float32' && t.dtype !== 'float64')) {
    throw new TypeError(`${op}: ${what} must be a float32/float64 tensor (or a number) to differentiate, got ${describeValue(x)}`);
  }
  return t;
}

/** Checks that `xs` is an array of float tensors, naming the transform and what the array holds. */
export function tensorList(xs: unknown, op: string, what: string): Tensor[] {
  if (!Array.isArray(xs)) throw new TypeError(`${op}: expected ${what} as an array of tensors, got ${describeValue(xs)}`);
  return xs.map((x, i) => differentiable(x, op, `${what}[${i}]`));
}

/**
 * Cotangents (or tangents) given for `like`, one per tensor, of the same shapes: a single tensor when
 * `single`, else an array of as many. A wrong kind is a TypeError, a wrong shape a ShapeError.
 */
export function matching(given: unknown, like: readonly Tensor[], single: boolean, op: string, what: string): Tensor[] {
  if (single ? !(given instanceof Tensor) : !Array.isArray(given)) {
    throw new TypeError(`${op}: expected ${what} as ${single ? 'a Tensor' : `an array of ${like.length} Tensors`}, got ${describeValue(given)}`);
  }
  const arr = (single ? [given] : given) as unknown[];
  if (arr.length !== like.length) throw new TypeError(`${op}: expected ${like.length} ${what}, got ${arr.length}`);
  return arr.map((t, i) => {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: expected ${what}[${i}] to be a Tensor, got ${describeValue(t)}`);
    if (!sameShape(t.shape, like[i]!.shape)) {
      throw new ShapeError(`${op}: ${what}${single ? '' : `[${i}]`} has shape ${fmtShape(t.shape)}, expected ${fmtShape(like[i]!.shape)}`);
    }
    return t;
  });
}

/**
 * Cotangents of `outputs` (seeded with `seeds`) with respect to `inputs` (leaves or intermediates),
 * as new tensors; no `.grad` is touched. Inputs the outputs do not depend on get zeros.
 */
export function gradients(outputs: readonly Tensor[], inputs: readonly Tensor[], seeds: readonly Tensor[], createGraph: boolean): Tensor[] {
  const roots = outputs.filter((o) => o.requiresGrad);
  const rootSeeds = seeds.filter((_, i) => outputs[i]!.requiresGrad);
  const grads = walk(roots, rootSeeds, { createGraph, capture: new Set(inputs) });
  return inputs.map((x) => grads.get(x) ?? zerosLike(x));
}

/** Runs a transform's function on its primals, recording (the sweep needs the graph). */
export function runTraced<T>(fn: () => T): T {
  return withGradMode(true, fn);
}

/** Detaches the tensors in a value (a tensor, or arrays and plain objects of them); the rest is kept. */
function detachAll<T>(v: T): T {
  if (v instanceof Tensor) return v.detach() as T;
  if (Array.isArray(v)) return v.map(detachAll) as T;
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, detachAll(x)])) as T;
  }
  return v;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Args = any[];

/** Options of {@link grad} and {@link valueAndGrad}. */
export interface GradOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  argnums?: number | number[];
  /** `f` returns `[value, aux]`: the transform returns `aux` beside its result, undifferentiated. */
  hasAux?: boolean;
}
type One = { argnums?: number; hasAux?: false };
type Many = { argnums: number[]; hasAux?: false };
type OneAux = { argnums?: number; hasAux: true };
type ManyAux = { argnums: number[]; hasAux: true };

/** Validates `argnums` against the number of arguments: a list of distinct argument positions. */
export function argnumList(argnums: unknown, n: number, op: string): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : argnums;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`${op}: expected argnums as an integer or a non-empty array of integers, got ${describeValue(argnums)}`);
  }
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= n) throw new RangeError(`${op}: argnums ${JSON.stringify(argnums)} out of range for ${n} arguments`);
  }
  if (new Set(list).size !== list.length) throw new RangeError(`${op}: argnums ${JSON.stringify(argnums)} repeats an argument`);
  return list as number[];
}

/** Validates a transform's options object. */
export function checkOptions<O extends object>(opts: unknown, op: string, what: string): O {
  if (opts === undefined) return {} as O;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) throw new TypeError(`${op}: expected options ${what}, got ${describeValue(opts)}`);
  return opts as O;
}

/** The value of a scalar function and its gradients, for grad and valueAndGrad. */
function valueAndGradients(f: (...a: Args) => unknown, opts: GradOptions, args: Args, op: string): [Tensor, Tensor[], unknown] {
  const nums = argnumList(opts.argnums, args.length, op);
  const call: TransformCall = beginCall(nums.map((i) => differentiable(args[i], op, `argument ${i}`)));
  const xs = args.slice();
  nums.forEach((i, k) => (xs[i] = call.primals[k]));
  const result = runTraced(() => f(...xs));
  let out: unknown = result;
  let aux: unknown;
  if (opts.hasAux) {
    if (!Array.isArray(result) || result.length !== 2) throw new TypeError(`${op}: with hasAux the function must return [value, aux], got ${describeValue(result)}`);
    [out, aux] = result;
  }
  if (!(out instanceof Tensor) || out.size !== 1) {
    throw new TypeError(`${op}: the function must return a one-element tensor${opts.hasAux ? ' (as the first of [value, aux])' : ''}, got ${out instanceof Tensor ? `shape ${fmtShape(out.shape)}` : describeValue(out)}`);
  }
  const graph = callGraph(call, [out]);
  const gs = pullback(graph, call.primals, [out], [onesLike(out)], graph.external);
  return [graph.external ? out : out.detach(), gs, graph.external ? aux : detachAll(aux)];
}

/**
 * The gradient of a scalar-valued `f` with respect to the arguments in `argnums` (default 0), as a
 * function of the same arguments: one tensor for a number `argnums`, an array for an array. With
 * `hasAux`, `f` returns `[value, aux]` and the result is `[grads, aux]`. Works whether or not the
 * arguments require grad, nests (`grad(grad(f))` is the second derivative), and stays
 * differentiable with respect to any tensor `f` closes over that requires grad.
 */
export function grad<F extends (...args: Args) => Tensor>(f: F, opts?: One): (...args: Parameters<F>) => Tensor;
export function grad<F extends (...args: Args) => Tensor>(f: F, opts: Many): (...args: Parameters<F>) => Tensor[];
export function grad<A extends Args, X>(f: (...args: A) => [Tensor, X], opts: OneAux): (...args: A) => [Tensor, X];
export function grad<A extends Args, X>(f: (...args: A) => [Tensor, X], opts: ManyAux): (...args: A) => [Tensor[], X];
export function grad(f: (...args: Args) => unknown, opts?: GradOptions): (...args: Args) => unknown;
export function grad(f: (...args: Args) => unknown, opts?: GradOptions): (...args: Args) => unknown {
  checkFunction(f, 'grad');
  const o = checkOptions<GradOptions>(opts, 'grad', '{ argnums?, hasAux? }');
  return (...args: Args) => {
    const [, gs, aux] = valueAndGradients(f, o, args, 'grad');
    const g = Array.isArray(o.argnums) ? gs : gs[0]!;
    return o.hasAux ? [g, aux] : g;
  };
}

/** Like `grad`, but also returns f's value: `[value, grads]` (`[[value, aux], grads]` with `hasAux`). */
export function valueAndGrad<F extends (...args: Args) => Tensor>(f: F, opts?: One): (...args: Parameters<F>) => [Tensor, Tensor];
export function valueAndGrad<F extends (...args: Args) => Tensor>(f: F, opts: Many): (...args: Parameters<F>) => [Tensor, Tensor[]];
export function valueAndGrad<A extends Args, X>(f: (...args: A) => [Tensor, X], opts: OneAux): (...args: A) => [[Tensor, X], Tensor];
export function valueAndGrad<A extends Args, X>(f: (...args: A) => [Tensor, X], opts: ManyAux): (...args: A) => [[Tensor, X], Tensor[]];
export function valueAndGrad(f: (...args: Args) => unknown, opts?: GradOptions): (...args: Args) => unknown;
export function valueAndGrad(f: (...args: Args) => unknown, opts?: GradOptions): (...args: Args) => unknown {
  checkFunction(f, 'valueAndGrad');
  const o = checkOptions<GradOptions>(opts, 'valueAndGrad', '{ argnums?, hasAux? }');
  return (...args: Args) => {
    const [value, gs, aux] = valueAndGradients(f, o, args, 'valueAndGrad');
    const g = Array.isArray(o.argnums) ? gs : gs[0]!;
    return [o.hasAux ? [value, aux] : value, g];
  };
}

/** What `vjp` returns: f's output and its pullback. */
export interface VjpResult<O extends Tensor | Tensor[]> {
  out: O;
  /** J^T u: one cotangent per primal, given a cotangent shaped like `out` (a tensor, or an array of them). */
  vjp(cotangent: O): Tensor[];
}

/**
 * Evaluates f at the primals and returns its output (a tensor or an array of tensors) with a function
 * mapping output cotangents to one cotangent per primal (J^T u). The pullback may be called many times.
 */
export function vjp<O extends Tensor | Tensor[]>(f: (...xs: Tensor[]) => O, ...primals: Tensor[]): VjpResult<O> {
  checkFunction(f, 'vjp');
  const call = beginCall(primals.map((x, i) => differentiable(x, 'vjp', `primal ${i}`)));
  const { list: outs, single } = tensorOutputs(runTraced(() => f(...call.primals)), 'vjp');
  const graph = callGraph(call, outs);
  const keep = (o: Tensor): Tensor => (graph.external ? o : o.detach());
  return {
    out: (single ? keep(outs[0]!) : outs.map(keep)) as O,
    vjp(cotangent: O): Tensor[] {
      const cts = matching(cotangent, outs, single, 'vjp', 'cotangent');
      const createGraph = isGradEnabled() && (graph.external || cts.some(dependsOnGrad));
      return pullback(graph, call.primals, outs, cts, createGraph);
    },
  };
}
