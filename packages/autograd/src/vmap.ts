import { ShapeError, Tensor, concat, expand, reshape, slice, stack, unsqueeze, zeros, zerosLike, type DType, type Primitive, type PrimitiveAttrs } from '@tapegrad/tensor';
import { fmtShape, normAxis, record, sameShape, setBatchInterpreter } from '@tapegrad/tensor/internal';
import { describeValue } from './levels.js';
import { moveDim } from './rules/batching.js';
import { rules } from './rules/index.js';
import type { PrimitiveRules } from './rules/rule.js';
import { checkFunction, checkOptions } from './validate.js';

/**
 * vmap levels. Each vmap call gets a fresh level number, larger than every level still active, so
 * among the operands of an op the largest level is the innermost vmap: that one's batching rule runs,
 * on the physical values, where operands of outer levels are simply unbatched (their own ops, run by
 * the rule, are intercepted again one level down). A level leaves `active` when its call returns.
 */
let lastLevel = 0;
const active = new Set<number>();

/** The innermost vmap level among the operands (0: none is batched). */
function topLevel(inputs: readonly Tensor[]): number {
  let level = 0;
  for (const t of inputs) if (t._batch !== null && t._batch.level > level) level = t._batch.level;
  if (level !== 0 && !active.has(level)) {
    throw new TypeError('vmap: a tensor batched by vmap was used after its vmap call returned (it escaped through a variable or a closure); return it from the function instead');
  }
  return level;
}

/** The physical values and batch dims of the operands at `level` (null dim: not batched at this level). */
function unbatch(inputs: readonly Tensor[], level: number): [Tensor[], (number | null)[]] {
  const args: Tensor[] = [];
  const dims: (number | null)[] = [];
  for (const t of inputs) {
    const b = t._batch;
    if (b !== null && b.level === level) {
      args.push(b.value);
      dims.push(b.dim);
    } else {
      args.push(t);
      dims.push(null);
    }
  }
  return [args, dims];
}

/**
 * Runs a primitive on batched operands: its batching rule computes the physical result once for
 * the whole batch, and the logical op is recorded like any other (so a transform inside vmap, such
 * as grad for per-sample gradients, sees the op on logical tensors).
 */
function interpret(op: Primitive, inputs: readonly Tensor[], attrs: object, shape: readonly number[], dtype: DType): Tensor {
  const level = topLevel(inputs);
  const [args, dims] = unbatch(inputs, level);
  const rule = (rules[op] as PrimitiveRules<Primitive>).batch;
  const [value, dim] = rule(args, dims, attrs as PrimitiveAttrs[Primitive], { shape, dtype }, op);
  const out = Tensor._batched(value, dim, level);
  if (!sameShape(out.shape, shape) || value.dtype !== dtype) {
    throw new Error(`vmap: the batching rule of '${op}' produced ${fmtShape(out.shape)} ${value.dtype} for ${fmtShape(shape)} ${dtype}`);
  }
  return record(op, inputs, out, attrs as PrimitiveAttrs[Primitive]);
}

let installed = false;

/** Element `i` of the batch at `level` of each operand (unbatched operands, and nulls, as they are). */
function elementOf(inputs: readonly (Tensor | null)[], level: number, i: number): (Tensor | null)[] {
  return inputs.map((t) => {
    const b = t?._batch;
    if (t === null || b === null || b === undefined || b.level !== level) return t;
    const starts = b.value.shape.map((_, d) => (d === b.dim ? i : 0));
    const ends = b.value.shape.map((n, d) => (d === b.dim ? i + 1 : n));
    return reshape(slice(b.value, starts, ends), t.shape);
  });
}

/**
 * The loop fallback for code with no batching rule (defineOp ops, whose code may read values): when
 * some input is batched, `fn` runs once per batch element of the innermost level, on unbatched slices,
 * and each of its `count` outputs is stacked into one batched tensor (an output null for every element
 * stays null; null for some elements counts as zeros). Returns null when no input is batched.
 */
export function perElement(
  inputs: readonly (Tensor | null)[], count: number, fn: (...xs: (Tensor | null)[]) => (Tensor | null)[],
): (Tensor | null)[] | null {
  const level = topLevel(inputs.filter((t): t is Tensor => t !== null));
  if (level === 0) return null;
  const first = inputs.find((t) => t?._batch?.level === level)!._batch!;
  const n = first.value.shape[first.dim]!;
  const columns: (Tensor | null)[][] = Array.from({ length: count }, () => []);
  if (n === 0) {
    // An empty batch: one run on zero-filled elements gives each output's element shape and dtype.
    const blank = inputs.map((t) => (t !== null && t._batch?.level === level ? zeros(t.shape, { dtype: t.dtype }) : t));
    return fn(...blank).map((g) => (g === null || g === undefined ? null : Tensor._batched(zeros([0, ...g.shape], { dtype: g.dtype }), 0, level)));
  }
  for (let i = 0; i < n; i++) fn(...elementOf(inputs, level, i)).forEach((g, k) => columns[k]!.push(g ?? null));
  return columns.map((col) => {
    const like = col.find((g) => g !== null);
    if (like === undefined) return null;
    return Tensor._batched(stack(col.map((g) => g ?? zerosLike(like)), 0), 0, level);
  });
}

/** Options of {@link vmap}: which axes of the arguments and results hold the batch, and how many elements to run at once. */
export interface VmapOptions {
  /**
   * The batch axis of each argument (null: the argument is the same for every element and is passed
   * as is); one number applies to every argument. Default 0.
   */
  inAxes?: number | (number | null)[];
  /** Where the batch axis goes in each output (one number for all). Default 0. */
  outAxes?: number | number[];
  /** Runs the batch in chunks of at most this many elements (less memory, same result). */
  chunkSize?: number;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (...args: any[]) => Tensor | Tensor[];

function checkVmapOptions(opts: unknown, op: string): VmapOptions {
  const o = checkOptions<VmapOptions>(opts, op, { inAxes: 'any', outAxes: 'any', chunkSize: 'any' });
  const intOrNull = (v: unknown): boolean => v === null || Number.isInteger(v);
  if (o.inAxes !== undefined && !(Number.isInteger(o.inAxes) || (Array.isArray(o.inAxes) && o.inAxes.every(intOrNull)))) {
    throw new TypeError(`${op}: expected inAxes as an integer or an array of integers and nulls, got ${describeValue(o.inAxes)}`);
  }
  if (o.outAxes !== undefined && !(Number.isInteger(o.outAxes) || (Array.isArray(o.outAxes) && o.outAxes.every((v) => Number.isInteger(v))))) {
    throw new TypeError(`${op}: expected outAxes as an integer or an array of integers, got ${describeValue(o.outAxes)}`);
  }
  if (o.chunkSize !== undefined && !(Number.isInteger(o.chunkSize) && o.chunkSize > 0)) {
    throw new RangeError(`${op}: expected chunkSize to be a positive integer, got ${describeValue(o.chunkSize)}`);
  }
  return o;
}

/** Each argument's batch axis (normalized), and the batch size. */
function batchAxes(args: readonly unknown[], inAxes: VmapOptions['inAxes'], op: string): [(number | null)[], number] {
  if (Array.isArray(inAxes) && inAxes.length !== args.length) {
    throw new TypeError(`${op}: inAxes has ${inAxes.length} entries for ${args.length} arguments`);
  }
  let n = -1;
  let sizeFrom = -1;
  const axes = args.map((x, i) => {
    const ax = Array.isArray(inAxes) ? inAxes[i]! : (inAxes ?? 0);
    if (ax === null) return null;
    if (!(x instanceof Tensor)) throw new TypeError(`${op}: argument ${i} has batch axis ${ax} but is not a Tensor (${describeValue(x)}); give it inAxes null`);
    if (x.ndim === 0) throw new ShapeError(`${op}: argument ${i} is a 0-d tensor and has no axis ${ax} to map over; give it inAxes null`);
    const a = normAxis(ax, x.ndim, op);
    const size = x.shape[a]!;
    if (n < 0) {
      n = size;
      sizeFrom = i;
    } else if (size !== n) {
      throw new ShapeError(`${op}: argument ${i} has size ${size} along its batch axis ${ax} (shape ${fmtShape(x.shape)}), but argument ${sizeFrom} has ${n}`);
    }
    return a;
  });
  if (n < 0) throw new TypeError(`${op}: no argument is batched (every inAxes entry is null)`);
  return [axes, n];
}

/** The physical result of an output of a vmap call at `level`, its batch along `axis`. */
function unwrapOutput(out: unknown, k: number, level: number, n: number, outAxes: VmapOptions['outAxes'], op: string): Tensor {
  if (!(out instanceof Tensor)) throw new TypeError(`${op}: the function must return a Tensor or an array of Tensors, got ${describeValue(out)} at output ${k}`);
  if (Array.isArray(outAxes) && k >= outAxes.length) throw new TypeError(`${op}: outAxes has ${outAxes.length} entries but the function returned more outputs`);
  const ax = Array.isArray(outAxes) ? outAxes[k]! : (outAxes ?? 0);
  const a = normAxis(ax, out.ndim + 1, op);
  const b = out._batch;
  if (b !== null && b.level === level) return moveDim(b.value, b.dim, a);
  // The same for every element: broadcast along the new axis.
  const shape = out.shape.slice();
  shape.splice(a, 0, n);
  return expand(unsqueeze(out, a), shape);
}

/**
 * Vectorizing map: `vmap(f)` applied to arguments with a batch axis computes f for every element of
 * the batch at once and stacks the results along `outAxes`. Inside, each argument looks like one
 * element (its batch axis removed), and every primitive runs once on the whole batch through its
 * batching rule, not in a loop. Composes with grad, vjp, jvp and itself in any order
 * (`vmap(grad(loss), { inAxes: [null, 0, 0] })` gives per-sample gradients). Values of batched
 * tensors cannot be read inside (item, data, toArray throw). Random functions called inside draw one
 * tensor, shared by every element: for per-element randomness draw a batch outside and map over it.
 */
export function vmap<F extends Fn>(f: F, opts?: VmapOptions): (...args: Parameters<F>) => ReturnType<F> {
  return vmapAs('vmap', f, opts);
}

/** {@link vmap} on behalf of `op` (jacrev, jacfwd, hessian), whose name its errors carry. */
export function vmapAs<F extends Fn>(op: string, f: F, opts?: VmapOptions): (...args: Parameters<F>) => ReturnType<F> {
  checkFunction(f, op);
  const o = checkVmapOptions(opts, op);
  if (!installed) {
    setBatchInterpreter(interpret);
    installed = true;
  }
  const run = (args: unknown[], axes: (number | null)[], n: number): [Tensor[], boolean] => {
    const level = ++lastLevel;
    active.add(level);
    let result: unknown;
    try {
      result = f(...args.map((x, i) => (axes[i] === null ? x : Tensor._batched(x as Tensor, axes[i]!, level))));
    } finally {
      active.delete(level);
    }
    const single = !Array.isArray(result);
    const outs = single ? [result] : (result as unknown[]);
    if (outs.length === 0) throw new TypeError(`${op}: the function returned an empty array`);
    return [outs.map((out, k) => unwrapOutput(out, k, level, n, o.outAxes, op)), single];
  };
  return ((...args: unknown[]) => {
    const [axes, n] = batchAxes(args, o.inAxes, op);
    const chunk = o.chunkSize ?? n;
    if (chunk >= n) {
      const [outs, single] = run(args, axes, n);
      return single ? outs[0] : outs;
    }
    const pieces: Tensor[][] = [];
    let single = true;
    for (let at = 0; at < n; at += chunk) {
      const m = Math.min(chunk, n - at);
      const part = args.map((x, i) => {
        if (axes[i] === null) return x;
        const t = x as Tensor;
        return slice(t, t.shape.map((_, d) => (d === axes[i] ? at : 0)), t.shape.map((s, d) => (d === axes[i] ? at + m : s)));
      });
      const [outs, one] = run(part, axes, m);
      pieces.push(outs);
      single = one;
    }
    const outs = pieces[0]!.map((_, k) => {
      const ax = Array.isArray(o.outAxes) ? o.outAxes[k]! : (o.outAxes ?? 0);
      return concat(pieces.map((p) => p[k]!), normAxis(ax, pieces[0]![k]!.ndim, op));
    });
    return single ? outs[0] : outs;
  }) as unknown as (...args: Parameters<F>) => ReturnType<F>;
}
