/**
 * A small two-layer MLP on random data, for trying the CLI:
 *   npx -y pnpm@9 --filter @tapegrad/graph tapegrad-graph scripts/example-mlp.ts --backward --out graph.html
 * The default export is the loss; the CLI traces it (and with --backward, shows gradients).
 */
import { randn, randint, tensor, type Tensor } from '@tapegrad/tensor';

function param(t: Tensor, name: string): Tensor {
  t.requiresGrad_(true);
  t.name = name;
  return t;
}

export default function loss(): Tensor {
  const x = randn([8, 4], { seed: 1 });
  const y = randint(0, 3, [8], { seed: 2 });
  const w1 = param(randn([16, 4], { seed: 3 }).mul(0.5), 'fc1.weight');
  const b1 = param(tensor(new Float32Array(16)), 'fc1.bias');
  const w2 = param(randn([3, 16], { seed: 4 }).mul(0.25), 'fc2.weight');
  const b2 = param(tensor(new Float32Array(3)), 'fc2.bias');
  const h = x.matmul(w1.T).add(b1).relu();
  const logits = h.matmul(w2.T).add(b2);
  // cross-entropy from raw ops: mean over the batch of logsumexp(logits) - logits[y]
  const picked = logits.gather(1, y.reshape([8, 1])).reshape([8]);
  return logits.logsumexp(1).sub(picked).mean();
}
