import { withAnomalyMode, withTimingMode } from '@tapegrad/tensor/internal';
import { synchronously } from './modes.js';

/**
 * Runs `fn` checking every op and every gradient, and throws an `AnomalyError` naming the first op
 * whose forward produced a NaN from inputs without NaN, or whose backward produced a NaN or an
 * infinity. Infinities in a forward pass (a -Infinity attention mask, log(0)) are not anomalies.
 * `fn` must be synchronous.
 */
export function detectAnomaly<T>(fn: () => T): T {
  return synchronously('detectAnomaly', fn, (body) => withAnomalyMode(true, body));
}

/**
 * Runs `fn` measuring how long each recorded op takes: its forward kernel, and its VJP when a
 * backward pass runs inside `fn` too. `traceGraph` then reports the times on each op node (`time`).
 * Views run no kernel (forward 0 ms) but their VJP is timed. `fn` must be synchronous.
 */
export function profileOps<T>(fn: () => T): T {
  return synchronously('profileOps', fn, (body) => withTimingMode(true, body));
}
