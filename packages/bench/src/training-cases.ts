/**
 * Training workloads larger than one MLP step: a pre-norm transformer block, the demo's CNN (one
 * step, and one epoch as the demo trains it). Every framework builds the same network from the
 * same `fill` weights and data, so check() can compare the loss before and after one step.
 */
import { optimizerStep, type BenchCase } from './cases.js';
import type { Tapegrad } from './frameworks/tapegrad.js';
import { fill } from './data.js';

type Tensor = import('tapegrad').Tensor;

/** tapegrad's weights for `model`: each parameter from `fill`, seeded by its position, in [-scale, scale]. */
function loadFilled(tg: Tapegrad, model: InstanceType<Tapegrad['Module']>, seed: number, scale: number): Record<string, Tensor> {
  const state: Record<string, Tensor> = {};
  model.namedParameters().forEach(([name, p], i) => {
    state[name] = tg.tensor(fill(p.size, seed + i, -scale, scale), { shape: p.shape.slice() });
  });
  model.loadStateDict(state);
  return state;
}

// --- a pre-norm transformer block -------------------------------------------------------

/**
 * One SGD step of x + attn(LN(x)), then + MLP(LN(.)) (GELU, 4x width), multi-head self-attention
 * written with matmul and softmax, on a batch of [batch, seq, d]; loss = mean squared distance to
 * a fixed target.
 */
export function transformerStepCase(batch: number, seq: number, d: number, heads: number): BenchCase {
  const p = { batch, seq, d, heads, ff: 4 * d, lr: 0.01, seedX: 40, seedT: 41, seedW: 50, scale: 0.05 };
  const dh = d / heads;
  return {
    id: 'transformer_step',
    label: `transformer block step, [${batch},${seq},${d}] ${heads} heads`,
    unit: 'ms/step',
    better: 'lower',
    score: (s) => s * 1e3,
    timing: { budgetSeconds: 3 },
    tapegrad(tg) {
      class Block extends tg.Module {
        ln1 = new tg.LayerNorm(d);
        q = new tg.Linear(d, d);
        k = new tg.Linear(d, d);
        v = new tg.Linear(d, d);
        o = new tg.Linear(d, d);
        ln2 = new tg.LayerNorm(d);
        fc1 = new tg.Linear(d, p.ff);
        fc2 = new tg.Linear(p.ff, d);
        override forward(x: Tensor): Tensor {
          const h = this.ln1.call(x);
          const split = (t: Tensor) => tg.permute(tg.reshape(t, [batch, seq, heads, dh]), [0, 2, 1, 3]);
          const q = split(this.q.call(h)), k = split(this.k.call(h)), v = split(this.v.call(h));
          const att = tg.softmax(tg.mul(tg.matmul(q, tg.transpose(k, -1, -2)), 1 / Math.sqrt(dh)), -1);
          const mixed = tg.reshape(tg.permute(tg.matmul(att, v), [0, 2, 1, 3]), [batch, seq, d]);
          const x1 = tg.add(x, this.o.call(mixed));
          return tg.add(x1, this.fc2.call(tg.gelu(this.fc1.call(this.ln2.call(x1)))));
        }
      }
      const model = new Block();
      const initial = loadFilled(tg, model, p.seedW, p.scale);
      const x = tg.tensor(fill(batch * seq * d, p.seedX), { shape: [batch, seq, d] });
      const target = tg.tensor(fill(batch * seq * d, p.seedT), { shape: [batch, seq, d] });
      const opt = new tg.SGD(model.parameters(), { lr: p.lr });
      const step = () => optimizerStep(tg, opt, () => tg.mseLoss(model.call(x), target));
      return {
        run: () => void step(),
        check: () => {
          model.loadStateDict(initial);
          const before = step().item();
          return [before, tg.noGrad(() => tg.mseLoss(model.call(x), target).item())];
        },
      };
    },
    torch: { kind: 'transformer_step', params: p },
  };
}

// --- the demo's CNN ----------------------------------------------------------------------

/** The CNN of packages/examples/src/mnist-cnn.ts with its defaults: conv3x3(8)-pool-conv3x3(16)-pool-fc(128)-fc(10). */
function demoCnn(tg: Tapegrad): InstanceType<Tapegrad['Module']> {
  return new tg.Sequential(
    new tg.Conv2d(1, 8, 3, { padding: 1 }), new tg.ReLU(), new tg.MaxPool2d(2),
    new tg.Conv2d(8, 16, 3, { padding: 1 }), new tg.ReLU(), new tg.MaxPool2d(2),
    new tg.Flatten(),
    new tg.Linear(16 * 7 * 7, 128), new tg.ReLU(),
    new tg.Linear(128, 10),
  );
}

const CNN = { lr: 5e-3, seedX: 60, seedY: 61, seedW: 70, scale: 0.1 };

/** One Adam step of the demo's CNN on a batch of MNIST-shaped images, as the demo trains it. */
export function cnnStepCase(batch: number): BenchCase {
  const p = { ...CNN, batch };
  return {
    id: 'cnn_step',
    label: `MNIST CNN (demo) Adam step, batch ${batch}`,
    unit: 'ms/step',
    better: 'lower',
    score: (s) => s * 1e3,
    timing: { budgetSeconds: 3 },
    tapegrad(tg) {
      const model = demoCnn(tg);
      const initial = loadFilled(tg, model, p.seedW, p.scale);
      const x = tg.tensor(fill(batch * 784, p.seedX, 0, 1), { shape: [batch, 1, 28, 28] });
      const y = tg.tensor(Int32Array.from(fill(batch, p.seedY, 0, 10), Math.floor));
      let opt = new tg.Adam(model.parameters(), { lr: p.lr });
      const step = () => optimizerStep(tg, opt, () => tg.crossEntropy(model.call(x), y));
      return {
        run: () => void step(),
        check: () => {
          model.loadStateDict(initial);
          opt = new tg.Adam(model.parameters(), { lr: p.lr });
          const before = step().item();
          return [before, tg.noGrad(() => tg.crossEntropy(model.call(x), y).item())];
        },
      };
    },
    torch: { kind: 'cnn_step', params: p },
  };
}

/**
 * One epoch of the demo's CNN training as packages/examples trains it: the 8,000 training images
 * in shuffled batches of 64 (Adam, the loss read back every step), then the loss and accuracy on
 * the 2,000 held-out ones in batches of 500. MNIST-shaped data from `fill` (the time does not
 * depend on the pixels).
 */
export function cnnEpochCase(train: number, test: number, batch: number): BenchCase {
  const p = { ...CNN, train, test, batch, evalBatch: 500 };
  return {
    id: 'cnn_epoch',
    label: `MNIST CNN (demo) epoch, ${train}+${test} images`,
    unit: 's/epoch',
    better: 'lower',
    score: (s) => s,
    timing: { warmupSeconds: 0, minWarmupCalls: 1, budgetSeconds: 0, minSamples: 2 },
    tapegrad(tg) {
      const model = demoCnn(tg);
      loadFilled(tg, model, p.seedW, p.scale);
      const images = (n: number, seed: number) => tg.tensor(fill(n * 784, seed, 0, 1), { shape: [n, 1, 28, 28] });
      const labels = (n: number, seed: number) => tg.tensor(Int32Array.from(fill(n, seed, 0, 10), Math.floor));
      const trainSet = new tg.TensorDataset(images(train, p.seedX), labels(train, p.seedY));
      const testSet = new tg.TensorDataset(images(test, p.seedX + 2), labels(test, p.seedY + 2));
      const loader = new tg.DataLoader(trainSet, { batchSize: batch, shuffle: true, seed: 0 });
      const opt = new tg.Adam(model.parameters(), { lr: p.lr });
      return {
        run: () => {
          model.train();
          for (const [xb, yb] of loader) {
            optimizerStep(tg, opt, () => tg.crossEntropy(model.call(xb!), yb!)).item();
          }
          model.eval();
          tg.noGrad(() => {
            for (const [xb, yb] of new tg.DataLoader(testSet, { batchSize: p.evalBatch })) {
              const logits = model.call(xb!);
              tg.crossEntropy(logits, yb!, { reduction: 'sum' }).item();
              logits.argmax(1).eq(yb!).to('float32').sum().item();
            }
          });
        },
      };
    },
    torch: { kind: 'cnn_epoch', params: p },
  };
}
