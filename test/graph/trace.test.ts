import { describe, expect, it } from 'vitest';
import { backward, graphScope, traceGraph, type Graph, type GraphNode } from '@tapegrad/autograd';
import { concat, defineOp, tensor, unfold2d, zeros, type Tensor } from 'tapegrad';
import { named } from './helpers.js';

const byId = (g: Graph): Map<string, GraphNode> => new Map(g.nodes.map((n) => [n.id, n]));
const ops = (g: Graph): string[] => g.nodes.filter((n) => n.kind === 'op').map((n) => n.op!);

/** A tiny layer: y = sum(relu(x @ W^T + b), axis 1), with a concat on axis 1 to have an axis attribute. */
function small(): { x: Tensor; w: Tensor; b: Tensor; y: Tensor } {
  const x = tensor([[1, -2, 3], [0.5, 1, -1]]);
  const w = named(tensor([[0.1, 0.2, 0.3], [-0.4, 0.5, 0.6]]), 'fc.weight');
  const b = named(tensor([0.01, -0.02]), 'fc.bias');
  const h = x.matmul(w.T).add(b).relu();
  const y = concat([h, h.mul(2)], 1).sum(1);
  return { x, w, b, y };
}

describe('traceGraph', () => {
  it('records every op and leaf with kinds, shapes, dtypes, attrs and argument positions', () => {
    const { y } = small();
    const g = traceGraph(y);
    expect(g.version).toBe(1);
    // leaves: W (param), x (constant), b (param), the 2 broadcast to [2,2] (constant); ops in recording order
    expect(ops(g)).toEqual(['permute', 'matmul', 'expand', 'add', 'relu', 'mul', 'concat', 'sum']);
    expect(g.nodes).toHaveLength(12);
    expect(g.nodes.map((n) => n.id)).toEqual(g.nodes.map((_, i) => `n${i}`));
    const leaves = g.nodes.filter((n) => n.kind !== 'op').map((n) => [n.kind, n.name ?? n.value ?? 'data', n.shape]);
    expect(leaves).toEqual([['param', 'fc.weight', [2, 3]], ['constant', 'data', [2, 3]], ['param', 'fc.bias', [2]], ['constant', 2, [2, 2]]]);

    const n = byId(g);
    const find = (op: string): GraphNode => g.nodes.find((x) => x.op === op)!;
    expect(find('matmul')).toMatchObject({ kind: 'op', shape: [2, 2], dtype: 'float32', requiresGrad: true, module: 'fc' });
    expect(find('concat').attrs).toEqual({ axis: 1 });
    expect(find('concat').shape).toEqual([2, 4]);
    expect(find('sum').attrs).toEqual({ axes: [1], keepdims: false });
    expect(find('permute').attrs).toEqual({ dims: [1, 0] });
    expect(find('relu').attrs).toBeUndefined();
    const x = g.nodes.find((v) => v.kind === 'constant' && v.shape.length === 2)!;
    expect(x).toMatchObject({ shape: [2, 3], requiresGrad: false });
    expect(x.value).toBeUndefined();
    expect(g.nodes.find((v) => v.value === 2)).toMatchObject({ kind: 'constant', shape: [2, 2], requiresGrad: false });

    // edges: x is argument 0 of matmul, the transposed weight argument 1; relu feeds concat twice over
    const edgesInto = (id: string): [string, number][] => g.edges.filter((e) => e.to === id).map((e) => [n.get(e.from)!.op ?? n.get(e.from)!.name ?? 'x', e.inputIndex]);
    expect(edgesInto(find('matmul').id)).toEqual([['x', 0], ['permute', 1]]);
    expect(edgesInto(find('concat').id)).toEqual([['relu', 0], ['mul', 1]]);
    expect(edgesInto(find('add').id)).toEqual([['matmul', 0], ['expand', 1]]);
    expect(g.edges).toHaveLength(12);
    // topological: every edge goes forward
    for (const e of g.edges) expect(Number(e.from.slice(1))).toBeLessThan(Number(e.to.slice(1)));
    expect(g.outputs).toEqual([find('sum').id]);
  });

  it('gives one edge per argument when an op reads a tensor twice, and leaves that require grad are leaves', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const g = traceGraph(a.mul(a));
    expect(g.nodes.map((n) => n.kind)).toEqual(['leaf', 'op']);
    expect(g.edges).toEqual([{ from: 'n0', to: 'n1', inputIndex: 0 }, { from: 'n0', to: 'n1', inputIndex: 1 }]);
  });

  it('traces several outputs, a leaf output, and user-defined ops by name', () => {
    const double = defineOp({ name: 'double', forward: (t) => t.mul(2), vjp: (g) => [g.mul(2)] });
    const a = tensor([1, 2], { requiresGrad: true });
    const u = double(a);
    const v = a.exp();
    const g = traceGraph([u, v, a]);
    expect(ops(g)).toEqual(['double', 'exp']);
    expect(g.outputs).toHaveLength(3);
    expect(byId(g).get(g.outputs[0]!)!.op).toBe('double');
    expect(byId(g).get(g.outputs[2]!)!.kind).toBe('leaf');
    expect(traceGraph(tensor(3))).toEqual({ version: 1, nodes: [{ id: 'n0', kind: 'constant', shape: [], dtype: 'float32', requiresGrad: false, value: 3 }], edges: [], outputs: ['n0'] });
  });

  it('is deterministic and JSON round-trips, with non-finite attributes as strings', () => {
    const x = tensor([[[[1, 2], [3, 4]]]], { requiresGrad: true });
    const y = unfold2d(x, 2, { padding: 1, padValue: -Infinity }).sum(); // windows padded with -Infinity
    const g = traceGraph(y);
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
    expect(traceGraph(y)).toEqual(g);
    const unfold = g.nodes.find((n) => n.op === 'unfold2d')!;
    expect(unfold.attrs!.padValue).toBe('-Infinity');
  });

  it('walks a 50,000-op chain without recursion', () => {
    let t = tensor([1], { requiresGrad: true });
    for (let i = 0; i < 50_000; i++) t = t.neg();
    const g = traceGraph(t, { maxNodes: Infinity, gradStats: false });
    expect(g.nodes).toHaveLength(50_001);
    expect(g.edges).toHaveLength(50_000);
  });

  it('rejects graphs over maxNodes with a message saying how to shrink them', () => {
    let t = tensor([1], { requiresGrad: true });
    for (let i = 0; i < 30; i++) t = t.add(1);
    expect(() => traceGraph(t, { maxNodes: 20 })).toThrow(RangeError);
    expect(() => traceGraph(t, { maxNodes: 20 })).toThrow(/more than maxNodes \(20\).*depth.*hideConstants.*maxNodes/);
    // hiding the 30 scalar constants brings it under the limit: 1 leaf + 30 ops
    expect(traceGraph(t, { maxNodes: 31, hideConstants: true }).nodes).toHaveLength(31);
    expect(() => traceGraph(t, { maxNodes: 30, hideConstants: true })).toThrow(/the graph has 31 nodes, more than maxNodes \(30\)/);
    expect(() => traceGraph(t, { maxNodes: 0 })).toThrow(/maxNodes must be an integer >= 1/);
    expect(() => traceGraph(t, { depth: 0.5 })).toThrow(/depth must be an integer >= 1 or Infinity/);
  });

  it('rejects what is not a tensor', () => {
    expect(() => traceGraph([] as Tensor[])).toThrow(/non-empty array/);
    expect(() => traceGraph([tensor(1), 3 as unknown as Tensor])).toThrow(/^traceGraph: expected a Tensor or an array of Tensors, got number 3 at index 1$/);
    expect(() => traceGraph({ shape: [] } as unknown as Tensor)).toThrow(TypeError);
  });

  it('hides constants on request, keeping the argument positions of what stays', () => {
    const { y } = small();
    const g = traceGraph(y, { hideConstants: true });
    expect(g.nodes.filter((n) => n.kind === 'constant')).toHaveLength(0);
    expect(g.nodes).toHaveLength(10);
    const mul = g.nodes.find((n) => n.op === 'mul')!;
    expect(g.edges.filter((e) => e.to === mul.id).map((e) => e.inputIndex)).toEqual([0]);
    const matmul = g.nodes.find((n) => n.op === 'matmul')!;
    expect(g.edges.filter((e) => e.to === matmul.id).map((e) => e.inputIndex)).toEqual([1]);
  });
});

describe('gradient statistics', () => {
  it('appear after backward on nodes whose tensor has a .grad: shape, norm, min, max, NaN and Inf counts', () => {
    const { w, b, y } = small();
    expect(traceGraph(y).nodes.some((n) => n.grad !== undefined)).toBe(false);
    backward(y.sum());
    const g = traceGraph(y);
    const wNode = g.nodes.find((n) => n.name === 'fc.weight')!;
    const wg = Array.from(w.grad!.data());
    expect(wNode.grad).toEqual({
      shape: [2, 3], dtype: 'float32', norm: expect.closeTo(Math.hypot(...wg), 6),
      min: Math.min(...wg), max: Math.max(...wg), nanCount: 0, infCount: 0,
    });
    expect(g.nodes.find((n) => n.name === 'fc.bias')!.grad!.norm).toBeCloseTo(Math.hypot(...Array.from(b.grad!.data())), 6);
    // ops keep no .grad, so they carry no statistics
    expect(g.nodes.filter((n) => n.grad !== undefined).map((n) => n.name)).toEqual(['fc.weight', 'fc.bias']);
    expect(traceGraph(y, { gradStats: false }).nodes.some((n) => n.grad !== undefined)).toBe(false);
  });

  it('count NaN and Inf apart and take norm, min and max over the finite elements', () => {
    const a = tensor([1, 2, 3, 4], { requiresGrad: true });
    const scale = tensor([NaN, 2, Infinity, -3]);
    const y = a.mul(scale).sum();
    backward(y);
    const g = traceGraph(y);
    const grad = g.nodes.find((n) => n.kind === 'leaf')!.grad!;
    expect(grad).toEqual({ shape: [4], dtype: 'float32', norm: expect.closeTo(Math.hypot(2, -3), 12), min: -3, max: 2, nanCount: 1, infCount: 1 });
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });
});

describe('modules', () => {
  /** A two-layer MLP on raw tensors, named as nn names parameters. */
  function mlp(): { loss: Tensor } {
    const x = tensor([[1, 2, 3, 4], [0, -1, 1, 0]]);
    const w1 = named(tensor(Array.from({ length: 12 }, (_, i) => [((i * 7) % 5) / 10 - 0.2, 0.1, -0.1, 0.05][i % 4]!)).reshape([3, 4]).detach(), 'encoder.fc1.weight');
    const b1 = named(zeros([3]), 'encoder.fc1.bias');
    const w2 = named(tensor([[0.3, -0.2, 0.1]]), 'head.weight');
    const b2 = named(zeros([1]), 'head.bias');
    const h = x.matmul(w1.T).add(b1).tanh();
    const out = h.matmul(w2.T).add(b2);
    return { loss: out.square().mean() };
  }

  it('infers module membership from parameter names: the layer, not the activation after it', () => {
    const g = traceGraph(mlp().loss);
    const moduleOf = (op: string, nth = 0): string | undefined => g.nodes.filter((n) => n.op === op)[nth]!.module;
    expect([moduleOf('permute'), moduleOf('matmul'), moduleOf('expand'), moduleOf('add')]).toEqual(Array(4).fill('encoder.fc1'));
    expect(moduleOf('tanh')).toBeUndefined();
    expect([moduleOf('permute', 1), moduleOf('matmul', 1), moduleOf('add', 1)]).toEqual(['head', 'head', 'head']);
    expect(moduleOf('mul')).toBeUndefined(); // square(x) = x * x
    expect(g.nodes.find((n) => n.name === 'head.bias')!.module).toBe('head');
  });

  it('collapses modules with depth: one node per module, edges rewired, parameters folded in', () => {
    const { loss } = mlp();
    backward(loss);
    const g = traceGraph(loss, { depth: 1 });
    const modules = g.nodes.filter((n) => n.op === 'module');
    expect(modules.map((m) => m.name)).toEqual(['encoder', 'head']);
    expect(modules[0]).toMatchObject({
      kind: 'op', module: 'encoder', shape: [2, 3], requiresGrad: true,
      group: { nodeCount: 6, ops: { permute: 1, matmul: 1, expand: 1, add: 1 }, params: ['encoder.fc1.weight', 'encoder.fc1.bias'] },
    });
    expect(g.nodes.some((n) => n.kind === 'param')).toBe(false);
    const n = byId(g);
    const describe = (id: string): string => n.get(id)!.name ?? n.get(id)!.op ?? n.get(id)!.kind;
    expect(g.edges.map((e) => `${describe(e.from)}->${describe(e.to)}#${e.inputIndex}`)).toEqual([
      'constant->encoder#0', 'encoder->tanh#0', 'tanh->head#0', 'head->mul#0', 'head->mul#1', 'mul->sum#0', 'sum->div#0', 'constant->div#1',
    ]);
    for (const e of g.edges) expect(Number(e.from.slice(1))).toBeLessThan(Number(e.to.slice(1)));
    // depth 2 keeps encoder.fc1 apart from a (hypothetical) encoder.fc2
    expect(traceGraph(loss, { depth: 2 }).nodes.filter((v) => v.op === 'module').map((v) => v.name)).toEqual(['encoder.fc1', 'head']);
    expect(JSON.parse(JSON.stringify(g))).toEqual(g);
  });

  it('uses graphScope marks over inference, nested, and for modules with several outputs', () => {
    const x = tensor([[1, 2]]);
    const w = named(tensor([[0.5, -0.5], [1, 1]]), 'cell.weight');
    const c0 = zeros([1, 2]);
    const [h, c] = graphScope('rnn', () =>
      graphScope('cell', () => {
        const gates = x.matmul(w.T);
        const c1 = gates.sigmoid().mul(c0.add(1)).mul(0.5);
        return [c1.tanh().mul(gates.sigmoid()), c1] as const;
      }),
    );
    const y = h.add(c.mul(3)).sum();
    const g = traceGraph(y);
    const scoped = g.nodes.filter((n) => n.module === 'rnn.cell').map((n) => n.op ?? n.name);
    // every op recorded inside, including the gate nonlinearities that read no parameter (the
    // weight itself is in module "cell", from its name)
    expect(scoped).toEqual(['permute', 'matmul', 'sigmoid', 'mul', 'mul', 'tanh', 'sigmoid', 'mul']);
    expect(g.nodes.filter((n) => n.kind === 'op' && n.module === undefined).map((n) => n.op)).toEqual(['mul', 'add', 'sum']);

    const collapsed = traceGraph(y, { depth: 1 });
    const rnn = collapsed.nodes.find((n) => n.op === 'module')!;
    expect(rnn.name).toBe('rnn');
    expect(rnn.shape).toEqual([1, 2]);
    // 8 ops, the weight and the broadcast 0.5 read only inside are folded in; x and c0 + 1 stay outside
    expect(rnn.group!.nodeCount).toBe(10);
    expect(rnn.group!.params).toEqual(['cell.weight']);
    const out = collapsed.edges.filter((e) => e.from === rnn.id);
    expect(out).toHaveLength(2);
    expect(out.find((e) => e.shape !== undefined)).toBeUndefined(); // both outputs are [1,2]
    const into = collapsed.edges.filter((e) => e.to === rnn.id).map((e) => [collapsed.nodes.find((n) => n.id === e.from)!.shape, e.inputIndex]);
    expect(into).toEqual([[[1, 2], 0], [[1, 2], 1]]);
    expect(() => graphScope('', () => 1)).toThrow(/graphScope: expected a module name/);
    expect(() => graphScope('a..b', () => 1)).toThrow(TypeError);
  });

  it('marks the edge shape when a collapsed module sends out a tensor of another shape than its main output', () => {
    const w = named(tensor([[1, 2], [3, 4]]), 'm.weight');
    const [a, s] = graphScope('m', () => {
      const p = w.mul(2);
      return [p, p.sum()] as const;
    });
    const y = a.sum().add(s);
    const g = traceGraph(y, { depth: 1 });
    const m = g.nodes.find((n) => n.op === 'module')!;
    expect(m.shape).toEqual([]);
    const edges = g.edges.filter((e) => e.from === m.id);
    expect(edges.map((e) => e.shape)).toEqual([[2, 2], undefined]);
  });
});
