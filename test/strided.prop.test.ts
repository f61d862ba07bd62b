/**
 * Every op-table row, run on inputs laid out the hard way: column-major, with a gap after every
 * element and an offset, and NaN (or a sentinel integer) in every slot the view does not cover.
 * Values and gradients must be bit-identical to the same inputs stored contiguously: a kernel that
 * ignores strides, or reads outside its view, either disagrees or lets the NaN leak out.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, mul, randn, sum } from '@tapegrad/tensor';
import { vjp } from '@tapegrad/autograd';
import { caseArb } from './arbitraries.js';
import { gapped as strided } from './layouts.js';
import { OP_TABLE, asFunction, floatPositions, inputTensors, rowId, single } from './op-table.js';

const SEED = 424242;
const RUNS = 4;

describe('ops on non-contiguous inputs give exactly what they give on contiguous ones', () => {
  for (const row of OP_TABLE) {
    it(rowId(row), () => {
      fc.assert(
        fc.property(caseArb(row), (c) => {
          const dense = inputTensors(row, c.shapes, c.values);
          const loose = dense.map(strided);
          expect(loose.every((t, i) => t.ndim < 2 || t.size <= 1 || !t.isContiguous || dense[i]!.size === 0)).toBe(true);
          const a = single(row.call(...dense));
          const b = single(row.call(...loose));
          expect(b.shape).toEqual(a.shape);
          expect(b.toArray()).toEqual(a.toArray());
          // Gradients too: the rules read the (strided) primal inputs.
          const pos = floatPositions(row);
          if (pos.length === 0) return;
          const u = randn(a.shape, { generator: new Generator(5), dtype: 'float64' });
          const ga = vjp(asFunction(row, dense), ...pos.map((p) => dense[p]!)).vjp(u);
          const gb = vjp(asFunction(row, loose), ...pos.map((p) => loose[p]!)).vjp(u);
          gb.forEach((g, k) => expect(g.toArray()).toEqual(ga[k]!.toArray()));
          expect(sum(mul(b, 0)).item()).toBe(0); // the strided output holds no NaN from the gaps
        }),
        { seed: SEED, numRuns: RUNS },
      );
    });
  }
});
