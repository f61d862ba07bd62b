import { describe, expect, it } from 'vitest';
import { backward, graphScope, traceGraph } from '@tapegrad/autograd';
import { Linear, LSTM, Module, ReLU, Sequential, crossEntropy } from '@tapegrad/nn';
import { randint, randn, type Tensor } from '@tapegrad/tensor';

describe('graphs of @tapegrad/nn models', () => {
  it('shows a Sequential MLP with its parameter names, layers inferred as modules, and collapses them', () => {
    const model = new Sequential(new Linear(4, 8, { seed: 1 }), new ReLU(), new Linear(8, 3, { seed: 2 }));
    const loss = crossEntropy(model.call(randn([5, 4], { seed: 3 })), randint(0, 3, [5], { seed: 4 }));
    backward(loss);
    const g = traceGraph(loss);
    const params = g.nodes.filter((n) => n.kind === 'param');
    expect(params.map((p) => [p.name, p.module, p.shape])).toEqual([
      ['0.weight', '0', [8, 4]], ['0.bias', '0', [8]], ['2.weight', '2', [3, 8]], ['2.bias', '2', [3]],
    ]);
    expect(params.every((p) => p.grad !== undefined && p.grad.norm > 0)).toBe(true);
    const ops = (m: string | undefined): string[] => g.nodes.filter((n) => n.kind === 'op' && n.module === m).map((n) => n.op!);
    expect(ops('0')).toEqual(['permute', 'matmul', 'expand', 'add']);
    expect(ops('2')).toEqual(['permute', 'matmul', 'expand', 'add']);
    expect(g.nodes.find((n) => n.op === 'relu')!.module).toBeUndefined();

    const collapsed = traceGraph(loss, { depth: 1 });
    const modules = collapsed.nodes.filter((n) => n.op === 'module');
    expect(modules.map((m) => [m.name, m.shape, m.group!.params])).toEqual([
      ['0', [5, 8], ['0.weight', '0.bias']], ['2', [5, 3], ['2.weight', '2.bias']],
    ]);
    const relu = collapsed.nodes.find((n) => n.op === 'relu')!;
    expect(collapsed.edges.filter((e) => e.to === relu.id || e.from === relu.id).map((e) => [e.from, e.to])).toEqual([
      [modules[0]!.id, relu.id], [relu.id, modules[1]!.id],
    ]);
  });

  it('collapses an LSTM run inside graphScope into one node with its four parameters', () => {
    class Tagger extends Module {
      lstm = new LSTM(3, 4, { seed: 5 });
      head = new Linear(4, 2, { seed: 6 });
      override forward(x: Tensor): Tensor {
        const h = graphScope('lstm', () => this.lstm.forward(x));
        return graphScope('head', () => this.head.forward(h));
      }
    }
    const model = new Tagger();
    const loss = model.call(randn([2, 3, 3], { seed: 7 })).square().mean();
    backward(loss);
    const g = traceGraph(loss, { depth: 1 });
    const modules = g.nodes.filter((n) => n.op === 'module');
    expect(modules.map((m) => m.name)).toEqual(['lstm', 'head']);
    expect(modules[0]!.group!.params).toEqual(['lstm.weight_ih_l0', 'lstm.bias_ih_l0', 'lstm.weight_hh_l0', 'lstm.bias_hh_l0']);
    expect(modules[0]!.group!.ops.sigmoid).toBe(9); // three gates at each of three steps
    expect(modules[0]!.shape).toEqual([2, 3, 4]);
    expect(g.edges.some((e) => e.from === modules[0]!.id && e.to === modules[1]!.id)).toBe(true);
    // without depth, every op of the three steps is marked as part of the lstm module
    const full = traceGraph(loss);
    expect(full.nodes.filter((n) => n.op === 'tanh').every((n) => n.module === 'lstm')).toBe(true);
  });
});
