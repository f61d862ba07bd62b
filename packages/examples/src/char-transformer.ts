/**
 * A small character-level transformer language model, trained on text already on disk: by default
 * this repository's own docs and TypeScript sources, or the TypeScript compiler's library .d.ts
 * files from node_modules (nothing is downloaded and no corpus is kept in the repository). It
 * predicts the next character from the previous `blockSize` ones with token and position
 * embeddings, a stack of pre-norm TransformerEncoderLayers under a causal mask, and a linear head;
 * AdamW with a linear warm-up then cosine decay (SequentialLR) and gradient clipping. It prints a
 * progress bar and the held-out loss, writes the loss curve as SVG, and samples text at the end.
 *
 * Run: npx tsx packages/examples/src/char-transformer.ts --help
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AdamW, CosineAnnealingLR, Embedding, Generator, LayerNorm, LinearLR, Linear, Module, SequentialLR, TransformerEncoder, TransformerEncoderLayer,
  add, arange, backward, clipGradNorm_, crossEntropy, manualSeed, noGrad, reshape, setBackend, softmax, tensor, type Tensor,
} from 'tapegrad';
import { wasmBackend } from '@tapegrad/backend-wasm';
import { cli, isMain, withDefaults, type OptionSpecs, type Values } from './util/cli.js';
import { exportGraph } from './util/graph-hook.js';
import { logger, outputDir, shown, writeText, type Log } from './util/output.js';
import { NULL_STREAM, Progress } from './util/progress.js';
import { lossCurveSvg } from './util/svg.js';

export const options = {
  corpus: { kind: 'string', default: 'repo', choices: ['repo', 'typescript'], help: "text to learn: 'repo' (this repository's docs and TypeScript sources) or 'typescript' (the TypeScript compiler's lib.*.d.ts in node_modules)" },
  files: { kind: 'strings', default: [], help: 'read these text files (or folders, recursively) instead of a corpus' },
  maxChars: { kind: 'number', default: 400_000, integer: true, min: 1000, help: 'use at most this many characters of the text' },
  steps: { kind: 'number', default: 300, integer: true, min: 1, help: 'training steps (mini-batches)' },
  batchSize: { kind: 'number', default: 16, integer: true, min: 1, help: 'sequences per mini-batch' },
  blockSize: { kind: 'number', default: 32, integer: true, min: 2, help: 'context length in characters' },
  dModel: { kind: 'number', default: 48, integer: true, min: 2, help: 'embedding width' },
  heads: { kind: 'number', default: 4, integer: true, min: 1, help: 'attention heads (must divide --d-model)' },
  layers: { kind: 'number', default: 2, integer: true, min: 1, help: 'transformer layers' },
  dropout: { kind: 'number', default: 0, min: 0, max: 1, help: 'dropout in the transformer layers' },
  lr: { kind: 'number', default: 1e-2, min: 0, help: 'peak AdamW learning rate' },
  warmup: { kind: 'number', default: 30, integer: true, min: 1, help: 'steps of linear learning-rate warm-up before the cosine decay' },
  clip: { kind: 'number', default: 1, min: 0, help: 'clip the gradient norm to this (0: no clipping)' },
  evalEvery: { kind: 'number', default: 50, integer: true, min: 1, help: 'estimate the held-out loss every this many steps' },
  sampleLength: { kind: 'number', default: 300, integer: true, min: 0, help: 'characters to sample at the end' },
  prompt: { kind: 'string', default: 'export function ', help: 'text the sample starts from' },
  temperature: { kind: 'number', default: 0.8, min: 0.01, help: 'sampling temperature' },
  seed: { kind: 'number', default: 0, integer: true, min: 0, help: 'seed of the initialization, the batches and the sampling' },
  backend: { kind: 'string', default: 'js', choices: ['js', 'wasm'], help: 'kernels: the TypeScript reference backend, or WebAssembly SIMD (@tapegrad/backend-wasm)' },
  out: { kind: 'optional-string', help: 'folder for the loss curve and the sample (default packages/examples/out/char-transformer)' },
  graph: { kind: 'optional-string', help: 'write the computation graph of the first loss as interactive HTML' },
  quiet: { kind: 'boolean', default: false, help: 'print nothing' },
} satisfies OptionSpecs;

export type CharTransformerOptions = Values<typeof options> & { log?: Log };

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Text files under `dir` whose names pass `keep`, recursively, sorted (no node_modules, dist or out). */
function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(dir)) return [];
  if (statSync(dir).isFile()) return [dir];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'dist' || name === 'out' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path, keep));
    else if (keep(name)) out.push(path);
  }
  return out;
}

/** The TypeScript compiler's lib folder: in the typescript package (TS 5), or its platform package (TS 7). */
function typescriptLib(): string {
  const direct = join(ROOT, 'node_modules/typescript/lib');
  if (existsSync(join(direct, 'lib.es5.d.ts'))) return direct;
  const store = join(ROOT, 'node_modules/.pnpm');
  for (const name of existsSync(store) ? readdirSync(store) : []) {
    if (!name.startsWith('@typescript+typescript-')) continue;
    const lib = join(store, name, 'node_modules/@typescript', name.slice('@typescript+'.length).replace(/@[^@]*$/, ''), 'lib');
    if (existsSync(join(lib, 'lib.es5.d.ts'))) return lib;
  }
  throw new Error("char-transformer: the TypeScript compiler's lib.*.d.ts files were not found in node_modules; use --corpus repo or --files");
}

/** The training text and where it came from. */
export function loadText(o: Pick<CharTransformerOptions, 'corpus' | 'files' | 'maxChars'>): { text: string; files: string[] } {
  let files: string[];
  if (o.files.length > 0) files = o.files.flatMap((f) => filesUnder(resolve(f), () => true));
  else if (o.corpus === 'typescript') files = filesUnder(typescriptLib(), (n) => /^lib\..*\.d\.ts$/.test(n));
  else {
    files = [
      join(ROOT, 'README.md'),
      ...filesUnder(join(ROOT, 'docs'), (n) => n.endsWith('.md')),
      ...readdirSync(join(ROOT, 'packages')).sort().flatMap((p) => [
        ...filesUnder(join(ROOT, 'packages', p, 'README.md'), () => true),
        ...filesUnder(join(ROOT, 'packages', p, 'src'), (n) => n.endsWith('.ts')),
      ]),
    ];
  }
  let text = '';
  const used: string[] = [];
  for (const f of files) {
    if (text.length >= o.maxChars) break;
    text += `${readFileSync(f, 'utf8')}\n`;
    used.push(f);
  }
  text = text.slice(0, o.maxChars);
  if (text.length < 1000) throw new Error(`char-transformer: only ${text.length} characters of text found (need at least 1000)`);
  return { text, files: used };
}

/** Characters to ids and back, over the characters the text uses. */
export class Vocab {
  readonly chars: string[];
  private readonly ids = new Map<string, number>();
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.chars.forEach((c, i) => this.ids.set(c, i));
  }
  get size(): number {
    return this.chars.length;
  }
  encode(s: string): Int32Array {
    return Int32Array.from(s, (c) => this.ids.get(c) ?? 0);
  }
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.chars[i] ?? '?').join('');
  }
}

/**
 * Token and learned position embeddings, `layers` pre-norm GELU TransformerEncoderLayers under a
 * causal mask with a final LayerNorm, and a linear head to next-character logits.
 */
export class CharTransformer extends Module {
  tok: Embedding;
  pos: Embedding;
  encoder: TransformerEncoder;
  head: Linear;

  constructor(readonly vocab: number, readonly blockSize: number, o: { dModel: number; heads: number; layers: number; dropout: number; seed: number }) {
    super();
    const generator = new Generator(o.seed);
    this.tok = new Embedding(vocab, o.dModel, { generator });
    this.pos = new Embedding(blockSize, o.dModel, { generator });
    const layer = new TransformerEncoderLayer(o.dModel, o.heads, { dimFeedforward: 4 * o.dModel, dropout: o.dropout, activation: 'gelu', normFirst: true, generator });
    this.encoder = new TransformerEncoder(layer, o.layers, { norm: new LayerNorm(o.dModel) });
    this.head = new Linear(o.dModel, vocab, { generator });
  }

  /** [B, T] int32 character ids -> [B, T, vocab] logits of the next character. */
  override forward(ids: Tensor): Tensor {
    const x = add(this.tok.call(ids), this.pos.call(arange(ids.shape[1]!, { dtype: 'int32' })));
    return this.head.call(this.encoder.call(x, { isCausal: true }));
  }
}

/** A mini-batch of `batch` windows of `block` + 1 characters at random offsets of `data`: inputs and next-character targets. */
function batchOf(data: Int32Array, batch: number, block: number, gen: Generator): [Tensor, Tensor] {
  const x = new Int32Array(batch * block);
  const y = new Int32Array(batch * block);
  for (let b = 0; b < batch; b++) {
    const at = Math.floor(gen.random() * (data.length - block - 1));
    x.set(data.subarray(at, at + block), b * block);
    y.set(data.subarray(at + 1, at + block + 1), b * block);
  }
  return [tensor(x, { shape: [batch, block] }), tensor(y, { shape: [batch, block] })];
}

function lossOf(model: CharTransformer, x: Tensor, y: Tensor): Tensor {
  const logits = model.call(x);
  return crossEntropy(reshape(logits, [-1, model.vocab]), reshape(y, [-1]));
}

/** The mean loss over a fixed set of held-out batches, in eval mode, without recording. */
function heldOutLoss(model: CharTransformer, data: Int32Array, o: { batchSize: number; blockSize: number }): number {
  model.eval();
  const gen = new Generator(12345);
  const loss = noGrad(() => {
    let sum = 0;
    for (let i = 0; i < 4; i++) sum += lossOf(model, ...batchOf(data, o.batchSize, o.blockSize, gen)).item();
    return sum / 4;
  });
  model.train();
  return loss;
}

/** Continues `prompt` by `length` characters, sampling each from softmax(logits / temperature). */
export function sample(model: CharTransformer, vocab: Vocab, prompt: string, length: number, temperature: number, seed: number): string {
  const gen = new Generator(seed);
  const ids = Array.from(vocab.encode(prompt));
  if (ids.length === 0) ids.push(0);
  model.eval();
  noGrad(() => {
    for (let i = 0; i < length; i++) {
      const context = ids.slice(-model.blockSize);
      const logits = model.call(tensor(Int32Array.from(context), { shape: [1, context.length] }));
      const last = logits.slice([0, context.length - 1], [1, context.length]).reshape([-1]);
      const p = softmax(last.div(temperature), 0).data();
      let u = gen.random();
      let next = p.length - 1;
      for (let j = 0; j < p.length; j++) {
        u -= p[j]!;
        if (u < 0) {
          next = j;
          break;
        }
      }
      ids.push(next);
    }
  });
  model.train();
  return vocab.decode(ids);
}

export interface CharTransformerResult {
  model: CharTransformer;
  vocab: Vocab;
  characters: number;
  parameterCount: number;
  stepLosses: number[];
  evals: { step: number; trainLoss: number; heldOutLoss: number }[];
  finalHeldOutLoss: number;
  tokensPerSecond: number;
  seconds: number;
  sample: string;
  lossCurve: string | null;
}

export async function run(given: Partial<CharTransformerOptions> = {}): Promise<CharTransformerResult> {
  const o = { ...withDefaults(options, given), log: given.log };
  const log = logger(o.quiet, o.log);
  if (o.dModel % o.heads !== 0) throw new RangeError(`char-transformer: --heads ${o.heads} must divide --d-model ${o.dModel}`);
  const { text, files } = loadText(o);
  const vocab = new Vocab(text);
  const data = vocab.encode(text);
  const split = Math.floor(data.length * 0.9);
  const train = data.subarray(0, split);
  const held = data.subarray(split);
  if (held.length <= o.blockSize + 1) throw new RangeError(`char-transformer: the text is too short for --block-size ${o.blockSize}`);
  manualSeed(o.seed);
  const model = new CharTransformer(vocab.size, o.blockSize, o);
  const parameterCount = model.parameters().reduce((n, p) => n + p.size, 0);
  const where = o.files.length > 0 ? `${files.length} file(s)` : o.corpus === 'typescript' ? `${files.length} TypeScript lib .d.ts files` : `${files.length} docs and source files of this repository`;
  log(`char-transformer: ${text.length.toLocaleString('en-US')} characters from ${where} (vocabulary ${vocab.size}), 90% to train on, 10% held out`);
  log(`model: ${o.layers} pre-norm transformer layers, d ${o.dModel}, ${o.heads} heads, context ${o.blockSize} (${parameterCount.toLocaleString('en-US')} parameters); AdamW lr ${o.lr}, batch ${o.batchSize}, ${o.steps} steps; ${o.backend === 'wasm' ? 'WebAssembly SIMD' : 'TypeScript'} kernels`);
  const previous = o.backend === 'wasm' ? setBackend(wasmBackend()) : null;
  try {
    const opt = new AdamW(model.parameters(), { lr: o.lr, weightDecay: 0.01 });
    const warm = Math.min(o.warmup, o.steps);
    const sched = new SequentialLR(opt, [
      new LinearLR(opt, { startFactor: 1 / warm, endFactor: 1, totalIters: warm }),
      new CosineAnnealingLR(opt, { tMax: Math.max(1, o.steps - warm), etaMin: o.lr / 20 }),
    ], [warm]);
    const gen = new Generator(o.seed + 1);
    const stepLosses: number[] = [];
    const evals: CharTransformerResult['evals'] = [];
    const bar = new Progress({ total: o.steps, label: 'training', unit: 'tokens', stream: o.quiet || o.log !== undefined ? NULL_STREAM : process.stdout, silentWithoutTty: true });
    const t0 = performance.now();
    let evalMs = 0;
    for (let step = 1; step <= o.steps; step++) {
      const [x, y] = batchOf(train, o.batchSize, o.blockSize, gen);
      const loss = lossOf(model, x, y);
      if (step === 1) await exportGraph(loss, o.graph, log);
      opt.zeroGrad();
      backward(loss);
      if (o.clip > 0) clipGradNorm_(model.parameters(), o.clip);
      opt.step();
      sched.step();
      const l = loss.item();
      stepLosses.push(l);
      bar.tick(o.batchSize * o.blockSize, l);
      if (step % o.evalEvery === 0 || step === o.steps) {
        const te = performance.now();
        const recent = stepLosses.slice(-o.evalEvery);
        const e = { step, trainLoss: recent.reduce((a, b) => a + b, 0) / recent.length, heldOutLoss: heldOutLoss(model, held, o) };
        evals.push(e);
        evalMs += performance.now() - te;
        bar.print(`step ${String(step).padStart(String(o.steps).length)}/${o.steps}: train loss ${e.trainLoss.toFixed(3)}, held-out loss ${e.heldOutLoss.toFixed(3)} (${(e.heldOutLoss / Math.LN2).toFixed(2)} bits/char)`);
      }
    }
    bar.done();
    const seconds = (performance.now() - t0 - evalMs) / 1000;
    const tokensPerSecond = (o.steps * o.batchSize * o.blockSize) / seconds;
    const finalHeldOutLoss = evals[evals.length - 1]!.heldOutLoss;
    log(`trained ${o.steps} steps in ${seconds.toFixed(1)} s: ${Math.round(tokensPerSecond).toLocaleString('en-US')} tokens/s; final held-out loss ${finalHeldOutLoss.toFixed(3)} (a uniform guess: ${Math.log(vocab.size).toFixed(3)})`);
    const text2 = o.sampleLength > 0 ? sample(model, vocab, o.prompt, o.sampleLength, o.temperature, o.seed + 2) : '';
    if (o.sampleLength > 0) log(`sample (temperature ${o.temperature}):\n${text2}`);
    let lossCurve: string | null = null;
    if (o.out !== undefined || !o.quiet) {
      const dir = outputDir('char-transformer', o.out);
      lossCurve = writeText(join(dir, 'loss.svg'), lossCurveSvg([
        { name: 'train (batch)', y: stepLosses, color: '#9ecae1' },
        { name: 'train (mean)', y: evals.map((e) => e.trainLoss), x: evals.map((e) => e.step) },
        { name: 'held out', y: evals.map((e) => e.heldOutLoss), x: evals.map((e) => e.step) },
      ], { title: `char-transformer: next-character cross-entropy (held-out ${finalHeldOutLoss.toFixed(3)})`, xLabel: 'step', yLabel: 'loss (nats)' }));
      log(`loss curve written to ${shown(lossCurve)}`);
      if (o.sampleLength > 0) log(`sample written to ${shown(writeText(join(dir, 'sample.txt'), `${text2}\n`))}`);
    }
    return {
      model, vocab, characters: text.length, parameterCount, stepLosses, evals, finalHeldOutLoss, tokensPerSecond, seconds, sample: text2, lossCurve,
    };
  } finally {
    if (previous !== null) setBackend(previous);
  }
}

if (isMain(import.meta.url)) {
  cli('char-transformer.ts', 'A character-level transformer language model trained on text already on disk (this repository, or TypeScript\'s lib .d.ts files), with @tapegrad/nn: Embedding, TransformerEncoder, AdamW, SequentialLR, clipGradNorm_.', options, run);
}

