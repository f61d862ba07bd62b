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
  if (!spec || typeof spec.name !== 'string' || typeof spec.forward !== 'function' || typeof spec.vjp !== 'function') {
    throw new TypeError('defineOp: expected { name: string, forward(...inputs), vjp(gradOut, inputs, out) }');
  }
  const vjp: CustomVjp = (g, inputs, out) => spec.vjp(g, inputs, out);
  return (...inputs: Tensor[]): Tensor => {
    inputs.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new TypeError(`${spec.name}: input ${i} must be a Tensor`);
    });
    const start = isTimingEnabled() ? performance.now() : -1;
    let out = withGradMode(false, () => spec.forward(...inputs));
    if (!(out instanceof Tensor)) throw new TypeError(`${spec.name}: forward must return a Tensor`);
    // The node belongs to a tensor of its own, even if forward handed back an input.
    if (inputs.includes(out) || out.node !== null) out = out.detach();
    record(spec.name, inputs, out, {}, vjp);
    if (start >= 0 && out.node !== null) addOpTime(out.node, 'forward', performance.now() - start);
    return out;
  };
}
