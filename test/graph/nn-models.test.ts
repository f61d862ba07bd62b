import { describe, expect, it } from 'vitest';
import { backward, graphScope, traceGraph } from '@tapegrad/autograd';
import { Linear, LSTM, Module, ReLU, Sequential, crossEntropy } from '@tapegrad/nn';
import { randint, randn, type Tensor } from '@tapegrad/tensor';

describe('graphs of @tapegrad/nn models', () => {
  it('shows a Sequential MLP with its parameter names and every child as a module, and collapses them', () => {
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
    // Sequential calls each child through Module.call, which scopes it: the ReLU is module '1'.
    expect(g.nodes.find((n) => n.op === 'relu')!.module).toBe('1');

    const collapsed = traceGraph(loss, { depth: 1 });
    const modules = collapsed.nodes.filter((n) => n.op === 'module');
    expect(modules.map((m) => [m.name, m.shape, m.group!.params])).toEqual([
      ['0', [5, 8], ['0.weight', '0.bias']], ['1', [5, 8], []], ['2', [5, 3], ['2.weight', '2.bias']],
    ]);
    const relu = modules[1]!;
    expect(collapsed.edges.filter((e) => e.to === relu.id || e.from === relu.id).map((e) => [e.from, e.to])).toEqual([
      [modules[0]!.id, relu.id], [relu.id, modules[2]!.id],
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

describe('module scopes from Module.call', () => {
  it('nested custom modules called with call() group their ops under dotted paths', () => {
    class Block extends Module {
      fc = new Linear(4, 4, { seed: 11 });
      override forward(x: Tensor): Tensor {
        return this.fc.call(x).tanh();
      }
    }
    class Net extends Module {
      encoder = new Block();
      head = new Linear(4, 1, { seed: 12 });
      override forward(x: Tensor): Tensor {
        return this.head.call(this.encoder.call(x));
      }
    }
    const loss = new Net().call(randn([2, 4], { seed: 13 })).sum();
    const g = traceGraph(loss);
    const moduleOf = (op: string) => g.nodes.filter((n) => n.op === op).map((n) => n.module);
    expect(moduleOf('tanh')).toEqual(['encoder']);
    expect(moduleOf('matmul')).toEqual(['encoder.fc', 'head']);
    expect(g.nodes.find((n) => n.op === 'sum')!.module).toBeUndefined();
  });
});
