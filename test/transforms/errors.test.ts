/** Junk arguments to transforms: a TypeError naming the function and what it expected; a wrong shape is a ShapeError. */
import { describe, expect, it } from 'vitest';
import { ShapeError, mul, sum, tensor, type Tensor } from 'tapegrad';
import {
  backward, checkGrad, defineOp, detectAnomaly, grad, gradients, hessian, hvp, jacfwd, jacrev, jvp, sumTo, valueAndGrad, vjp, vmap,
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
  ['grad of a non-scalar function', () => grad(sq)(x), TypeError, /^grad: the function must return a one-element float32\/float64 tensor, got shape \[3\]/],
  ['grad of a function returning a number', () => grad(junk(() => 5))(x), TypeError, /^grad: the function must return a one-element float32\/float64 tensor, got number 5/],
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
  ['backward with gradOutput of the wrong shape', () => backward(mul(x.detach().requiresGrad_(), 2), tensor([1])), ShapeError, /^backward: gradOutput has shape \[1\], expected \[3\]/],
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
  // Transforms built on others name the one the user called, not the one underneath.
  ['jacrev of a function returning a number', () => jacrev(junk(() => 3))(x), TypeError, /^jacrev: the function must return a Tensor or a non-empty array of Tensors, got number 3/],
  ['jacfwd of a function returning a number', () => jacfwd(junk(() => 3))(x), TypeError, /^jacfwd: the function must return a Tensor/],
  ['hessian of a function returning a promise', () => hessian(junk(async (t: Tensor) => total(t)))(x), TypeError, /^hessian: the function must return a Tensor or a non-empty array of Tensors, got a Promise/],
  ['hvp of a non-scalar function', () => hvp(sq, [x], [x]), TypeError, /^hvp: the function must return a one-element float32\/float64 tensor, got shape \[3\]/],
  ['checkGrad of a function returning a number', () => checkGrad(junk(() => 3), [x]), TypeError, /^checkGrad: the function must return a Tensor/],
  // An integer output has no derivative to take.
  ['grad of a function returning an int32 scalar', () => grad((t: Tensor) => sum(t).to('int32'))(x), TypeError, /^grad: the function must return a one-element float32\/float64 tensor, got a int32 tensor/],
  ['vjp of a function returning an int32 tensor', () => vjp((t: Tensor) => t.to('int32'), x), TypeError, /^vjp: the function must return float32\/float64 tensors to differentiate, got a int32 tensor/],
  ['jvp of a function returning a bool tensor at output 1', () => jvp((t: Tensor) => [t, t.to('bool')], [x], [x]), TypeError, /^jvp: the function must return float32\/float64 tensors to differentiate, got a bool tensor at output 1/],
  ['checkGrad of a function returning an int32 tensor', () => checkGrad((t: Tensor) => t.to('int32'), [x]), TypeError, /^checkGrad: the function must return float32\/float64 tensors/],
  // Derivatives must be float; options must be known and of their type.
  ['jvp with an int32 tangent', () => jvp(sq, [x], [tensor([1, 2, 3], { dtype: 'int32' })]), TypeError, /^jvp: tangents\[0\] has dtype int32; derivatives must be float32 or float64/],
  ['vjp with a bool cotangent', () => vjp(sq, x).vjp(tensor([true, false, true])), TypeError, /^vjp: cotangent has dtype bool/],
  ['grad with hasAux "yes"', () => grad(total, junk({ hasAux: 'yes' })), TypeError, /^grad: expected hasAux to be true or false, got the string "yes"/],
  ['grad with an unknown option', () => grad(total, junk({ argnum: 0 })), TypeError, /^grad: unknown option 'argnum'; expected options \{ argnums\?, hasAux\? \}/],
  ['vmap with an unknown option', () => vmap(sq, junk({ in_axes: 0 })), TypeError, /^vmap: unknown option 'in_axes'/],
  ['checkGrad with an option named toString', () => checkGrad(sq, [x], junk({ toString: 1 })), TypeError, /^checkGrad: unknown option 'toString'/],
  // A user forward rule returning junk.
  ['a defineOp jvp rule returning undefined', () => jvp(defineOp({ name: 'twice', forward: (t) => mul(t, 2), vjp: (g) => [mul(g, 2)], jvp: () => junk(undefined) }), [x], [x]), TypeError, /^jvp of 'twice': expected the output's tangent to be a Tensor, got undefined/],
  ['a defineOp jvp rule returning int32', () => jvp(defineOp({ name: 'twice', forward: (t) => mul(t, 2), vjp: (g) => [mul(g, 2)], jvp: ([t]) => t!.to('int32') }), [x], [x]), TypeError, /^jvp of 'twice': the output's tangent has dtype int32/],
  // gradients and sumTo check what they are given.
  ['gradients with createGraph {}', () => gradients([sum(x)], [x], [tensor(1, { dtype: 'float64' })], junk({})), TypeError, /^gradients: expected createGraph to be true or false, got a Object/],
  ['gradients with seeds of the wrong shape', () => gradients([x], [x], [tensor([1])], false), ShapeError, /^gradients: seeds\[0\] has shape \[1\], expected \[3\]/],
  ['gradients with outputs that are not tensors', () => gradients(junk([3]), [x], [x], false), TypeError, /^gradients: expected outputs as an array of Tensors, got an array of length 1/],
  ['sumTo without a shape', () => sumTo(x, junk(undefined)), TypeError, /^sumTo: expected a shape as an array of non-negative integers, got undefined/],
  ['sumTo a shape it does not broadcast from', () => sumTo(X, [3, 3]), ShapeError, /^sumTo: a tensor of shape \[2,3\] is not a broadcast of shape \[3,3\]/],
  ['sumTo of a number', () => sumTo(junk(3), [1]), TypeError, /^sumTo: expected a Tensor to sum, got 3/],
];

describe('junk arguments to transforms', () => {
  for (const [name, call, kind, message] of cases) {
    it(name, () => {
      expect(call).toThrow(kind);
      expect(call).toThrow(message);
    });
  }

  it('a (co)tangent of the other float precision is cast to its tensor\'s dtype, as backward casts gradOutput', () => {
    const x32 = tensor([1, 2, 3]);
    const { tangent } = jvp(sq, [x32], [tensor([1, 1, 1], { dtype: 'float64' })]);
    expect(tangent.dtype).toBe('float32');
    expect(Array.from(tangent.data())).toEqual([2, 4, 6]);
    const [g] = vjp(sq, x32).vjp(tensor([1, 1, 1], { dtype: 'float64' }));
    expect(g!.dtype).toBe('float32');
    expect(Array.from(g!.data())).toEqual([2, 4, 6]);
    const twice = defineOp({ name: 'twice', forward: (t) => mul(t, 2), vjp: (u) => [mul(u, 2)], jvp: ([t]) => mul(t!, 2).to('float64') });
    expect(jvp(twice, [x32], [x32]).tangent.dtype).toBe('float32');
  });

  it('gradients and sumTo give the same answers as before on good arguments', () => {
    const leaf = x.detach().requiresGrad_(true);
    expect(Array.from(gradients([mul(leaf, leaf)], [leaf], [tensor([1, 1, 1], { dtype: 'float64' })], false)[0]!.data())).toEqual([2, 4, 6]);
    expect(Array.from(sumTo(X, [1, 3]).data())).toEqual([5, 7, 9]);
    expect(sumTo(X, [3]).shape).toEqual([3]);
  });

  it('a defineOp mapped by vmap over an empty batch gives an empty batch of its output\'s shape', () => {
    const pairUp = defineOp({ name: 'pairUp', forward: (t) => tensor([sum(t).item(), 0], { dtype: t.dtype }), vjp: (g) => [g] });
    const out = vmap(pairUp)(tensor(new Float64Array(0), { shape: [0, 3], dtype: 'float64' }));
    expect(out.shape).toEqual([0, 2]);
    expect(out.dtype).toBe('float64');
  });

  it('detectAnomaly reads a strided input holding NaN in place (it used to recurse until the stack overflowed)', () => {
    const strided = tensor([NaN, 1, 2], { dtype: 'float64' }).reshape([1, 3]).expand([2, 3]);
    for (const op of [sq, (t: Tensor) => t.sin(), (t: Tensor) => t.log()]) {
      const y = detectAnomaly(() => op(strided));
      expect(y.shape).toEqual([2, 3]);
    }
    // NaN made from NaN-free strided inputs is still reported.
    expect(() => detectAnomaly(() => tensor([-1, 2], { dtype: 'float64' }).reshape([1, 2]).expand([2, 2]).sqrt())).toThrow(/^detectAnomaly: forward of 'sqrt' produced NaN/);
  });

  it('a tensor batched by vmap that escapes its call is refused when used', () => {
    let leaked: Tensor | undefined;
    vmap((t: Tensor) => {
      leaked = t;
      return mul(t, 2);
    })(X);
    expect(() => mul(leaked!, 2)).toThrow(/^vmap: a tensor batched by vmap was used after its vmap call returned/);
  });
});
