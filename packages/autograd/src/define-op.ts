import { describeValue } from './backward.js';
import { Tensor } from '@tapegrad/tensor';
import { addOpTime, isTimingEnabled, record, withGradMode, type CustomVjp } from '@tapegrad/tensor/internal';

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
}

/**
 * A user-defined differentiable op. Its forward runs unrecorded and the result is recorded as one
 * node carrying `spec.vjp`, through the same tape entry point as the built-in primitives.
 */
export function defineOp(spec: OpSpec): (...inputs: Tensor[]) => Tensor {
  const s = spec as Partial<Record<keyof OpSpec, unknown>> | null | undefined;
  if (s === null || typeof s !== 'object' || typeof s.name !== 'string' || s.name === '' || typeof s.forward !== 'function' || typeof s.vjp !== 'function') {
    const what = s === null || typeof s !== 'object' ? describeValue(s) : `name ${describeValue(s.name)}, forward ${describeValue(s.forward)}, vjp ${describeValue(s.vjp)}`;
    throw new TypeError(`defineOp: expected { name: a non-empty string, forward(...inputs), vjp(gradOut, inputs, out) }, got ${what}`);
  }
  const vjp: CustomVjp = (g, inputs, out) => spec.vjp(g, inputs, out);
  return (...inputs: Tensor[]): Tensor => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`${spec.name}: input ${i} must be a Tensor, got ${describeValue(t)}`);
    });
    const start = isTimingEnabled() ? performance.now() : -1;
    let out = withGradMode(false, () => spec.forward(...inputs));
    if (!(out instanceof Tensor)) throw new TypeError(`${spec.name}: forward must return a Tensor, got ${describeValue(out)}`);
    // The node belongs to a tensor of its own, even if forward handed back an input.
    if (inputs.includes(out) || out.node !== null) out = out.detach();
    record(spec.name, inputs, out, {}, vjp);
    if (start >= 0 && out.node !== null) addOpTime(out.node, 'forward', performance.now() - start);
    return out;
  };
}
