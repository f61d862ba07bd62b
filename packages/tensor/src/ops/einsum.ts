import { promoteTypes } from '../dtype.js';
import { ShapeError } from '../errors.js';
import { describe, fmtShape, shapeSize } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cast } from './elementwise.js';
import { matmul } from './linalg.js';
import { expand, permute, reshape } from './movement.js';
import { asTensor } from './operand.js';
import { diagonal } from './rearrange.js';
import { sum } from './reduce.js';

/**
 * A subscript: a letter, or one dim covered by '...' written `.k` (k counts the broadcast '...' dims
 * from the left, right-aligned across operands as in broadcasting).
 */
type Label = string;

const show = (l: Label): string => (l.startsWith('.') ? "the '...' dims" : `subscript '${l}'`);

/** The subscripts of one term of the equation, with the position of its '...' (or -1). */
function parseTerm(term: string, where: string): { letters: string[]; ellipsis: number } {
  const letters: string[] = [];
  let ellipsis = -1;
  for (let i = 0; i < term.length; i++) {
    const c = term[i]!;
    if (/[a-zA-Z]/.test(c)) {
      letters.push(c);
    } else if (c === '.' && term.startsWith('...', i) && ellipsis < 0) {
      ellipsis = letters.length;
      i += 2;
    } else {
      throw new TypeError(`einsum: invalid character '${c}' in ${where} '${term}' (subscripts are letters a-z, A-Z and one '...')`);
    }
  }
  return { letters, ellipsis };
}

/** One operand's subscripts, its '...' expanded to `.k` labels (E = the widest '...' of all operands). */
function labelsOf(term: { letters: string[]; ellipsis: number }, covered: number, E: number): Label[] {
  if (term.ellipsis < 0) return term.letters;
  const dots = Array.from({ length: covered }, (_, k) => `.${E - covered + k}`);
  return [...term.letters.slice(0, term.ellipsis), ...dots, ...term.letters.slice(term.ellipsis)];
}

/** Sums `t` over the labels `drop` returns true for. */
function sumOut(t: Tensor, labels: Label[], drop: (l: Label) => boolean): [Tensor, Label[]] {
  const axes = labels.flatMap((l, d) => (drop(l) ? [d] : []));
  if (axes.length === 0) return [t, labels];
  return [sum(t, axes), labels.filter((l) => !drop(l))];
}

/** Reorders `t` to the labels `order` and merges them into groups of the given lengths. */
function grouped(t: Tensor, labels: Label[], order: Label[], groups: number[], size: Map<Label, number>): Tensor {
  const p = permute(t, order.map((l) => labels.indexOf(l)));
  const dims: number[] = [];
  let at = 0;
  for (const g of groups) {
    dims.push(shapeSize(order.slice(at, at + g).map((l) => size.get(l)!)));
    at += g;
  }
  return reshape(p, dims);
}

/**
 * Einstein summation (PyTorch's and NumPy's `einsum`): `'ij,jk->ik'` is a matrix product, `'ii'` a
 * trace, `'ii->i'` a diagonal, `'bij,bjk->bik'` a batched product, `'...ij->...ji'` a transpose of the
 * last two dims. Without `->` the output holds the '...' dims, then the letters that appear once, in
 * alphabetical order (upper case first). Size-1 dims broadcast. Computed with diagonal, sum, permute,
 * reshape and batched matmul, contracting the operands left to right, so it is differentiable.
 * A bad equation throws naming the offending subscript.
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  if (typeof equation !== 'string') throw new TypeError(`einsum: expected an equation string, got ${describe(equation)}`);
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.indexOf('->');
  if (arrow !== eq.lastIndexOf('->')) throw new TypeError(`einsum: expected at most one '->' in '${equation}'`);
  const lhs = arrow < 0 ? eq : eq.slice(0, arrow);
  const terms = lhs.split(',').map((t, i) => parseTerm(t, `operand ${i}'s subscripts`));
  if (terms.length !== operands.length) {
    throw new RangeError(`einsum: the equation '${equation}' has ${terms.length} operand${terms.length === 1 ? '' : 's'} but ${operands.length} tensor${operands.length === 1 ? ' was' : 's were'} given`);
  }
  let ts = operands.map((o) => asTensor(o, 'einsum'));
  const covered = ts.map((t, i) => {
    const named = terms[i]!.letters.length;
    const n = terms[i]!.ellipsis < 0 ? 0 : t.ndim - named;
    if (n < 0 || (terms[i]!.ellipsis < 0 && named !== t.ndim)) {
      throw new ShapeError(`einsum: operand ${i} has shape ${fmtShape(t.shape)} (${t.ndim} dims) but its subscripts '${lhs.split(',')[i]}' name ${named}`);
    }
    return n;
  });
  const E = Math.max(0, ...covered);
  let labels = terms.map((t, i) => labelsOf(t, covered[i]!, E));

  // Sizes: equal, or 1 (broadcast); a subscript repeated within an operand must match exactly.
  const size = new Map<Label, number>();
  labels.forEach((ls, i) => ls.forEach((l, d) => {
    const n = ts[i]!.shape[d]!;
    const first = ls.indexOf(l);
    if (first < d && ts[i]!.shape[first] !== n) {
      throw new ShapeError(`einsum: ${show(l)} is repeated in operand ${i} with different sizes ${ts[i]!.shape[first]} and ${n}`);
    }
    const s = size.get(l);
    if (s !== undefined && s !== n && s !== 1 && n !== 1) {
      throw new ShapeError(`einsum: ${show(l)} has size ${n} in operand ${i} but ${s} in an earlier operand`);
    }
    if (s === undefined || s === 1) size.set(l, n);
  }));

  let out: Label[];
  if (arrow < 0) {
    const counts = new Map<string, number>();
    terms.forEach((t) => t.letters.forEach((l) => counts.set(l, (counts.get(l) ?? 0) + 1)));
    const once = [...counts].filter(([, c]) => c === 1).map(([l]) => l).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    out = [...Array.from({ length: E }, (_, k) => `.${k}`), ...once];
  } else {
    const rhs = parseTerm(eq.slice(arrow + 2), 'the output');
    rhs.letters.forEach((l, i) => {
      if (rhs.letters.indexOf(l) !== i) throw new TypeError(`einsum: output subscript '${l}' appears more than once in '${equation}'`);
      if (!size.has(l)) throw new TypeError(`einsum: output subscript '${l}' does not appear in any operand of '${equation}'`);
    });
    out = labelsOf(rhs, rhs.ellipsis < 0 ? 0 : E, E);
  }

  const dtype = ts.reduce((d, t) => promoteTypes(d, t.dtype), ts[0]!.dtype);
  ts = ts.map((t) => cast(t, dtype === 'bool' ? 'int32' : dtype));
  // Per operand: repeated subscripts become diagonals, size-1 dims broadcast, private subscripts are summed.
  ts = ts.map((t0, i) => {
    let t = t0;
    let ls = labels[i]!;
    for (let p = 0; p < ls.length; p++) {
      const q = ls.indexOf(ls[p]!, p + 1);
      if (q < 0) continue;
      t = diagonal(t, 0, p, q);
      ls = [...ls.filter((_, d) => d !== p && d !== q), ls[p]!];
      p = -1;
    }
    if (ls.some((l, d) => t.shape[d] !== size.get(l))) t = expand(t, ls.map((l) => size.get(l)!));
    labels[i] = ls;
    return t;
  });
  const neededAfter = (k: number, l: Label): boolean => out.includes(l) || labels.slice(k + 1).some((ls) => ls.includes(l));

  let acc = ts[0]!;
  let accLabels = labels[0]!;
  [acc, accLabels] = sumOut(acc, accLabels, (l) => !neededAfter(0, l));
  for (let k = 1; k < ts.length; k++) {
    let [b, bl] = sumOut(ts[k]!, labels[k]!, (l) => !neededAfter(k, l) && !accLabels.includes(l));
    const batch = accLabels.filter((l) => bl.includes(l) && neededAfter(k, l));
    const contracted = accLabels.filter((l) => bl.includes(l) && !neededAfter(k, l));
    const aOnly = accLabels.filter((l) => !bl.includes(l));
    const bOnly = bl.filter((l) => !accLabels.includes(l));
    const a3 = grouped(acc, accLabels, [...batch, ...aOnly, ...contracted], [batch.length, aOnly.length, contracted.length], size);
    const b3 = grouped(b, bl, [...batch, ...contracted, ...bOnly], [batch.length, contracted.length, bOnly.length], size);
    accLabels = [...batch, ...aOnly, ...bOnly];
    acc = reshape(matmul(a3, b3), accLabels.map((l) => size.get(l)!));
  }
  [acc, accLabels] = sumOut(acc, accLabels, (l) => !out.includes(l));
  return permute(acc, out.map((l) => accLabels.indexOf(l)));
}
