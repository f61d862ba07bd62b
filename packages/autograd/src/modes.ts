import { withGradMode } from '@tapegrad/tensor/internal';
import { describeValue } from './levels.js';

/**
 * Runs a synchronous `fn` inside a mode (`within` sets the mode and restores it afterwards, even on
 * a throw). A function that returns a promise would run most of its work after the mode is restored,
 * so it is refused with a TypeError naming `op` (the mode is restored by then).
 */
export function synchronously<T>(op: string, fn: () => T, within: <R>(body: () => R) => R): T {
  if (typeof fn !== 'function') throw new TypeError(`${op}: expected a function, got ${describeValue(fn)}`);
  const result = within(fn);
  if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof (result as { then?: unknown }).then === 'function') {
    throw new TypeError(`${op}: the function returned a promise; ${op} takes synchronous functions only (await inside it would run outside its mode)`);
  }
  return result;
}

/**
 * Runs `fn` without recording: nothing computed inside requires grad. Transforms called inside
 * still compute their derivatives, but what they return does not require grad. `fn` must be synchronous.
 */
export function noGrad<T>(fn: () => T): T {
  return synchronously('noGrad', fn, (body) => withGradMode(false, body));
}

/** Runs `fn` with recording on, even inside `noGrad`. `fn` must be synchronous. */
export function enableGrad<T>(fn: () => T): T {
  return synchronously('enableGrad', fn, (body) => withGradMode(true, body));
}
