import { Tensor, add, mul, sum, zeros, zerosLike, type PrimitiveAttrs, type TapeNode } from '@tapegrad/tensor';
import { isAnomalyEnabled, isGradEnabled, withAnomalyMode, withGradMode, writeCount, type CustomVjp } from '@tapegrad/tensor/internal';
import { checkUnwritten, finiteCheck } from './backward.js';
import { beginCall, callGraph, dependsOnGrad } from './levels.js';
import { SHAPE_ONLY_VJP, rules } from './rules/index.js';
import type { PrimitiveRules } from './rules/rule.js';
import { grad, runTraced } from './transforms.js';
import { checkFunction, derivativeFor, matching, tensorList, tensorOutputs } from './validate.js';

/** Tangents of a user op's inputs to its output's tangent (see `OpSpec.jvp`). */
export type CustomJvp = (tangents: (Tensor | null)[], inputs: Tensor[], out: Tensor) => Tensor | null;

/** Forward-mode rules of user ops (defineOp), by the VJP function their nodes carry. */
const customJvps = new WeakMap<object, CustomJvp>();

/** Registers the forward-mode rule of a user op whose nodes carry `vjp` (called by defineOp). */
export function registerJvp(vjp: object, jvp: CustomJvp): void {
  customJvps.set(vjp, jvp);
}

/**
 * The tangent of a user op without a forward rule, from its VJP: u -> vjp(u) is linear, so the
 * gradient of <vjp(u), t> with respect to u is J t. This needs the VJP written with tensor ops.
 */
export function transposedVjp(vjp: CustomVjp, tangents: readonly (Tensor | null)[], inputs: Tensor[], out: Tensor): Tensor {
  const inner = (u: Tensor): Tensor => {
    const gs = vjp(u, inputs, out);
    let acc: Tensor = sum(mul(u, 0));
    gs.forEach((g, i) => {
      const t = tangents[i];
      if (g !== null && g !== undefined && t !== null && t !== undefined) acc = add(acc, sum(mul(g, t)));
    });
    return acc;
  };
  return grad(inner)(zeros(out.shape, { dtype: out.dtype }));
}

function tangentOf(node: TapeNode, tangents: (Tensor | null)[]): Tensor | null {
  if (node.vjp !== null) {
    const custom = customJvps.get(node.vjp);
    return custom ? custom(tangents, node.inputs.slice(), node.output) : transposedVjp(node.vjp, tangents, node.inputs.slice(), node.output);
  }
  const rule = (rules[node.op as keyof typeof rules] as PrimitiveRules<keyof PrimitiveAttrs> | undefined)?.jvp;
  if (!rule) throw new TypeError(`jvp: no JVP rule for op '${node.op}'`);
  return rule(tangents, node.inputs, node.output, node.attrs as never);
}

/**
 * The forward sweep: visits the nodes (in recording order, which is topological) and applies each
 * one's JVP rule to its inputs' tangents, starting from `seeds` (tangents of the primals). Returns
 * every tangent computed; a tensor missing from the map has tangent zero.
 */
function sweepForward(nodes: readonly TapeNode[], seeds: Map<Tensor, Tensor>, createGraph: boolean): Map<Tensor, Tensor> {
  const tangents = seeds;
  const anomaly = isAnomalyEnabled();
  withGradMode(createGraph, () => {
    for (const node of nodes) {
      const tin = node.inputs.map((x) => tangents.get(x) ?? null);
      if (tin.every((t) => t === null)) continue;
      if (node.epoch < writeCount() && !SHAPE_ONLY_VJP.has(node.op)) checkUnwritten(node, 'jvp');
      const given: unknown = anomaly ? withAnomalyMode(false, () => tangentOf(node, tin)) : tangentOf(node, tin);
      // null: no tangent (zero); anything else must be a tangent of the output.
      if (given === null) continue;
      const t = derivativeFor(given, node.output, `jvp of '${node.op}'`, "the output's tangent");
      if (anomaly) finiteCheck(t, `jvp of '${node.op}' produced`, 'in the output tangent');
      tangents.set(node.output, t);
    }
  });
  return tangents;
}

/** What `jvp` returns: f's output and its tangent, each a tensor or an array like f's result. */
export interface JvpResult<O extends Tensor | Tensor[]> { out: O; tangent: O }

/**
 * Forward mode: f's output at `primals` and its directional derivative J v along `tangents` (one
 * per primal, of its shape), computed in one forward sweep that applies each primitive's JVP rule.
 * `f` may return a tensor or an array of tensors; the tangent has the same form.
 */
export function jvp<O extends Tensor | Tensor[]>(f: (...xs: Tensor[]) => O, primals: Tensor[], tangents: Tensor[]): JvpResult<O> {
  return jvpAs('jvp', f, primals, tangents);
}

/** {@link jvp} on behalf of `op` (jacfwd, hvp, checkGrad), whose name its errors carry. */
export function jvpAs<O extends Tensor | Tensor[]>(op: string, f: (...xs: Tensor[]) => O, primals: unknown, tangents: unknown): JvpResult<O> {
  checkFunction(f, op);
  const xs = tensorList(primals, op, 'primals');
  const ts = matching(tangents, xs, false, op, 'tangents');
  const call = beginCall(xs);
  const { list: outs, single } = tensorOutputs(runTraced(() => f(...call.primals)), op, true);
  const graph = callGraph(call, outs);
  const createGraph = graph.external || (isGradEnabled() && ts.some(dependsOnGrad));
  const seeds = new Map<Tensor, Tensor>();
  call.primals.forEach((p, i) => seeds.set(p, ts[i]!));
  const computed = sweepForward(graph.nodes, seeds, createGraph);
  const outT = outs.map((o) => computed.get(o) ?? zerosLike(o));
  const keep = (o: Tensor): Tensor => (graph.external ? o : o.detach());
  return { out: (single ? keep(outs[0]!) : outs.map(keep)) as O, tangent: (single ? outT[0]! : outT) as O };
}
