import {
  abs, add, clamp, div, elu, gelu, gt, leakyRelu, logSoftmax, mul, relu, reshape, sigmoid, softmax, softplus, tanh, where, ShapeError,
  type Tensor,
} from '@tapegrad/tensor';
import { constant_ } from '../init.js';
import { Module } from '../module.js';
import { checkSize, fmtShape, newParameter, type LayerInitOptions, layerInput, layerOptions } from './common.js';
import { describe } from '@tapegrad/tensor/internal';

/** max(x, 0). */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return relu(x); }
}

/** x for x > 0, negativeSlope * x otherwise (default slope 0.01, as PyTorch). */
export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope)) throw new TypeError(`LeakyReLU: expected a finite negative slope, got ${describe(negativeSlope)}`);
    this.negativeSlope = negativeSlope;
  }
  override forward(x: Tensor): Tensor { layerInput(this, x); return leakyRelu(x, this.negativeSlope); }
}

/** tanh(x), as nn.Tanh. */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return tanh(x); }
}

/** 1 / (1 + exp(-x)), as nn.Sigmoid. */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return sigmoid(x); }
}

/** log(1 + exp(beta x)) / beta, linear above `threshold` (defaults beta = 1, threshold = 20, as PyTorch). */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  override forward(x: Tensor): Tensor { layerInput(this, x); return softplus(x, { beta: this.beta, threshold: this.threshold }); }
}

/** x Phi(x), the exact erf form by default; `{ approximate: 'tanh' }` for the tanh approximation. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.approximate = opts.approximate ?? 'none';
  }
  override forward(x: Tensor): Tensor { layerInput(this, x); return gelu(x, { approximate: this.approximate }); }
}

/** A module that normalizes along one axis, given explicitly (PyTorch's implicit choice of dim is deprecated). */
abstract class AlongAxis extends Module {
  readonly axis: number;
  constructor(axis: number) {
    super();
    if (typeof axis !== 'number' || !Number.isInteger(axis)) {
      throw new TypeError(`${new.target.name}: expected the axis to normalize over (an integer, e.g. -1 or 1), got ${describe(axis)}`);
    }
    this.axis = axis;
  }
}

/** softmax along `axis`. */
export class Softmax extends AlongAxis {
  override forward(x: Tensor): Tensor { layerInput(this, x); return softmax(x, this.axis); }
}

/** log(softmax(x)) along `axis`, computed stably. */
export class LogSoftmax extends AlongAxis {
  override forward(x: Tensor): Tensor { layerInput(this, x); return logSoftmax(x, this.axis); }
}

/** x * sigmoid(x) (also called swish). */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return mul(x, sigmoid(x)); }
}

/** x * tanh(softplus(x)). */
export class Mish extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return mul(x, tanh(softplus(x))); }
}

function finite(layer: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${layer}: expected a finite ${what}, got ${describe(v)}`);
  return v;
}

/** x for x > 0, alpha (exp(x) - 1) otherwise (default alpha 1). */
export class ELU extends Module {
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = finite('ELU', 'alpha', alpha);
  }
  override forward(x: Tensor): Tensor { layerInput(this, x); return elu(x, this.alpha); }
}

/**
 * x for x > 0, a * x otherwise, with a learned slope `weight` [numParameters] (initialized to `init`,
 * default 0.25): one shared slope, or one per channel (dim 1 of the input), as PyTorch.
 */
export class PReLU extends Module {
  readonly numParameters: number;
  weight: Tensor;
  constructor(numParameters = 1, init = 0.25, opts: Pick<LayerInitOptions, 'dtype'> = {}) {
    super();
    layerOptions(opts, new.target.name);
    this.numParameters = checkSize(numParameters, 'PReLU', 'numParameters');
    this.weight = constant_(newParameter([numParameters], opts, new.target.name), finite('PReLU', 'init', init));
  }
  override forward(x: Tensor): Tensor {
    layerInput(this, x);
    let a = this.weight;
    if (this.numParameters > 1) {
      if (x.ndim < 2 || x.shape[1] !== this.numParameters) {
        throw new ShapeError(`PReLU: ${this.numParameters} parameters expect input [N, ${this.numParameters}, ...], got ${fmtShape(x.shape)}`);
      }
      a = reshape(a, [this.numParameters, ...x.shape.slice(2).map(() => 1)]);
    }
    return where(gt(x, 0), x, mul(a, x));
  }
}

/** x clamped to [minVal, maxVal] (default [-1, 1]). */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(minVal = -1, maxVal = 1) {
    super();
    this.minVal = finite('Hardtanh', 'minVal', minVal);
    this.maxVal = finite('Hardtanh', 'maxVal', maxVal);
    if (!(minVal < maxVal)) throw new RangeError(`Hardtanh: expected minVal < maxVal, got ${minVal} and ${maxVal}`);
  }
  override forward(x: Tensor): Tensor { layerInput(this, x); return clamp(x, this.minVal, this.maxVal); }
}

/** x * relu6(x + 3) / 6: 0 below -3, x above 3. */
export class Hardswish extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return div(mul(x, clamp(add(x, 3), 0, 6)), 6); }
}

/** x / (1 + |x|). */
export class Softsign extends Module {
  override forward(x: Tensor): Tensor { layerInput(this, x); return div(x, add(abs(x), 1)); }
}
