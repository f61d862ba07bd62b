import { gelu, leakyRelu, logSoftmax, relu, sigmoid, softmax, softplus, tanh, type Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';

/** max(x, 0). */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor { return relu(x); }
}

/** x for x > 0, negativeSlope * x otherwise (default slope 0.01, as PyTorch). */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) throw new TypeError(`LeakyReLU: expected a finite negative slope, got ${String(negativeSlope)}`);
    this.negativeSlope = negativeSlope;
  }
  override forward(x: Tensor): Tensor { return leakyRelu(x, this.negativeSlope); }
}

export class Tanh extends Module {
  override forward(x: Tensor): Tensor { return tanh(x); }
}

export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor { return sigmoid(x); }
}

/** log(1 + exp(beta x)) / beta, linear above `threshold` (defaults beta = 1, threshold = 20, as PyTorch). */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  override forward(x: Tensor): Tensor { return softplus(x, { beta: this.beta, threshold: this.threshold }); }
}

/** x Phi(x), the exact erf form by default; `{ approximate: 'tanh' }` for the tanh approximation. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
  }
  override forward(x: Tensor): Tensor { return gelu(x, { approximate: this.approximate }); }
}

/** A module that normalizes along one axis, given explicitly (PyTorch's implicit choice of dim is deprecated). */
abstract class AlongAxis extends Module {
  readonly axis: number;
  constructor(axis: number) {
    super();
    if (typeof axis !== 'number' || !Number.isInteger(axis)) {
      throw new TypeError(`${new.target.name}: expected the axis to normalize over (an integer, e.g. -1 or 1), got ${String(axis)}`);
    }
    this.axis = axis;
  }
}

/** softmax along `axis`. */
export class Softmax extends AlongAxis {
  override forward(x: Tensor): Tensor { return softmax(x, this.axis); }
}

/** log(softmax(x)) along `axis`, computed stably. */
export class LogSoftmax extends AlongAxis {
  override forward(x: Tensor): Tensor { return logSoftmax(x, this.axis); }
}
