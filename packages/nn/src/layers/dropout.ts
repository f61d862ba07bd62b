import { Generator, dropout, type Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';
import { layerInput, layerOptions } from './common.js';
import { checkSeed, describe } from '@tapegrad/tensor/internal';

/**
 * While training, zeroes each element with probability p (default 0.5) and scales the others by
 * 1/(1-p); in eval mode, the identity. `{ seed }` or `{ generator }` makes the masks reproducible
 * (the default stream, see `manualSeed`, otherwise).
 */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;

  constructor(p = 0.5, opts: { generator?: Generator; seed?: number } = {}) {
    super();
    layerOptions(opts, new.target.name);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`Dropout: expected a probability p in [0, 1], got ${describe(p)}`);
    this.p = p;
    this.generator = opts.generator ?? (opts.seed !== undefined ? new Generator(checkSeed(opts.seed, 'Dropout', 'the seed')) : undefined);
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return dropout(x, this.p, this.training, this.generator === undefined ? {} : { generator: this.generator });
  }
}
