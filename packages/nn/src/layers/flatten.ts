import { ShapeError, flatten, reshape, type Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';
import { layerInput } from './common.js';
import { describe } from '@tapegrad/tensor/internal';

/** Collapses dims startDim..endDim (default 1..-1, keeping the batch dim), as nn.Flatten. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return flatten(x, this.startDim, this.endDim);
  }
}

/**
 * Splits dim `axis` into `sizes` (one entry may be -1), the inverse of Flatten, as nn.Unflatten.
 *
 * @example
 * new Unflatten(1, [4, 8]).call(x); // [N, 32] -> [N, 4, 8]
 */
export class Unflatten extends Module {
  readonly axis: number;
  readonly sizes: number[];

  constructor(axis: number, sizes: number[]) {
    super();
    if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new TypeError(`Unflatten: expected an integer axis, got ${describe(axis)}`);
    if (!Array.isArray(sizes) || sizes.length === 0 || sizes.some((d) => !Number.isInteger(d) || (d < 0 && d !== -1)) || sizes.filter((d) => d === -1).length > 1) {
      throw new RangeError(`Unflatten: expected sizes as a non-empty list of non-negative integers (one may be -1), got ${describe(sizes)}`);
    }
    this.axis = axis;
    this.sizes = sizes.slice();
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    const a = this.axis < 0 ? this.axis + x.ndim : this.axis;
    if (a < 0 || a >= x.ndim) throw new RangeError(`Unflatten: axis ${this.axis} is out of range for input [${x.shape.join(',')}]`);
    const n = x.shape[a]!;
    const known = this.sizes.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    const fits = this.sizes.includes(-1) ? known > 0 && n % known === 0 : known === n;
    if (!fits) throw new ShapeError(`Unflatten: cannot split dim ${a} of size ${n} of input [${x.shape.join(',')}] into [${this.sizes.join(',')}]`);
    return reshape(x, [...x.shape.slice(0, a), ...this.sizes, ...x.shape.slice(a + 1)]);
  }
}
