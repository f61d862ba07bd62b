/**
 * Tensor methods come from the op files: each family file passes the ops that are also methods to
 * `defineMethods` (`const METHODS = { add, sub, ... }; defineMethods(METHODS);`) and declares them on
 * `Tensor` with `interface Tensor extends AsMethods<typeof METHODS> {}`. The method
 * `t.f(...args)` is the free function `f(t, ...args)`. A new op that should be a method is one
 * more entry in its file's METHODS; `install-methods.ts` puts them all on `Tensor.prototype` once.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyOp = (self: any, ...args: any[]) => unknown;

/** The method form of a table of free functions: the first parameter becomes the receiver. */
export type AsMethods<T> = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [K in keyof T]: T[K] extends (self: any, ...args: infer A) => infer R ? (...args: A) => R : never;
};

/** Method tables declared so far, waiting for `install-methods.ts`. */
export const DECLARED: Record<string, AnyOp>[] = [];

/** Declares free functions as `Tensor` methods (see the module comment). */
export function defineMethods(ops: object): void {
  DECLARED.push(ops as Record<string, AnyOp>);
}
