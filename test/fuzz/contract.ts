/**
 * The contract every public function keeps, whatever it is given: it returns, or throws a
 * TypeError, RangeError or ShapeError (or an error class of the package's own) whose message starts
 * with the name of the function the user called; it leaves its inputs as they were (unless it is
 * an in-place method, which may write into its receiver only); it never returns a tensor past the
 * element limit or a bool tensor holding anything but 0 and 1; it leaves the backend it found
 * installed; and it finishes quickly. On
 * well-formed arguments it also gives the answer of a simple reference.
 *
 * The table of functions is open: a package adds its own entries (`ApiEntry`) and runs them here.
 */
import fc from 'fast-check';
import { MAX_ELEMENTS, ShapeError, Tensor, getBackend, setBackend } from '@tapegrad/tensor';
import { JUNK } from './args.js';
import { Refuse, read, type Ref } from './reference.js';

/** The reference has no opinion on these arguments. */
export const SKIP = Symbol('skip');

export interface ApiEntry {
  /** What is called: an export name, `Tensor#method`, `Tensor#get:prop`, `new Generator`, `Tensor.empty`. */
  id: string;
  /** Names an error message may start with (then ':' or ' '). */
  names: readonly string[];
  /** Well-formed arguments. They may still be out of range (an axis past the rank): the op must then refuse cleanly. */
  args: fc.Arbitrary<unknown[]>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call: (...args: any[]) => unknown;
  /** Positions never replaced by junk (a method's receiver). */
  keep?: readonly number[];
  /** Writes into its first argument (in-place methods): that tensor's storage may change. */
  inPlace?: boolean;
  /** Accumulates into the `.grad` of tensors it is given (backward). */
  writesGrad?: boolean;
  /** An invariant of any successful result (random numbers in range, a permutation...): what is wrong, or null. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  check?: (result: any, ...args: any[]) => string | null;
  /** Two calls with the same well-formed arguments give the same answer (false: random numbers, clocks). */
  deterministic?: boolean;
  /**
   * The answer a simple reference gives for the well-formed arguments: a Ref (or list of them), a
   * plain value, or SKIP; throwing `Refuse` says the op must refuse them.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  reference?: (...args: any[]) => unknown;
  /** Relative tolerance of float comparisons with the reference (default 1e-5, 1e-12 for float64 results). */
  rtol?: number;
  /** Error classes the function may throw besides TypeError, RangeError and ShapeError. */
  errors?: readonly (abstract new (...a: never[]) => Error)[];
  /** Returns a promise: the contract holds for what it settles to (a rejection is its error). */
  async?: boolean;
}

/**
 * One case: well-formed arguments, then up to two junk swaps. A swap replaces an argument, or with
 * `inside` one entry of an array argument or one option of an options object (or adds an unknown one).
 */
export interface Case {
  args: unknown[];
  junk: [position: number, junk: number, inside: boolean][];
}

export function caseArb(e: ApiEntry): fc.Arbitrary<Case> {
  const plan = fc.array(fc.tuple(fc.nat(), fc.nat({ max: JUNK.length - 1 }), fc.boolean()), { maxLength: 2 });
  return fc.tuple(e.args, fc.oneof({ weight: 2, arbitrary: fc.constant([] as Case['junk']) }, { weight: 3, arbitrary: plan })).map(([args, junk]) => ({ args, junk }));
}

/** The arguments of a case, with its junk in place. */
export function argsOf(e: ApiEntry, c: Case): unknown[] {
  const args = c.args.slice();
  const free = args.map((_, i) => i).filter((i) => !(e.keep ?? []).includes(i));
  for (const [p, j, inside] of c.junk) {
    if (free.length === 0) break;
    // One position past the end appends a junk argument.
    const at = p % (free.length + 1);
    if (at === free.length) args.push(JUNK[j]);
    else if (inside) args[free[at]!] = junkInside(args[free[at]!], j, p);
    else args[free[at]!] = JUNK[j];
  }
  return args;
}

/** A copy of an array or options argument with junk in one entry; anything else is replaced whole. */
function junkInside(arg: unknown, j: number, p: number): unknown {
  if (Array.isArray(arg) && arg.length > 0) {
    const copy = arg.slice();
    copy[p % copy.length] = JUNK[j];
    return copy;
  }
  if (arg !== null && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype) {
    const keys = Object.keys(arg);
    const key = keys.length === 0 || p % (keys.length + 1) === keys.length ? 'unknownOption' : keys[p % (keys.length + 1)]!;
    return { ...arg, [key]: JUNK[j] };
  }
  return JUNK[j];
}

// ---- snapshots: "no input mutated" ---------------------------------------------------------------

type Snap = unknown;

/** A deep copy of everything observable about a value: tensors by storage and layout, containers by content. */
function snapshot(x: unknown, seen = new Set<unknown>()): Snap {
  if (x instanceof Tensor) {
    return { tensor: x, buf: Array.from(x.buf), shape: x.shape.slice(), strides: x.strides.slice(), offset: x.offset, dtype: x.dtype, requiresGrad: x.requiresGrad, grad: x.grad };
  }
  if (ArrayBuffer.isView(x)) return { view: Array.from(x as unknown as ArrayLike<number>) };
  if (typeof x !== 'object' || x === null || seen.has(x)) return x;
  seen.add(x);
  if (Array.isArray(x)) return { array: x.map((v) => snapshot(v, seen)), length: x.length };
  if (Object.getPrototypeOf(x) === Object.prototype || Object.getPrototypeOf(x) === null) {
    return { object: Object.keys(x).map((k) => [k, snapshot((x as Record<string, unknown>)[k], seen)]) };
  }
  return x;
}

const sameValue = (a: unknown, b: unknown): boolean => Object.is(a, b) || (typeof a === 'number' && typeof b === 'number' && a === b);

function sameSnap(a: Snap, b: Snap, ignoreGrad = false): boolean {
  if (sameValue(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (k === 'grad') return ignoreGrad || x === y;
    if (k === 'tensor') return x === y;
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, i) => sameSnap(v, y[i], ignoreGrad));
    return sameSnap(x, y, ignoreGrad);
  });
}

// ---- results ------------------------------------------------------------------------------------

/** What is wrong with a returned value, if anything: a tensor past the limit, a bool holding other bytes. */
function badResult(r: unknown, depth = 0): string | null {
  if (depth > 2) return null;
  if (Array.isArray(r)) {
    for (const v of r) {
      const bad = badResult(v, depth + 1);
      if (bad) return bad;
    }
    return null;
  }
  if (!(r instanceof Tensor)) return null;
  if (r.size > MAX_ELEMENTS) return `a tensor of ${r.size} elements`;
  if (r.dtype === 'bool') {
    const v = read(r).data;
    const k = v.findIndex((b) => b !== 0 && b !== 1);
    if (k >= 0) return `a bool tensor holding ${v[k]} at element ${k}`;
  }
  if (r.grad !== null && (r.grad.dtype !== r.dtype || r.grad.shape.join() !== r.shape.join())) return `a .grad of another dtype or shape than its tensor`;
  return null;
}

const close = (x: number, y: number, rtol: number): boolean =>
  (Number.isNaN(x) && Number.isNaN(y)) || x === y || Math.abs(x - y) <= rtol * Math.max(1, Math.abs(y));

function describeRef(r: Ref): string {
  const data = r.data.length > 12 ? `${r.data.slice(0, 12).join(',')},...` : r.data.join(',');
  return `${r.dtype} [${r.shape.join(',')}] {${data}}`;
}

/** Compares a returned value with the reference's; returns a description of the difference or null. */
function mismatch(got: unknown, want: unknown, rtol: number | undefined): string | null {
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `expected ${want.length} results, got ${Array.isArray(got) ? got.length : typeof got}`;
    for (let i = 0; i < want.length; i++) {
      const m = mismatch(got[i], want[i], rtol);
      if (m) return `result ${i}: ${m}`;
    }
    return null;
  }
  if (want !== null && typeof want === 'object' && 'data' in (want as object)) {
    const w = want as Ref;
    if (!(got instanceof Tensor)) return `expected a tensor, got ${typeof got}`;
    const g = read(got);
    const tol = rtol ?? (w.dtype === 'float64' ? 1e-12 : 1e-5);
    if (g.dtype !== w.dtype || g.shape.join() !== w.shape.join() || g.data.some((v, i) => !close(v, w.data[i]!, tol))) {
      return `expected ${describeRef(w)}, got ${describeRef(g)}`;
    }
    return null;
  }
  if (ArrayBuffer.isView(want) && ArrayBuffer.isView(got) && want !== got) {
    return mismatch(Array.from(got as unknown as ArrayLike<number>), Array.from(want as unknown as ArrayLike<number>), rtol);
  }
  if (typeof want === 'number' && typeof got === 'number') return close(got, want, rtol ?? 1e-12) ? null : `expected ${want}, got ${got}`;
  return sameValue(got, want) ? null : `expected ${String(want)}, got ${String(got)}`;
}

/** A result as the reference would state it (tensors read out), to compare two results. */
function asExpected(r: unknown): unknown {
  if (r instanceof Tensor) return read(r);
  if (Array.isArray(r)) return r.map(asExpected);
  return r;
}

function describeArgs(args: unknown[]): string {
  return args
    .map((a) => {
      if (a instanceof Tensor) return `Tensor(${a.dtype} [${a.shape.join(',')}] strides [${a.strides.join(',')}]${a.requiresGrad ? ' requiresGrad' : ''})`;
      if (typeof a === 'symbol' || typeof a === 'bigint' || typeof a === 'function') return String(a);
      try {
        return JSON.stringify(a) ?? String(a);
      } catch {
        return Object.prototype.toString.call(a);
      }
    })
    .join(', ');
}

/** What one call did: its result or error, and how long it took (an async entry's until it settled). */
interface Outcome {
  result: unknown;
  error: unknown;
  ms: number;
}

type Maybe<T> = T | Promise<T>;
const andThen = <A, B>(v: Maybe<A>, f: (a: A) => Maybe<B>): Maybe<B> => (v instanceof Promise ? v.then(f) : f(v));

/** Calls the entry; an async entry's promise is awaited, its rejection counting as a throw. */
function settle(e: ApiEntry, args: unknown[]): Maybe<Outcome> {
  const start = performance.now();
  const done = (result: unknown, error: unknown): Outcome => ({ result, error, ms: performance.now() - start });
  try {
    const result = e.call(...args);
    if (e.async) return Promise.resolve(result).then((r) => done(r, null), (err: unknown) => done(undefined, err));
    return done(result, null);
  } catch (err) {
    return done(undefined, err);
  }
}

/** What the first call broke (error kind and message, the result, its inputs), or null. */
function judgeCall(e: ApiEntry, args: unknown[], before: Snap[], wellFormed: boolean, where: string, o: Outcome): string | null {
  if (o.ms > 2000) return `${where} took ${Math.round(o.ms)} ms`;
  if (o.error !== null) {
    const allowed = [TypeError, RangeError, ShapeError, ...(e.errors ?? [])];
    if (!allowed.some((k) => o.error instanceof k)) return `${where} threw ${String(o.error)}, not a TypeError/RangeError/ShapeError`;
    const message = (o.error as Error).message;
    if (!e.names.some((n) => message.startsWith(`${n}:`) || message.startsWith(`${n} `))) {
      return `${where} threw ${(o.error as Error).name}: "${message}", which does not start with ${e.names.join(' or ')}`;
    }
  } else {
    const bad = badResult(o.result) ?? (wellFormed ? e.check?.(o.result, ...args) : null) ?? null;
    if (bad) return `${where} returned ${bad}`;
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    // An in-place method may write its receiver's storage, but only when it succeeds.
    const shared = e.inPlace && args[0] instanceof Tensor && a instanceof Tensor && a.buf === args[0].buf;
    if (shared && o.error === null) continue;
    if (!sameSnap(before[i], snapshot(a), e.writesGrad === true)) return `${where} changed its argument ${i}${o.error === null ? '' : ' and then threw'}`;
  }
  return null;
}

/** The second call of a deterministic entry must give the first one's answer. */
function judgeAgain(where: string, first: Outcome, again: Outcome): string | null {
  if (again.error !== null) return `${where} threw "${String(again.error)}" when called a second time`;
  const m = mismatch(again.result, asExpected(first.result), 0);
  return m ? `${where} gave another answer the second time: ${m}` : null;
}

/**
 * Calls the entry on one case and returns what broke the contract, or null (a promise of it for
 * an async entry).
 */
export function checkCase(e: ApiEntry, c: Case): Maybe<string | null> {
  const args = argsOf(e, c);
  const wellFormed = c.junk.length === 0;
  // The reference sees the arguments as they were before the call (in-place methods change them).
  let want: unknown = SKIP;
  let refusal: Refuse | null = null;
  if (wellFormed && e.reference) {
    try {
      want = e.reference(...args);
    } catch (err) {
      if (!(err instanceof Refuse)) throw err;
      refusal = err;
    }
  }
  const before = args.map((a) => snapshot(a));
  const where = `${e.id}(${describeArgs(args)})`;
  const compare = (first: Outcome): string | null => {
    if (refusal !== null) return first.error === null ? `${where} returned a result where it should refuse (${refusal.message})` : null;
    if (!wellFormed || !e.reference || want === SKIP) return null;
    if (first.error !== null) return `${where} threw "${(first.error as Error).message}" on arguments the reference accepts`;
    const m = mismatch(first.result, want, e.rtol);
    return m ? `${where}: ${m}` : null;
  };
  // The backend is global: a call that leaves another one installed changes every later answer.
  const backend = getBackend();
  return andThen(settle(e, args), (first) => {
    if (getBackend() !== backend) {
      setBackend(backend);
      return `${where} left another backend installed`;
    }
    const problem = judgeCall(e, args, before, wellFormed, where, first);
    if (problem !== null) return problem;
    if (!(wellFormed && first.error === null && e.deterministic !== false && !e.inPlace && !e.writesGrad)) return compare(first);
    return andThen(settle(e, args), (again) => judgeAgain(where, first, again) ?? compare(first));
  });
}
