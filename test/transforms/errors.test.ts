/** Junk arguments to transforms: a TypeError naming the function and what it expected; a wrong shape is a ShapeError. */
import { describe, expect, it } from 'vitest';
import { ShapeError, mul, sum, tensor, type Tensor } from 'tapegrad';
import {
  backward, checkGrad, grad, hessian, hvp, jacfwd, jacrev, jvp, valueAndGrad, vjp, vmap,
} from '@tapegrad/autograd';

const x = tensor([1, 2, 3], { dtype: 'float64' });
const X = tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' });
const sq = (t: Tensor): Tensor => mul(t, t);
const total = (t: Tensor): Tensor => sum(mul(t, t));
const pair = (t: Tensor): Tensor[] => [t, mul(t, 2)];
// Deliberately wrong calls, so the types are switched off for them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const junk = (v: unknown): any => v;

const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
  ['grad(5)', () => grad(junk(5)), TypeError, /^grad: expected a function to transform, got number 5$/],
  ['grad with options that are not an object', () => grad(total, junk(3)), TypeError, /^grad: expected options \{ argnums\?, hasAux\? \}, got number 3/],
  ['grad with argnums "a"', () => grad(total, junk({ argnums: 'a' }))(x), TypeError, /^grad: expected argnums as an integer or a non-empty array of integers, got the string "a"/],
  ['grad with argnums out of range', () => grad(total, { argnums: 1 })(x), RangeError, /^grad: argnums 1 out of range for 1 arguments/],
  ['grad of a string', () => grad(total)(junk('x')), TypeError, /^grad: argument 0 must be a float32\/float64 tensor \(or a number\) to differentiate, got the string "x"/],
  ['grad of an int tensor', () => grad(total)(tensor([1], { dtype: 'int32' })), TypeError, /^grad: argument 0 must be a float32\/float64 tensor/],
  ['grad of a non-scalar function', () => grad(sq)(x), TypeError, /^grad: the function must return a one-element tensor, got shape \[3\]/],
  ['grad of a function returning a number', () => grad(junk(() => 5))(x), TypeError, /^grad: the function must return a one-element tensor, got number 5/],
  ['grad hasAux without a pair', () => grad(total, junk({ hasAux: true }))(x), TypeError, /^grad: with hasAux the function must return \[value, aux\]/],
  ['valueAndGrad(null)', () => valueAndGrad(junk(null)), TypeError, /^valueAndGrad: expected a function to transform, got null/],
  ['vjp(5, x)', () => vjp(junk(5), x), TypeError, /^vjp: expected a function to transform/],
  ['vjp of a string primal', () => vjp(sq, junk('a')), TypeError, /^vjp: primal 0 must be a float32\/float64 tensor/],
  ["vjp(...).vjp('a')", () => vjp(sq, x).vjp(junk('a')), TypeError, /^vjp: expected cotangent as a Tensor, got the string "a"/],
  ['vjp cotangent of the wrong shape', () => vjp(sq, x).vjp(tensor([1, 2])), ShapeError, /^vjp: cotangent has shape \[2\], expected \[3\]/],
  ['vjp of two outputs given one cotangent', () => vjp(pair, x).vjp(junk(x)), TypeError, /^vjp: expected cotangent as an array of 2 Tensors, got a float64 Tensor of shape \[3\]/],
  ['vjp of two outputs given one of two cotangents', () => vjp(pair, x).vjp([x]), TypeError, /^vjp: expected 2 cotangent, got 1/],
  ['vjp of a function returning a number', () => vjp(junk(() => 1), x), TypeError, /^vjp: the function must return a Tensor or a non-empty array of Tensors, got number 1/],
  ['jvp(f, x, t) with tensors for arrays', () => jvp(sq, junk(x), junk(x)), TypeError, /^jvp: expected primals as an array of tensors, got a float64 Tensor of shape \[3\]/],
  ['jvp(f, [x], t)', () => jvp(sq, [x], junk(x)), TypeError, /^jvp: expected tangents as an array of 1 Tensors, got a float64 Tensor/],
  ['jvp with more tangents than primals', () => jvp(sq, [x], [x, x]), TypeError, /^jvp: expected 1 tangents, got 2/],
  ['jvp tangent of the wrong shape', () => jvp(sq, [x], [tensor([1])]), ShapeError, /^jvp: tangents\[0\] has shape \[1\], expected \[3\]/],
  ['jvp(null, [x], [x])', () => jvp(junk(null), [x], [x]), TypeError, /^jvp: expected a function to transform, got null/],
  ['checkGrad(f, x)', () => checkGrad(sq, junk(x)), TypeError, /^checkGrad: expected inputs as an array of tensors, got a float64 Tensor of shape \[3\]/],
  ['checkGrad of an int input', () => checkGrad(sq, [tensor([1], { dtype: 'int32' })]), TypeError, /^checkGrad: expected inputs\[0\] to be a float32\/float64 tensor/],
  ['checkGrad with eps 0', () => checkGrad(sq, [x], { eps: 0 }), RangeError, /^checkGrad: expected eps to be a finite number > 0, got number 0/],
  ['checkGrad with eps NaN', () => checkGrad(sq, [x], { eps: NaN }), RangeError, /^checkGrad: expected eps to be a finite number > 0, got number NaN/],
  ['checkGrad with eps "1e-6"', () => checkGrad(sq, [x], junk({ eps: '1e-6' })), RangeError, /^checkGrad: expected eps to be a finite number > 0/],
  ['checkGrad with order 0', () => checkGrad(sq, [x], { order: 0 }), RangeError, /^checkGrad: expected order to be an integer >= 1/],
  ['checkGrad with modes ["back"]', () => checkGrad(sq, [x], junk({ modes: ['back'] })), TypeError, /^checkGrad: expected modes as a non-empty array of 'rev' and 'fwd'/],
  ['checkGrad(5, [x])', () => checkGrad(junk(5), [x]), TypeError, /^checkGrad: expected a function to transform, got number 5/],
  ['backward(5)', () => backward(junk(5)), TypeError, /^backward: expected the output Tensor to differentiate, got number 5/],
  ["backward(y, 'a')", () => backward(sum(x.detach().requiresGrad_()), junk('a')), TypeError, /^backward: expected gradOutput to be a Tensor \(or omitted for a scalar output\), got the string "a"/],
  ['backward with gradOutput of the wrong shape', () => backward(mul(x.detach().requiresGrad_(), 2), tensor([1])), ShapeError, /^backward: gradOutput \[1\] does not match/],
  ['vmap(5)', () => vmap(junk(5)), TypeError, /^vmap: expected a function to transform, got number 5/],
  ['vmap inAxes "a"', () => vmap(sq, junk({ inAxes: 'a' })), TypeError, /^vmap: expected inAxes as an integer or an array of integers and nulls/],
  ['vmap outAxes [null]', () => vmap(sq, junk({ outAxes: [null] })), TypeError, /^vmap: expected outAxes as an integer or an array of integers/],
  ['vmap chunkSize 0', () => vmap(sq, { chunkSize: 0 }), RangeError, /^vmap: expected chunkSize to be a positive integer, got number 0/],
  ['vmap with batch sizes that differ', () => vmap((a: Tensor, b: Tensor) => mul(a, b))(X, x), ShapeError, /^vmap: argument 1 has size 3 along its batch axis 0 \(shape \[3\]\), but argument 0 has 2/],
  ['vmap with no batched argument', () => vmap(sq, { inAxes: [null] })(x), TypeError, /^vmap: no argument is batched/],
  ['vmap inAxes of the wrong length', () => vmap(sq, { inAxes: [0, 0] })(x), TypeError, /^vmap: inAxes has 2 entries for 1 arguments/],
  ['vmap axis out of range', () => vmap(sq, { inAxes: 2 })(X), RangeError, /^vmap: axis 2 is out of range for a tensor with 2 dims/],
  ['vmap over a number', () => vmap(sq)(junk(3)), TypeError, /^vmap: argument 0 has batch axis 0 but is not a Tensor \(number 3\)/],
  ['vmap over a 0-d tensor', () => vmap(sq)(tensor(1)), ShapeError, /^vmap: argument 0 is a 0-d tensor/],
  ['vmap of a function returning a number', () => vmap(junk(() => 3))(X), TypeError, /^vmap: the function must return a Tensor or an array of Tensors, got number 3/],
  ['item() inside vmap', () => vmap((t: Tensor) => tensor(sum(t).item()))(X), TypeError, /^item: cannot read the values of a tensor batched by vmap/],
  ['data() inside vmap', () => vmap((t: Tensor) => tensor(t.data()))(X), TypeError, /^data: cannot read the values of a tensor batched by vmap/],
  ['toArray() inside vmap', () => vmap((t: Tensor) => tensor(t.toArray() as number[]))(X), TypeError, /^toArray: cannot read the values/],
  ['an in-place write inside vmap', () => vmap((t: Tensor) => t.clone().fill_(0))(X), TypeError, /^fill_: in-place writes into or from a tensor batched by vmap/],
  ['jacrev(5)', () => jacrev(junk(5)), TypeError, /^jacrev: expected a function to transform/],
  ['jacfwd with options 3', () => jacfwd(sq, junk(3)), TypeError, /^jacfwd: expected options \{ argnums\? \}, got number 3/],
  ['hessian of a string', () => hessian(total)(junk('x')), TypeError, /^hessian: argument 0 must be a float32\/float64 tensor/],
  ['hvp(f, x, v)', () => hvp(total, junk(x), junk(x)), TypeError, /^hvp: expected primals as an array of tensors/],
];

describe('junk arguments to transforms', () => {
  for (const [name, call, kind, message] of cases) {
    it(name, () => {
      expect(call).toThrow(kind);
      expect(call).toThrow(message);
    });
  }

  it('a tensor batched by vmap that escapes its call is refused when used', () => {
    let leaked: Tensor | undefined;
    vmap((t: Tensor) => {
      leaked = t;
      return mul(t, 2);
    })(X);
    expect(() => mul(leaked!, 2)).toThrow(/^vmap: a tensor batched by vmap was used after its vmap call returned/);
  });
});
