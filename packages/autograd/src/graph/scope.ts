import { Tensor, type TapeNode } from '@tapegrad/tensor';
import { isGradEnabled, reachableNodes, tapeClock } from '@tapegrad/tensor/internal';
import { describeValue } from '../levels.js';
import { synchronously } from '../modes.js';

/**
 * Module paths given explicitly with `graphScope`, per tape node. A WeakMap: a node nobody holds
 * any more takes its entry with it.
 */
const scopes = new WeakMap<TapeNode, string>();

/** The explicit module path of a tape node, if a `graphScope` call produced it. */
export function scopeOf(node: TapeNode): string | undefined {
  return scopes.get(node);
}

/** Every tensor in a value returned by a scope: a tensor, or arrays and plain objects holding some. */
function tensorsIn(value: unknown): Tensor[] {
  const found: Tensor[] = [];
  const stack: unknown[] = [value];
  const seen = new Set<unknown>();
  while (stack.length > 0) {
    const v = stack.pop();
    if (v instanceof Tensor) {
      found.push(v);
    } else if (typeof v === 'object' && v !== null && !seen.has(v)) {
      seen.add(v);
      if (Array.isArray(v)) stack.push(...v);
      else if (Object.getPrototypeOf(v) === Object.prototype) stack.push(...Object.values(v));
    }
  }
  return found;
}

/**
 * Runs `fn` and marks the ops it recorded, and that its result depends on, as belonging to the
 * module `name`. `traceGraph` uses these marks to group ops by module (its `module` field and the
 * `depth` option) instead of inferring modules from parameter names. Scopes nest: an op recorded
 * inside `graphScope('lstm', ...)` inside `graphScope('encoder', ...)` belongs to "encoder.lstm".
 * A dot in `name` separates path components, so `graphScope('encoder.lstm', f)` is the same.
 * `fn` must be synchronous (one that returns a promise is a TypeError); its result (a tensor, or arrays and plain objects of tensors) is
 * returned unchanged. Calling the same name again (a recurrent cell at each step) adds to the
 * same module.
 *
 * @example
 * const y = graphScope('fc1', () => x.matmul(w1.T).add(b1));
 */
export function graphScope<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string' || name.split('.').some((part) => part.length === 0)) {
    throw new TypeError(`graphScope: expected a module name such as "fc1" or "encoder.lstm", got ${describeValue(name)}`);
  }
  if (typeof fn !== 'function') throw new TypeError(`graphScope: expected a function as the second argument, got ${describeValue(fn)}`);
  const start = tapeClock();
  // Ops after an await would be recorded outside the scope: like noGrad, only synchronous functions.
  const result = synchronously('graphScope', fn, (body) => body());
  if (!isGradEnabled()) return result;
  for (const node of reachableNodes(tensorsIn(result), (n) => n.id >= start)) {
    const inner = scopes.get(node);
    scopes.set(node, inner === undefined ? name : `${name}.${inner}`);
  }
  return result;
}
