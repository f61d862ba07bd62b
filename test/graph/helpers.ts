import type { Tensor } from 'tapegrad';

/** Marks `t` as requiring grad and names it, as nn names module parameters: a 'param' node. */
export function named(t: Tensor, name: string): Tensor {
  t.requiresGrad_(true);
  t.name = name;
  return t;
}
