import { add, mul, sum, zerosLike, type Tensor } from '@tapegrad/tensor';
import { checkFunction, grad, matching, tensorList, vjp } from './transforms.js';

/**
 * Forward-mode product J v: f's output and its directional derivative along `tangents`.
 * g(u) = J^T u is linear in u, so d<g(u), v>/du = J v.
 */
export function jvp(f: (...xs: Tensor[]) => Tensor, primals: Tensor[], tangents: Tensor[]): { out: Tensor; tangent: Tensor } {
  checkFunction(f, 'jvp');
  const xs = tensorList(primals, 'jvp', 'primals');
  const ts = matching(tangents, xs, false, 'jvp', 'tangents');
  const res = vjp(f, ...xs);
  const tangent = grad((u: Tensor) => res.vjp(u).reduce<Tensor>((acc, g, i) => add(acc, sum(mul(g, ts[i]!))), sum(mul(u, 0))))(zerosLike(res.out));
  return { out: res.out, tangent };
}
