/**
 * Puts every method declared with `defineMethods` on `Tensor.prototype`. The package entry
 * imports this module before anything else it exports, so a `Tensor` always has its methods.
 * Every op family file must be imported here (they declare methods as they load).
 */
import { Tensor } from './tensor.js';
import { DECLARED } from './methods.js';
import './ops/elementwise.js';
import './ops/reduce.js';
import './ops/movement.js';
import './ops/linalg.js';
import './ops/nn.js';
import './ops/inplace.js';
import './ops/rearrange.js';
import './ops/indexing.js';
import './ops/sampling.js';
import './ops/logical.js';
import './ops/scan.js';
import './ops/sort.js';
import './ops/conv-transpose.js';
import './ops/pooling.js';
import './ops/resize.js';

for (const ops of DECLARED) {
  for (const [name, f] of Object.entries(ops)) {
    Object.defineProperty(Tensor.prototype, name, {
      value: function (this: Tensor, ...args: unknown[]) { return f(this, ...args); },
      writable: true,
      configurable: true,
    });
  }
}
DECLARED.length = 0;
