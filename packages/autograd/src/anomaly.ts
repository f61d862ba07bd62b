import { withAnomalyMode } from '@tapegrad/tensor';

/**
 * Runs `fn` checking every op output and every gradient for NaN/Inf, and throws an `AnomalyError`
 * naming the op whose forward (or backward) produced the first one.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return withAnomalyMode(true, fn);
}
