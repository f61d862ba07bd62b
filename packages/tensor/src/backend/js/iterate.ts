import type { View } from '../backend.js';

/**
 * Merges neighbouring dims that are contiguous in every operand and drops size-1 dims, so that
 * a broadcast or sliced operation becomes as few rows as possible (often one).
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let k = 0; merge && k < strides.length; k++) merge = outStrides[k]![last] === strides[k]![d]! * n;
    if (merge) {
      outShape[last]! *= n;
      for (let k = 0; k < strides.length; k++) outStrides[k]![last] = strides[k]![d]!;
    } else {
      outShape.push(n);
      for (let k = 0; k < strides.length; k++) outStrides[k]!.push(strides[k]![d]!);
    }
  }
  return { shape: outShape, strides: outStrides };
}

/** Row visitor: `offs[k]` is where the row starts in operand k, `steps[k]` its stride along the row. */
export type RowFn = (offs: readonly number[], len: number, steps: readonly number[]) => void;

/**
 * Walks `shape` row by row (the innermost collapsed dim) over several strided operands at once,
 * calling `row` once per row, never per element.
 */
export function forEachRow(shape: readonly number[], strides: readonly (readonly number[])[], starts: readonly number[], row: RowFn): void {
  const c = collapse(shape, strides);
  const nd = c.shape.length;
  const k = strides.length;
  if (nd === 0) {
    row(starts, shape.includes(0) ? 0 : 1, starts.map(() => 0));
    return;
  }
  if (c.shape.includes(0)) return;
  const len = c.shape[nd - 1]!;
  const steps = c.strides.map((s) => s[nd - 1]!);
  let outer = 1;
  for (let d = 0; d < nd - 1; d++) outer *= c.shape[d]!;
  const idx = new Array<number>(nd).fill(0);
  const offs = starts.slice();
  for (let r = 0; r < outer; r++) {
    row(offs, len, steps);
    for (let d = nd - 2; d >= 0; d--) {
      idx[d]!++;
      for (let j = 0; j < k; j++) offs[j]! += c.strides[j]![d]!;
      if (idx[d]! < c.shape[d]!) break;
      for (let j = 0; j < k; j++) offs[j]! -= c.strides[j]![d]! * c.shape[d]!;
      idx[d] = 0;
    }
  }
}

/** Storage offset of every element of a strided view, in row-major order. */
export function offsetsOf(shape: readonly number[], strides: readonly number[], start: number): Int32Array {
  let n = 1;
  for (const d of shape) n *= d;
  const out = new Int32Array(n);
  let p = 0;
  forEachRow(shape, [strides], [start], (offs, len, steps) => {
    const o = offs[0]!;
    const s = steps[0]!;
    for (let i = 0; i < len; i++) out[p++] = o + i * s;
  });
  return out;
}

/**
 * Walks the lines of `x` along `axis` together with the same lines of `out` (same shape, any
 * strides), calling `line(xStart, xStep, outStart, outStep, n)` once per line; a 0-d x is one line of
 * one element. For kernels that work along one axis (scans, sorts).
 */
export function forEachLine(
  x: View, out: View, axis: number, line: (xo: number, xs: number, oo: number, os: number, n: number) => void,
): void {
  const n = x.shape[axis] ?? 1;
  if (n === 0) return;
  const others = (a: readonly number[]): number[] => a.filter((_, d) => d !== axis);
  const xLines = offsetsOf(others(x.shape), others(x.strides), x.offset);
  const oLines = offsetsOf(others(out.shape), others(out.strides), out.offset);
  const xs = x.strides[axis] ?? 0;
  const os = out.strides[axis] ?? 0;
  for (let l = 0; l < xLines.length; l++) line(xLines[l]!, xs, oLines[l]!, os, n);
}
