import { describe, expect, it } from 'vitest';
import { ShapeError, randn, slice, squeeze, transpose, type Tensor } from 'tapegrad';
import { GRU, LSTM, RNN, type Module } from '@tapegrad/nn';
import { checkModuleGrad } from './helpers.js';

const close = (a: Tensor, b: Tensor): void => {
  expect(a.shape).toEqual(b.shape);
  const x = a.data(), y = b.data();
  for (let i = 0; i < y.length; i++) expect(x[i]).toBeCloseTo(y[i]!, 6);
};

describe('recurrent layers', () => {
  it('name and shape their parameters as PyTorch (gates stacked i,f,g,o / r,z,n)', () => {
    expect(new RNN(3, 5).namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih_l0', [5, 3]], ['weight_hh_l0', [5, 5]], ['bias_ih_l0', [5]], ['bias_hh_l0', [5]],
    ]);
    expect(new LSTM(3, 5).weight_ih_l0.shape).toEqual([20, 3]);
    expect(new GRU(3, 5).weight_hh_l0.shape).toEqual([15, 5]);
    expect(new GRU(3, 5, { numLayers: 2, bias: false }).namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight_ih_l0', [15, 3]], ['weight_hh_l0', [15, 5]], ['weight_ih_l1', [15, 5]], ['weight_hh_l1', [15, 5]],
    ]);
  });

  it('initialize every parameter from U(-1/sqrt(hidden), 1/sqrt(hidden))', () => {
    const lstm = new LSTM(10, 16, { seed: 4 });
    for (const p of lstm.parameters()) {
      const m = Math.max(...Array.from(p.data(), Math.abs));
      expect(m).toBeLessThanOrEqual(0.25);
      expect(m).toBeGreaterThan(0.2);
    }
  });

  it('return the output sequence [batch, seq, hidden] from forward and final states from forwardWithState', () => {
    const x = randn([2, 5, 3]);
    for (const m of [new RNN(3, 4), new GRU(3, 4)]) {
      expect(m.call(x).shape).toEqual([2, 5, 4]);
      const [out, h] = m.forwardWithState(x);
      expect(h.shape).toEqual([1, 2, 4]);
      // The final state is the last output step.
      close(squeeze(h, 0), squeeze(slice(out, [0, 4], [2, 5]), 1));
    }
    const lstm = new LSTM(3, 4, { numLayers: 3 });
    const [out, [h, c]] = lstm.forwardWithState(x);
    expect(out.shape).toEqual([2, 5, 4]);
    expect(h.shape).toEqual([3, 2, 4]);
    expect(c.shape).toEqual([3, 2, 4]);
  });

  it('continue a sequence from a returned state', () => {
    const gru = new GRU(2, 3);
    const x = randn([2, 6, 2]);
    const [whole] = gru.forwardWithState(x);
    const [, h] = gru.forwardWithState(slice(x, [0, 0], [2, 4]));
    const [rest] = gru.forwardWithState(slice(x, [0, 4], [2, 6]), h);
    close(rest, slice(whole, [0, 4], [2, 6]));
    const lstm = new LSTM(2, 3);
    const [wholeL] = lstm.forwardWithState(x);
    const [, state] = lstm.forwardWithState(slice(x, [0, 0], [2, 3]));
    close(lstm.forwardWithState(slice(x, [0, 3], [2, 6]), state)[0], slice(wholeL, [0, 3], [2, 6]));
  });

  it('treat a 2-D input as one unbatched sequence, and batchFirst: false as [seq, batch, feature]', () => {
    const lstm = new LSTM(3, 2);
    const x = randn([4, 3]);
    const [out, [h]] = lstm.forwardWithState(x);
    expect(out.shape).toEqual([4, 2]);
    expect(h.shape).toEqual([1, 2]);
    close(out, squeeze(lstm.call(x.unsqueeze(0)), 0));
    const rnn = new RNN(3, 2, { seed: 1 });
    const seqFirst = new RNN(3, 2, { seed: 1, batchFirst: false });
    const xb = randn([2, 4, 3]);
    close(seqFirst.call(transpose(xb, 0, 1)), transpose(rnn.call(xb), 0, 1));
  });

  it('name bad input and state shapes', () => {
    expect(() => new RNN(3, 4).call(randn([2, 5, 2]))).toThrow(ShapeError);
    expect(() => new RNN(3, 4).call(randn([2, 5, 2]))).toThrow(/RNN: expected input \[batch, seq, 3\]/);
    expect(() => new GRU(3, 4).forwardWithState(randn([2, 5, 3]), randn([2, 4]))).toThrow(/GRU: expected h0 of shape \[1,2,4\]/);
    expect(() => new LSTM(3, 4).forwardWithState(randn([2, 5, 3]), [randn([1, 2, 4]), randn([1, 2, 3])])).toThrow(/LSTM: expected c0 of shape \[1,2,4\]/);
  });

  const run = (m: Module, x: Tensor, ...state: Tensor[]): Tensor => {
    if (m instanceof LSTM) {
      const [out, [h, c]] = m.forwardWithState(x, state.length > 0 ? [state[0]!, state[1]!] : undefined);
      return out.sum().add(h.mul(c).sum());
    }
    const [out, h] = (m as RNN).forwardWithState(x, state[0]);
    return out.sum().add(h.square().sum());
  };

  it('pass float64 gradient checks through inputs, initial states and every parameter', () => {
    const cases: [Module, Tensor[]][] = [
      [new RNN(2, 3), [randn([2, 3, 2]), randn([1, 2, 3])]],
      [new RNN(2, 3, { numLayers: 2, nonlinearity: 'relu' }), [randn([2, 3, 2])]],
      [new LSTM(2, 3), [randn([2, 3, 2]), randn([1, 2, 3]), randn([1, 2, 3])]],
      [new LSTM(2, 2, { numLayers: 2 }), [randn([1, 3, 2])]],
      [new GRU(2, 3), [randn([2, 3, 2]), randn([1, 2, 3])]],
      [new GRU(2, 2, { bias: false, batchFirst: false }), [randn([3, 2, 2])]],
    ];
    for (const [m, xs] of cases) {
      const r = checkModuleGrad(m, xs, (mod, x, ...state) => run(mod, x!, ...state));
      expect(r.ok, `${m.constructor.name}: ${JSON.stringify(r)}`).toBe(true);
    }
  });
});
