import { Tensor, onesLike, zerosLike } from '@tapegrad/tensor';
import { fmtShape, isFloat, isGradEnabled, withGradMode } from '@tapegrad/tensor/internal';
import { pullback, walk } from './backward.js';
import { beginCall, callGraph, dependsOnGrad, describeValue, type TransformCall } from './levels.js';
import { argnumList, checkFunction, checkOptions, differentiable, matching, tensorOutputs, type OptionKind } from './validate.js';

export { noGrad, enableGrad } from './modes.js';

/**
 * Cotangents of `outputs` (seeded with `seeds`) with respect to `inputs` (leaves or intermediates),
 * as new tensors; no `.grad` is touched. Inputs the outputs do not depend on get zeros.
 */
export function gradients(outputs: readonly Tensor[], inputs: readonly Tensor[], seeds: readonly Tensor[], createGraph: boolean): Tensor[] {
  if (!Array.isArray(outputs) || !outputs.every((o) => o instanceof Tensor)) throw new TypeError(`gradients: expected outputs as an array of Tensors, got ${describeValue(outputs)}`);
  if (!Array.isArray(inputs) || !inputs.every((x) => x instanceof Tensor)) throw new TypeError(`gradients: expected inputs as an array of Tensors, got ${describeValue(inputs)}`);
  seeds = matching(seeds, outputs, false, 'gradients', 'seeds');
  if (typeof createGraph !== 'boolean') throw new TypeError(`gradients: expected createGraph to be true or false, got ${describeValue(createGraph)}`);
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

const GRAD_OPTIONS: Record<keyof GradOptions, OptionKind> = { argnums: 'any', hasAux: 'boolean' };

/** The value of a scalar function and its gradients, for grad, valueAndGrad and hvp (`op` names the one called). */
export function valueAndGradients(f: (...a: Args) => unknown, opts: GradOptions, args: Args, op: string): [Tensor, Tensor[], unknown] {
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
  if (!(out instanceof Tensor) || out.size !== 1 || !isFloat(out.dtype)) {
    const got = !(out instanceof Tensor) ? describeValue(out) : out.size !== 1 ? `shape ${fmtShape(out.shape)}` : `a ${out.dtype} tensor`;
    throw new TypeError(`${op}: the function must return a one-element float32/float64 tensor${opts.hasAux ? ' (as the first of [value, aux])' : ''}, got ${got}`);
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
  const o = checkOptions<GradOptions>(opts, 'grad', GRAD_OPTIONS);
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
  const o = checkOptions<GradOptions>(opts, 'valueAndGrad', GRAD_OPTIONS);
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
  return vjpAs('vjp', f, primals);
}

/** {@link vjp} on behalf of `op` (jacrev, checkGrad), whose name its errors carry. */
export function vjpAs<O extends Tensor | Tensor[]>(op: string, f: (...xs: Tensor[]) => O, primals: readonly unknown[]): VjpResult<O> {
  checkFunction(f, op);
  const call = beginCall(primals.map((x, i) => differentiable(x, op, `primal ${i}`)));
  const { list: outs, single } = tensorOutputs(runTraced(() => f(...call.primals)), op, true);
  const graph = callGraph(call, outs);
  const keep = (o: Tensor): Tensor => (graph.external ? o : o.detach());
  return {
    out: (single ? keep(outs[0]!) : outs.map(keep)) as O,
    vjp(cotangent: O): Tensor[] {
      const cts = matching(cotangent, outs, single, op, 'cotangent');
      const createGraph = isGradEnabled() && (graph.external || cts.some(dependsOnGrad));
      return pullback(graph, call.primals, outs, cts, createGraph);
    },
  };
}
