import type { TapeNode, Tensor } from '@tapegrad/tensor';
import { scopeOf } from './scope.js';

/** A tensor of the traced graph: an op's output (node set) or a tensor no recorded op produced. */
export interface Entry {
  tensor: Tensor;
  node: TapeNode | null;
  /** Position in topological order. */
  order: number;
  /** The tensors this op read, by argument position (empty for leaves). */
  inputs: Entry[];
  /** Ops that read this tensor (one entry per argument position that reads it). */
  consumers: Entry[];
  /** Module path, once assigned. */
  module?: string;
}

/** True for a tensor holding one value: one element, or one element broadcast (all strides 0). */
export function isSingleValue(t: Tensor): boolean {
  return t.size === 1 || (t.size > 1 && t.strides.every((s) => s === 0));
}

/** "fc1.weight" -> "fc1"; "layers.0.bias" -> "layers.0"; a name without a dot has no module. */
function modulePathOfName(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : undefined;
}

/** The first `depth` components of a dotted path (the whole path when depth is undefined). */
export function truncatePath(path: string, depth: number | undefined): string {
  if (depth === undefined || depth === Infinity) return path;
  return path.split('.').slice(0, depth).join('.');
}

/** Every op entry reachable from `start` by following `next`, including `start` itself. */
function reach(start: Iterable<Entry>, next: (e: Entry) => Entry[]): Set<Entry> {
  const seen = new Set<Entry>();
  const stack = [...start];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (seen.has(e)) continue;
    seen.add(e);
    for (const n of next(e)) if (n.node !== null && !seen.has(n)) stack.push(n);
  }
  return seen;
}

/**
 * Sets `module` on the entries whose module can be told, truncated to `depth` components.
 *
 * - A named tensor that no op produced (a parameter `fc1.weight`, a buffer `bn.running_mean`)
 *   belongs to the module its name's prefix names (`fc1`).
 * - An op recorded inside `graphScope` belongs to the scope's path; modules given that way are
 *   not extended by inference.
 * - Any other op is inferred from parameter names: it belongs to module M when it reads one of M's
 *   parameters directly, when it reads a tensor computed from M's parameters alone (the matmul
 *   after a transposed weight, the add after an expanded bias), or when it lies on a path between
 *   two ops of M. For Linear, Conv and embedding layers this is the whole
 *   layer; work that touches no parameter (normalisation statistics, recurrent gate nonlinearities)
 *   is only grouped when it lies between ops that do, and an activation after a layer stays
 *   outside it. Use `graphScope` where that is not what you want. An op claimed by two modules
 *   goes to the one it reads a parameter of, else the one it reads a prepared parameter of, else
 *   the module seen first.
 */
export function assignModules(entries: readonly Entry[], depth: number | undefined): void {
  const seedsByKey = new Map<string, Set<Entry>>();
  const explicit = new Set<Entry>();
  for (const e of entries) {
    if (e.node === null) {
      const path = modulePathOfName(e.tensor.name);
      if (path !== undefined) e.module = truncatePath(path, depth);
      continue;
    }
    const scoped = scopeOf(e.node);
    if (scoped !== undefined) {
      e.module = truncatePath(scoped, depth);
      explicit.add(e);
    }
    for (const input of e.inputs) {
      if (input.node !== null || input.module === undefined) continue;
      let seeds = seedsByKey.get(input.module);
      if (seeds === undefined) seedsByKey.set(input.module, (seeds = new Set()));
      seeds.add(e);
    }
  }

  // Each op's best claim: 3 reads the module's parameter, 2 reads a tensor computed from its
  // parameters alone, 1 lies between two of its ops. Ties go to the module seen first.
  const best = new Map<Entry, { key: string; rank: number }>();
  const claim = (e: Entry, key: string, rank: number): void => {
    const prev = best.get(e);
    if (prev === undefined || rank > prev.rank) best.set(e, { key, rank });
  };
  const scopedKeys = new Set<string>();
  for (const e of explicit) scopedKeys.add(e.module!);
  for (const [key, seeds] of seedsByKey) {
    if (scopedKeys.has(key)) continue;
    // Parameter preparation: ops computed from this module's parameters and single-value constants
    // alone, such as a transposed weight or an expanded bias.
    const prep = new Set<Entry>();
    const own = (i: Entry): boolean =>
      i.node === null ? i.module === key || (!i.tensor.requiresGrad && isSingleValue(i.tensor)) : prep.has(i);
    for (const e of entries) {
      if (e.node === null || !(seeds.has(e) || e.inputs.some((i) => prep.has(i)))) continue;
      if (e.inputs.every(own)) prep.add(e);
    }
    const members = new Set(seeds);
    for (const p of prep) for (const c of p.consumers) members.add(c);
    const below = reach(members, (e) => e.consumers);
    const above = reach(members, (e) => e.inputs);
    for (const e of below) {
      if (explicit.has(e)) continue;
      if (seeds.has(e)) claim(e, key, 3);
      else if (members.has(e)) claim(e, key, 2);
      else if (above.has(e)) claim(e, key, 1);
    }
  }
  for (const [e, { key }] of best) e.module = key;
}
