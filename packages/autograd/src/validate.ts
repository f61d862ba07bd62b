/**
 * Argument checks shared by every entry point of @tapegrad/autograd (transforms, modes, checkGrad,
 * gradients, sumTo): each throws a TypeError (a wrong kind of value), RangeError (a value out of its
 * range) or ShapeError (a wrong shape) whose message starts with `op`, the function the user called.
 */
import { ShapeError, Tensor, cast, tensor } from '@tapegrad/tensor';
import { fmtShape, isFloat, sameShape } from '@tapegrad/tensor/internal';
import { describeValue } from './levels.js';

/** Throws a TypeError unless `f` is a function. */
export function checkFunction(f: unknown, op: string): void {
  if (typeof f !== 'function') throw new TypeError(`${op}: expected a function to transform, got ${describeValue(f)}`);
}

/** Checks one argument to differentiate: a float tensor (a plain number becomes a float64 scalar). */
export function differentiable(x: unknown, op: string, what: string): Tensor {
  const t = x instanceof Tensor ? x : typeof x === 'number' ? tensor(x, { dtype: 'float64' }) : null;
  if (t === null || !isFloat(t.dtype)) {
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
 * A derivative (gradient, cotangent or tangent) standing for `like`: a Tensor of like's shape and a
 * float dtype. One of the other float precision is cast to like's dtype, as PyTorch does, so that a
 * derivative always has the dtype of what it is the derivative of; an integer or bool one is refused.
 * `where` starts the message (the function called, or the op whose rule gave it).
 */
export function derivativeFor(d: unknown, like: Tensor, where: string, what: string): Tensor {
  if (!(d instanceof Tensor)) throw new TypeError(`${where}: expected ${what} to be a Tensor, got ${describeValue(d)}`);
  if (!sameShape(d.shape, like.shape)) throw new ShapeError(`${where}: ${what} has shape ${fmtShape(d.shape)}, expected ${fmtShape(like.shape)}`);
  if (!isFloat(d.dtype)) throw new TypeError(`${where}: ${what} has dtype ${d.dtype}; derivatives must be float32 or float64 (it stands for a ${like.dtype} tensor)`);
  return d.dtype === like.dtype ? d : cast(d, like.dtype);
}

/**
 * Cotangents (or tangents) given for `like`, one per tensor, of the same shapes: a single tensor when
 * `single`, else an array of as many. A wrong kind is a TypeError, a wrong shape a ShapeError; each
 * takes its tensor's dtype (see {@link derivativeFor}).
 */
export function matching(given: unknown, like: readonly Tensor[], single: boolean, op: string, what: string): Tensor[] {
  if (single ? !(given instanceof Tensor) : !Array.isArray(given)) {
    throw new TypeError(`${op}: expected ${what} as ${single ? 'a Tensor' : `an array of ${like.length} Tensors`}, got ${describeValue(given)}`);
  }
  const arr = (single ? [given] : given) as unknown[];
  if (arr.length !== like.length) throw new TypeError(`${op}: expected ${like.length} ${what}, got ${arr.length}`);
  return arr.map((t, i) => derivativeFor(t, like[i]!, op, single ? what : `${what}[${i}]`));
}

/** Checks that `f` returned a tensor or an array of tensors (float ones for a transform that differentiates). */
export function tensorOutputs(out: unknown, op: string, differentiating: boolean): { list: Tensor[]; single: boolean } {
  const list = out instanceof Tensor ? [out] : Array.isArray(out) && out.length > 0 && out.every((t) => t instanceof Tensor) ? (out as Tensor[]) : null;
  if (list === null) throw new TypeError(`${op}: the function must return a Tensor or a non-empty array of Tensors, got ${describeValue(out)}`);
  const k = differentiating ? list.findIndex((t) => !isFloat(t.dtype)) : -1;
  if (k >= 0) {
    throw new TypeError(`${op}: the function must return float32/float64 tensors to differentiate, got a ${list[k]!.dtype} tensor${list.length > 1 ? ` at output ${k}` : ''}`);
  }
  return { list, single: out instanceof Tensor };
}

/** Validates `argnums` against the number of arguments: a list of distinct argument positions. */
export function argnumList(argnums: unknown, n: number, op: string): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : argnums;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(`${op}: expected argnums as an integer or a non-empty array of integers, got ${describeValue(argnums)}`);
  }
  for (const a of list) {
    if (!Number.isInteger(a) || a < 0 || a >= n) throw new RangeError(`${op}: argnums ${describeList(argnums)} out of range for ${n} arguments`);
  }
  if (new Set(list).size !== list.length) throw new RangeError(`${op}: argnums ${describeList(argnums)} repeats an argument`);
  return list as number[];
}

/** An argnums value in a message: JSON when it has one, else described. */
function describeList(v: unknown): string {
  try {
    return JSON.stringify(v) ?? describeValue(v);
  } catch {
    return describeValue(v);
  }
}

/** What an option must be: a boolean, or anything (checked where it is used). */
export type OptionKind = 'boolean' | 'any';

/**
 * Validates a transform's options object: an object (or undefined) whose keys are the known ones
 * and whose boolean options are booleans. Returns it typed.
 */
export function checkOptions<O extends object>(opts: unknown, op: string, known: Readonly<Record<string, OptionKind>>): O {
  if (opts === undefined) return {} as O;
  const what = `{ ${Object.keys(known).map((k) => `${k}?`).join(', ')} }`;
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts) || opts instanceof Tensor) throw new TypeError(`${op}: expected options ${what}, got ${describeValue(opts)}`);
  for (const [k, v] of Object.entries(opts)) {
    const kind = Object.hasOwn(known, k) ? known[k] : undefined;
    if (kind === undefined) throw new TypeError(`${op}: unknown option '${k}'; expected options ${what}`);
    if (kind === 'boolean' && v !== undefined && typeof v !== 'boolean') throw new TypeError(`${op}: expected ${k} to be true or false, got ${describeValue(v)}`);
  }
  return opts as O;
}
