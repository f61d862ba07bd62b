import { Tensor } from '@tapegrad/tensor';
import { addOpTime, isTimingEnabled, record, withGradMode, type CustomVjp } from '@tapegrad/tensor/internal';
import { registerJvp, transposedVjp, type CustomJvp } from './forward.js';
import { describeValue } from './levels.js';
import { perElement } from './vmap.js';

/**
 * What {@link defineOp} needs: a name, a forward computed with tensor ops (not recorded), and a VJP that maps
 * the output's cotangent to one cotangent per input (null for an input with no gradient).
 */
export interface OpSpec {
  /** Shown in errors, anomaly reports and graph exports. */
  name: string;
  /** Computes the output; runs without recording. */
  forward(...inputs: Tensor[]): Tensor;
  /** One cotangent (or null) per input, written with tensor ops so it can be differentiated again. */
  vjp(gradOut: Tensor, inputs: Tensor[], out: Tensor): (Tensor | null)[];
  /**
   * Optional forward mode: the output's tangent from the inputs' tangents (null for an input that
   * carries none). Without it, `jvp` transposes `vjp` (which must then be written with tensor ops).
   */
  jvp?(tangents: (Tensor | null)[], inputs: Tensor[], out: Tensor): Tensor | null;
}

/**
 * A user-defined differentiable op. Its forward runs unrecorded and the result is recorded as one
 * node carrying `spec.vjp`, through the same tape entry point as the built-in primitives.
 * Inside `vmap` it has no batching rule: its forward (and its vjp and jvp) run once per batch element,
 * on unbatched slices, and the results are stacked (a loop, so user code may read values).
 */
export function defineOp(spec: OpSpec): (...inputs: Tensor[]) => Tensor {
  const s = spec as Partial<Record<keyof OpSpec, unknown>> | null | undefined;
  if (s === null || typeof s !== 'object' || typeof s.name !== 'string' || s.name === '' || typeof s.forward !== 'function' || typeof s.vjp !== 'function' ||
    (s.jvp !== undefined && typeof s.jvp !== 'function')) {
    const what = s === null || typeof s !== 'object' ? describeValue(s)
      : `name ${describeValue(s.name)}, forward ${describeValue(s.forward)}, vjp ${describeValue(s.vjp)}, jvp ${describeValue(s.jvp)}`;
    throw new TypeError(`defineOp: expected { name: a non-empty string, forward(...inputs), vjp(gradOut, inputs, out), jvp?(tangents, inputs, out) }, got ${what}`);
  }
  const vjp: CustomVjp = (g, inputs, out) => spec.vjp(g, inputs, out);
  const jvp: CustomJvp = (ts, inputs, out) => (spec.jvp ? spec.jvp(ts, inputs, out) : transposedVjp(vjp, ts, inputs, out));
  if (spec.jvp) registerJvp(vjp, jvp);
  // The same rules for batched nodes, one batch element at a time.
  const batchedVjp: CustomVjp = (g, inputs, out) =>
    perElement([g, out, ...inputs], inputs.length, (gi, oi, ...xi) => vjp(gi!, xi as Tensor[], oi!))!;
  registerJvp(batchedVjp, (ts, inputs, out) =>
    perElement([out, ...inputs, ...ts], 1, (oi, ...rest) => [jvp(rest.slice(inputs.length), rest.slice(0, inputs.length) as Tensor[], oi!)])![0]!);

  const op = (...inputs: Tensor[]): Tensor => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`${spec.name}: input ${i} must be a Tensor, got ${describeValue(t)}`);
    });
    const batched = perElement(inputs, 1, (...xs) => [op(...(xs as Tensor[]))]);
    if (batched !== null) return record(spec.name, inputs, batched[0]!, {}, batchedVjp);
    const start = isTimingEnabled() ? performance.now() : -1;
    let out = withGradMode(false, () => spec.forward(...inputs));
    if (!(out instanceof Tensor)) throw new TypeError(`${spec.name}: forward must return a Tensor, got ${describeValue(out)}`);
    // The node belongs to a tensor of its own, even if forward handed back an input.
    if (inputs.includes(out) || out.node !== null) out = out.detach();
    record(spec.name, inputs, out, {}, vjp);
    if (start >= 0 && out.node !== null) addOpTime(out.node, 'forward', performance.now() - start);
    return out;
  };
  return op;
}
