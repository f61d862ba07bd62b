import { eye, reshape, zerosLike, type Tensor } from '@tapegrad/tensor';
import { jvpAs } from './forward.js';
import { valueAndGradients, vjpAs } from './transforms.js';
import { argnumList, checkFunction, checkOptions, differentiable, matching, tensorList } from './validate.js';
import { vmapAs } from './vmap.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Args = any[];
type Fn = (...args: Args) => Tensor | Tensor[];

/** Options of {@link jacrev} and {@link jacfwd}. */
export interface JacobianOptions {
  /** Which positional arguments to differentiate with respect to (default 0). */
  argnums?: number | number[];
}

/**
 * A Jacobian's form: for one output and a number `argnums`, one tensor of shape
 * [...output shape, ...argument shape]; an array over arguments for array `argnums`; an array over
 * outputs for a function returning an array (of arrays over arguments, for both).
 */
export type Jacobian<R, N> = R extends Tensor[] ? (N extends number[] ? Tensor[][] : Tensor[]) : N extends number[] ? Tensor[] : Tensor;

/** The identity as a batch of basis tensors shaped like `t`: [t.size, ...t.shape]. */
function basis(t: Tensor): Tensor {
  return reshape(eye(t.size, { dtype: t.dtype }), [t.size, ...t.shape]);
}

/** `f` as a function of the differentiated arguments only, the others fixed to `args`. */
function partial(f: Fn, args: Args, nums: readonly number[]): (...xs: Tensor[]) => Tensor | Tensor[] {
  return (...xs) => {
    const all = args.slice();
    nums.forEach((n, k) => (all[n] = xs[k]));
    return f(...all);
  };
}

/** Arranges per-output, per-argument blocks in the documented form. */
function arrange(blocks: Tensor[][], manyOut: boolean, manyArgs: boolean): unknown {
  const perOut = blocks.map((row) => (manyArgs ? row : row[0]!));
  return manyOut ? perOut : perOut[0];
}

function prepare(f: unknown, opts: unknown, op: string): JacobianOptions {
  checkFunction(f, op);
  return checkOptions<JacobianOptions>(opts, op, { argnums: 'any' });
}

/**
 * The Jacobian of `f` by reverse mode: one VJP per output element, all at once through vmap over
 * the rows of the identity. Best when outputs are fewer than inputs.
 */
export function jacrev<F extends Fn, N extends number | number[] = number>(f: F, opts?: { argnums?: N }): (...args: Parameters<F>) => Jacobian<ReturnType<F>, N> {
  return reverseJacobian(f, prepare(f, opts, 'jacrev'), 'jacrev') as (...args: Parameters<F>) => Jacobian<ReturnType<F>, N>;
}

/** jacrev's work on behalf of `op` (jacrev, hessian), whose name its errors carry. */
function reverseJacobian(f: Fn, o: JacobianOptions, op: string): (...args: Args) => unknown {
  return (...args: Args) => {
    const nums = argnumList(o.argnums, args.length, op);
    const xs = nums.map((i) => differentiable(args[i], op, `argument ${i}`));
    const res = vjpAs(op, partial(f, args, nums), xs);
    const outs = Array.isArray(res.out) ? res.out : [res.out];
    const blocks = outs.map((out, k) => {
      const pull = (u: Tensor): Tensor[] => res.vjp((Array.isArray(res.out) ? outs.map((o2, j) => (j === k ? u : zerosLike(o2))) : u) as never);
      const rows = vmapAs(op, pull)(basis(out)) as Tensor[];
      return rows.map((r, i) => reshape(r, [...out.shape, ...xs[i]!.shape]));
    });
    return arrange(blocks, Array.isArray(res.out), Array.isArray(o.argnums));
  };
}

/**
 * The Jacobian of `f` by forward mode: one JVP per input element, all at once through vmap over the
 * rows of the identity. Best when inputs are fewer than outputs.
 */
export function jacfwd<F extends Fn, N extends number | number[] = number>(f: F, opts?: { argnums?: N }): (...args: Parameters<F>) => Jacobian<ReturnType<F>, N> {
  return forwardJacobian(f, prepare(f, opts, 'jacfwd'), 'jacfwd') as (...args: Parameters<F>) => Jacobian<ReturnType<F>, N>;
}

/** jacfwd's work on behalf of `op` (jacfwd, hessian), whose name its errors carry. */
function forwardJacobian(f: Fn, o: JacobianOptions, op: string): (...args: Args) => unknown {
  return (...args: Args) => {
    const nums = argnumList(o.argnums, args.length, op);
    const xs = nums.map((i) => differentiable(args[i], op, `argument ${i}`));
    let manyOut = false;
    // columns[i][k]: the block of output k with respect to argument i.
    const columns = xs.map((x, i) => {
      const g = partial(f, args, [nums[i]!]);
      const push = (v: Tensor): Tensor | Tensor[] => jvpAs(op, g, [x], [v]).tangent;
      const cols = vmapAs(op, push, { outAxes: -1 })(basis(x));
      manyOut = Array.isArray(cols);
      return (Array.isArray(cols) ? cols : [cols]).map((c) => reshape(c, [...c.shape.slice(0, -1), ...x.shape]));
    });
    const blocks = columns[0]!.map((_, k) => columns.map((col) => col[k]!));
    return arrange(blocks, manyOut, Array.isArray(o.argnums));
  };
}

/** The Hessian of a scalar-valued `f`: `jacfwd(jacrev(f))` (forward over reverse). For array `argnums`, blocks H[i][j]. */
export function hessian<F extends (...args: Args) => Tensor, N extends number | number[] = number>(
  f: F, opts?: { argnums?: N },
): (...args: Parameters<F>) => N extends number[] ? Tensor[][] : Tensor {
  const o = prepare(f, opts, 'hessian');
  return forwardJacobian(reverseJacobian(f, o, 'hessian') as Fn, o, 'hessian') as never;
}

/**
 * Hessian-vector product of a scalar-valued `f` at `primals` along `tangents` (one per primal):
 * f's value and H v per primal, forward over reverse (one gradient, one forward sweep).
 */
export function hvp(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): { out: Tensor; tangent: Tensor[] } {
  checkFunction(f, 'hvp');
  const xs = tensorList(primals, 'hvp', 'primals');
  const ts = matching(tangents, xs, false, 'hvp', 'tangents');
  const argnums = xs.map((_, i) => i);
  const valueAndGrads = (...ys: Tensor[]): Tensor[] => {
    const [value, gs] = valueAndGradients(f, { argnums }, ys, 'hvp');
    return [value, ...gs];
  };
  const r = jvpAs('hvp', valueAndGrads, xs, ts);
  return { out: r.out[0]!, tangent: r.tangent.slice(1) };
}
