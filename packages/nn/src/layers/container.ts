import type { Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';
import { layerInput } from './common.js';

/**
 * Modules applied in order, each to the previous one's output. Children are named by position, so
 * parameters are `0.weight`, `2.bias`, as in PyTorch's nn.Sequential.
 *
 * @example
 * const mlp = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
 * mlp.call(x);
 */
export class Sequential extends Module {
  [index: number]: Module;

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new TypeError(`Sequential: argument ${i} is not a Module`);
      this[i] = m;
    });
  }

  /** Number of child modules. */
  get length(): number {
    let n = 0;
    while (this[n] !== undefined) n++;
    return n;
  }

  /** The i-th child (negative counts from the end). */
  at(i: number): Module | undefined {
    return this[i < 0 ? this.length + i : i];
  }

  /** Adds a module at the end. Returns this. */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new TypeError('Sequential.append: expected a Module');
    this[this.length] = m;
    return this;
  }

  *[Symbol.iterator](): IterableIterator<Module> {
    for (let i = 0; this[i] !== undefined; i++) yield this[i]!;
  }

  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    let y = x;
    for (const m of this) y = m.call(y);
    return y;
  }
}

/** Returns its input unchanged (a placeholder, as nn.Identity). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    return x;
  }
}
