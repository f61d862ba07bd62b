import { withAnomalyMode, withTimingMode } from '@tapegrad/tensor/internal';

/**
 * Runs `fn` checking every op output and every gradient for NaN/Inf, and throws an `AnomalyError`
 * naming the op whose forward (or backward) produced the first one.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return withAnomalyMode(true, fn);
}

/**
 * Runs `fn` measuring how long each recorded op takes: its forward kernel, and its VJP when a
 * backward pass runs inside `fn` too. `traceGraph` then reports the times on each op node (`time`).
 * Views run no kernel (forward 0 ms) but their VJP is timed. `fn` must be synchronous.
 */
export function profileOps<T>(fn: () => T): T {
  return withTimingMode(true, fn);
}
