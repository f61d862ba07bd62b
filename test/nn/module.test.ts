import { describe, expect, it } from 'vitest';
import { Generator, ShapeError, backward, grad, manualSeed, ones, randn, relu, sum, tensor, traceGraph, zeros, type Tensor } from 'tapegrad';
import {
  Adam, BatchNorm1d, Dropout, LayerNorm, Linear, LSTM, Module, ReLU, Sequential, StateDictError, buffer, functionalCall, parameter,
} from '@tapegrad/nn';

class Block extends Module {
  fc = new Linear(3, 3, { seed: 1 });
  norm = new LayerNorm(3);
  override forward(x: Tensor): Tensor {
    return this.norm.call(relu(this.fc.call(x)));
  }
}

/** A custom model with a direct parameter and buffer declared after its children, arrays and a plain-object dict. */
class Net extends Module {
  stem = new Linear(2, 3, { seed: 0 });
  blocks = [new Block(), new Block()];
  heads: Record<string, Module> = { main: new Linear(3, 1, { seed: 2 }), aux: new Linear(3, 2, { seed: 3 }) };
  scale = parameter(ones([1]));
  steps = buffer(zeros([], { dtype: 'int32' }));
  notAParameter = tensor([1, 2, 3]);
  config = { depth: 2, activation: 'relu' };
  override forward(x: Tensor): Tensor {
    let h = this.stem.call(x);
    for (const b of this.blocks) h = b.call(h);
    return this.heads.main!.forward(h).mul(this.scale);
  }
}

const PARAM_NAMES = [
  'scale',
  'stem.weight', 'stem.bias',
  'blocks.0.fc.weight', 'blocks.0.fc.bias', 'blocks.0.norm.weight', 'blocks.0.norm.bias',
  'blocks.1.fc.weight', 'blocks.1.fc.bias', 'blocks.1.norm.weight', 'blocks.1.norm.bias',
  'heads.main.weight', 'heads.main.bias', 'heads.aux.weight', 'heads.aux.bias',
];

describe('Module: finding parameters by walking properties', () => {
  it('names parameters with dotted paths, own tensors first then children (PyTorch order)', () => {
    const net = new Net();
    expect(net.namedParameters().map(([n]) => n)).toEqual(PARAM_NAMES);
    expect(net.parameters()).toHaveLength(PARAM_NAMES.length);
    expect(net.parameters()[1]).toBe(net.stem.weight);
  });

  it('keeps buffers out of parameters but in the state dict; ignores plain tensors and config', () => {
    const net = new Net();
    expect(net.namedBuffers().map(([n]) => n)).toEqual(['steps']);
    const keys = Object.keys(net.stateDict());
    expect(keys).toEqual(['scale', 'steps', ...PARAM_NAMES.slice(1)]);
    expect(keys).not.toContain('notAParameter');
  });

  it('puts BatchNorm running statistics in the state dict after its parameters', () => {
    const m = new Sequential(new Linear(2, 3), new BatchNorm1d(3));
    expect(Object.keys(m.stateDict())).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked',
    ]);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect(m.stateDict()['1.num_batches_tracked']!.dtype).toBe('int32');
  });

  it('sets t.name to the dotted name, from the outermost module, on call', () => {
    const net = new Net();
    net.call(randn([4, 2]));
    expect(net.blocks[1]!.fc.weight.name).toBe('blocks.1.fc.weight');
    // Asking a submodule for its parameters does not rename them to local names.
    net.blocks[1]!.parameters();
    net.blocks[1]!.fc.call(randn([1, 3]));
    expect(net.blocks[1]!.fc.weight.name).toBe('blocks.1.fc.weight');
    expect(new Linear(2, 2).namedParameters()[0]![1].name).toBe('weight');
  });

  it('shows parameters as named param nodes in graph exports', () => {
    const m = new Sequential(new Linear(3, 4), new ReLU(), new Linear(4, 1));
    const g = traceGraph(sum(m.call(randn([2, 3]))));
    const params = g.nodes.filter((n) => n.kind === 'param').map((n) => n.name);
    expect(params.sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
  });

  it('names Sequential children by position', () => {
    const m = new Sequential(new Linear(2, 4), new ReLU(), new Linear(4, 1));
    expect(m.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['0.weight', [4, 2]], ['0.bias', [4]], ['2.weight', [1, 4]], ['2.bias', [1]],
    ]);
    expect(m.length).toBe(3);
    expect(m.at(-1)).toBe(m[2]);
    expect([...m]).toHaveLength(3);
    m.append(new ReLU());
    expect(m.length).toBe(4);
  });

  it('counts a leaf that requires grad as a parameter, and a frozen parameter stays one', () => {
    class Raw extends Module {
      w = randn([2, 2], { requiresGrad: true });
      override forward(x: Tensor): Tensor { return x.matmul(this.w); }
    }
    const r = new Raw();
    expect(r.namedParameters().map(([n]) => n)).toEqual(['w']);
    r.requiresGrad_(false);
    expect(r.w.requiresGrad).toBe(false);
    expect(r.namedParameters().map(([n]) => n)).toEqual(['w']);
    const lin = new Linear(2, 2);
    lin.weight.requiresGrad_(false);
    expect(lin.parameters()).toHaveLength(2);
  });

  it('lists a shared module once in parameters() but under each name in the state dict', () => {
    const shared = new Linear(2, 2);
    const m = new Sequential(shared, new ReLU(), shared);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias']);
    expect(Object.keys(m.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(m.modules()).toHaveLength(3);
  });

  it('survives reference cycles', () => {
    class Parent extends Module {
      child = new Linear(1, 1);
      override forward(x: Tensor): Tensor { return this.child.forward(x); }
    }
    const p = new Parent();
    (p.child as unknown as Record<string, unknown>).owner = p;
    expect(p.namedParameters().map(([n]) => n)).toEqual(['child.weight', 'child.bias']);
  });

  it('lists modules preorder with names, and apply visits children first', () => {
    const net = new Net();
    const names = net.namedModules().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual(['', 'stem', 'blocks.0', 'blocks.0.fc']);
    const order: string[] = [];
    new Sequential(new Linear(1, 1), new ReLU()).apply((m) => order.push(m.constructor.name));
    expect(order).toEqual(['ReLU', 'Linear', 'Sequential']);
  });
});

describe('Module: modes, gradients and calling', () => {
  it('train()/eval() set training on every submodule', () => {
    const net = new Net();
    expect(net.training).toBe(true);
    expect(net.eval()).toBe(net);
    expect(net.modules().every((m) => !m.training)).toBe(true);
    net.train();
    expect(net.blocks[0]!.norm.training).toBe(true);
    net.train(false);
    expect(net.heads.aux!.training).toBe(false);
  });

  it('zeroGrad sets every .grad to null', () => {
    const net = new Net();
    backward(sum(net.call(randn([3, 2]))));
    expect(net.stem.weight.grad).not.toBeNull();
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
  });

  it('call(x) computes the same as forward(x)', () => {
    const lin = new Linear(3, 2);
    const x = randn([4, 3]);
    expect(lin.call(x).toArray()).toEqual(lin.forward(x).toArray());
  });

  it('functionalCall substitutes tensors by name and restores them', () => {
    const lin = new Linear(3, 2, { bias: false });
    const w = ones([2, 3]);
    const x = tensor([[1, 2, 3]]);
    expect(functionalCall(lin, { weight: w }, x).toArray()).toEqual([[6, 6]]);
    expect(lin.weight).not.toBe(w);
    const g = grad((weight: Tensor) => sum(functionalCall(lin, { weight }, x)))(lin.weight) as Tensor;
    expect(g.toArray()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(() => functionalCall(lin, { bias: w }, x)).toThrow(/no parameter or buffer named 'bias'/);
  });

  it('initializes reproducibly from a seed, a generator or manualSeed', () => {
    expect(new Linear(3, 4, { seed: 5 }).weight.toArray()).toEqual(new Linear(3, 4, { seed: 5 }).weight.toArray());
    expect(new Linear(3, 4, { seed: 5 }).weight.toArray()).not.toEqual(new Linear(3, 4, { seed: 6 }).weight.toArray());
    const g1 = new Generator(9), g2 = new Generator(9);
    expect(new LSTM(2, 3, { generator: g1 }).weight_hh_l0.toArray()).toEqual(new LSTM(2, 3, { generator: g2 }).weight_hh_l0.toArray());
    manualSeed(42);
    const a = new Linear(3, 4).weight.toArray();
    manualSeed(42);
    expect(new Linear(3, 4).weight.toArray()).toEqual(a);
  });
});

describe('Module: state dicts', () => {
  it('round-trips: a second model with other weights computes the same after loading', () => {
    const a = new Net();
    const b = new Net();
    b.stem = new Linear(2, 3, { seed: 99 });
    const x = randn([5, 2]);
    expect(b.call(x).toArray()).not.toEqual(a.call(x).toArray());
    const res = b.loadStateDict(a.stateDict());
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.call(x).toArray()).toEqual(a.call(x).toArray());
  });

  it('loads in place, so tensors held elsewhere (e.g. by an optimizer) see the new values', () => {
    const a = new Linear(2, 2, { seed: 1 });
    const b = new Linear(2, 2, { seed: 2 });
    const held = b.weight;
    b.loadStateDict(a.stateDict());
    expect(b.weight).toBe(held);
    expect(held.toArray()).toEqual(a.weight.toArray());
    expect(held.requiresGrad).toBe(true);
  });

  it('returns detached tensors that share storage with the module', () => {
    const lin = new Linear(2, 2);
    const sd = lin.stateDict();
    expect(sd.weight!.requiresGrad).toBe(false);
    expect(sd.weight!.name).toBe('weight');
    expect(sd.weight!.buf).toBe(lin.weight.buf);
  });

  it('names missing and unexpected keys (strict by default) and writes nothing', () => {
    const m = new Sequential(new Linear(2, 2, { seed: 1 }), new BatchNorm1d(2));
    const before = m.stateDict()['0.weight']!.clone().toArray();
    const sd = new Sequential(new Linear(2, 2, { seed: 2 }), new BatchNorm1d(2)).stateDict();
    delete sd['1.running_var'];
    sd['1.extra'] = zeros([2]);
    let err: unknown;
    try {
      m.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateDictError);
    expect(String(err)).toMatch(/missing key\(s\): '1\.running_var'/);
    expect(String(err)).toMatch(/unexpected key\(s\): '1\.extra'/);
    expect((err as StateDictError).missingKeys).toEqual(['1.running_var']);
    expect(m.stateDict()['0.weight']!.toArray()).toEqual(before);
  });

  it('with strict: false loads what matches and reports the rest', () => {
    const m = new Linear(2, 2, { seed: 1 });
    const src = new Linear(2, 2, { seed: 2 });
    const res = m.loadStateDict({ weight: src.weight.detach(), other: zeros([1]) }, { strict: false });
    expect(res).toEqual({ missingKeys: ['bias'], unexpectedKeys: ['other'] });
    expect(m.weight.toArray()).toEqual(src.weight.toArray());
  });

  it('rejects a wrongly shaped entry with a ShapeError naming it and both shapes, even when not strict', () => {
    const m = new Linear(2, 3);
    const before = m.bias!.toArray();
    const bad = { weight: zeros([3, 4]), bias: ones([3]) };
    expect(() => m.loadStateDict(bad)).toThrow(ShapeError);
    expect(() => m.loadStateDict(bad)).toThrow(/'weight' has shape \[3,4\] but the module's parameter has shape \[3,2\]/);
    expect(() => m.loadStateDict(bad, { strict: false })).toThrow(ShapeError);
    // all-or-nothing: the valid bias was not written either
    expect(m.bias!.toArray()).toEqual(before);
  });

  it('rejects a wrong dtype or a non-tensor with a TypeError naming it', () => {
    const m = new Linear(2, 3);
    expect(() => m.loadStateDict({ weight: zeros([3, 2], { dtype: 'float64' }), bias: zeros([3]) })).toThrow(TypeError);
    expect(() => m.loadStateDict({ weight: zeros([3, 2], { dtype: 'float64' }), bias: zeros([3]) })).toThrow(/'weight' has dtype float64 but the module's parameter is float32/);
    expect(() => m.loadStateDict({ weight: [[1, 2]] as unknown as Tensor, bias: zeros([3]) })).toThrow(/'weight' is not a Tensor/);
  });
});

describe('Module.to(dtype)', () => {
  it('converts float parameters and buffers, keeps integer buffers, flags, names and ties', () => {
    const shared = new Linear(2, 2);
    const m = new Sequential(shared, new BatchNorm1d(2), shared, new Dropout(0.1));
    m.parameters();
    shared.bias!.requiresGrad_(false);
    expect(m.to('float64')).toBe(m);
    const sd = m.stateDict();
    expect(sd['0.weight']!.dtype).toBe('float64');
    expect(sd['1.running_mean']!.dtype).toBe('float64');
    expect(sd['1.num_batches_tracked']!.dtype).toBe('int32');
    expect(m[0]).toBe(m[2]);
    expect(shared.weight.requiresGrad).toBe(true);
    expect(shared.weight.isLeaf).toBe(true);
    expect(shared.bias!.requiresGrad).toBe(false);
    expect(shared.weight.name).toBe('0.weight');
    expect(m.namedParameters().map(([n]) => n)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    const y = m.call(randn([3, 2], { dtype: 'float64' }));
    expect(y.dtype).toBe('float64');
  });

  it('refuses non-float dtypes', () => {
    expect(() => new Linear(1, 1).to('int32')).toThrow(/floating-point dtype/);
  });

  it('converts in place: the same tensor objects, values, gradients; back and forth', () => {
    const m = new Linear(3, 2, { seed: 1 });
    const w = m.weight;
    const before = Array.from(w.data());
    w.grad = ones([2, 3]);
    m.to('float64');
    expect(m.weight).toBe(w);
    expect(w.dtype).toBe('float64');
    expect(w.data()).toBeInstanceOf(Float64Array);
    expect(Array.from(w.data())).toEqual(before);
    expect(w.grad!.dtype).toBe('float64');
    m.to('float32');
    expect(m.weight).toBe(w);
    expect(w.dtype).toBe('float32');
    expect(Array.from(w.data())).toEqual(before);
  });

  it('a graph that saved a parameter before to() refuses to differentiate through its converted values', () => {
    class Scale extends Module {
      w = parameter(tensor([1, 2, 3]));
      override forward(x: Tensor): Tensor { return x.mul(this.w); } // the mul saves w itself
    }
    const m = new Scale();
    const loss = m.call(tensor([4, 5, 6])).sum();
    m.to('float64');
    expect(() => backward(loss)).toThrow(/in place|written/);
    backward(m.call(tensor(new Float64Array([4, 5, 6]))).sum());
    expect(m.w.grad!.dtype).toBe('float64');
    expect(m.w.grad!.toArray()).toEqual([4, 5, 6]);
  });

  it('an optimizer made before to() keeps training the model (the issue: it silently stopped)', () => {
    const m = new Linear(3, 1, { seed: 2 });
    const opt = new Adam(m.parameters(), { lr: 0.1 });
    m.to('float64');
    const x = randn([8, 3], { dtype: 'float64', seed: 3 });
    const y = x.sum(1, true);
    const lossOf = (): Tensor => m.call(x).sub(y).square().mean();
    const first = lossOf().item();
    for (let i = 0; i < 30; i++) {
      opt.zeroGrad();
      backward(lossOf());
      opt.step();
    }
    expect(m.weight.dtype).toBe('float64');
    expect(opt.state.get(m.weight)!.exp_avg).toBeDefined();
    expect(lossOf().item()).toBeLessThan(first / 4);
  });
});
