/**
 * `pnpm bench`: tapegrad (JS, wasm and native backends) vs TensorFlow.js (cpu, wasm) vs PyTorch.
 *
 * Runs every case of ./cases.ts in every framework (one framework after the
 * other, so they never compete for the 2 cores), prints ONE table to stdout and
 * writes packages/bench/results.json. Progress goes to stderr.
 *
 * Options (after `pnpm bench --`):
 *   --filter=SUBSTR            only cases whose id contains SUBSTR (comma-separated list allowed)
 *   --frameworks=a,b           only these columns (tapegrad,tapegrad-wasm,tapegrad-native,tfjs-cpu,tfjs-wasm,torch)
 */
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cases as allCases, type BenchCase, type Workload } from './cases.js';

type Backend = ReturnType<Tapegrad['getBackend']>;
import { measure, type Timing } from './harness.js';
import { loadTapegrad, type Tapegrad } from './frameworks/tapegrad.js';
import { useTfjs, type TfjsInfo } from './frameworks/tfjs.js';
import { runTorch, PYTHON, type TorchReport } from './frameworks/torch.js';

const FRAMEWORKS = ['tapegrad', 'tapegrad-wasm', 'tapegrad-native', 'tfjs-cpu', 'tfjs-wasm', 'torch'] as const;
type Framework = (typeof FRAMEWORKS)[number];
const ANCHORS = ['tfjs-cpu', 'tfjs-wasm', 'torch'] as const;

interface Cell {
  /** the reported number, in the case's unit */
  value?: number;
  timing?: Timing;
  check?: number[];
  /** why there is no value */
  error?: string;
}

const RESULTS_PATH = fileURLToPath(new URL('../results.json', import.meta.url));

// --- options ---------------------------------------------------------------------------

function option(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}
const filters = option('filter')?.split(',').filter(Boolean);
const selected = new Set<Framework>(
  (option('frameworks')?.split(',') as Framework[] | undefined) ?? [...FRAMEWORKS],
);
const cases = allCases.filter((c) => !filters || filters.some((f) => c.id.includes(f)));

const cells = new Map<string, Partial<Record<Framework, Cell>>>(cases.map((c) => [c.id, {}]));
const columnNote: Partial<Record<Framework, string>> = {};

const log = (msg: string): void => void process.stderr.write(msg + '\n');
const errMsg = (err: unknown): string =>
  err instanceof Error ? err.message.split('\n')[0]! : typeof err === 'object' ? JSON.stringify(err) : String(err);

// --- running -----------------------------------------------------------------------------

function runCase(fw: Framework, c: BenchCase, make: () => Workload): void {
  let w: Workload | undefined;
  try {
    w = make();
    const check = w.check?.();
    const timing = measure(w.run, c.timing);
    const value = c.score(timing.secondsPerCall);
    cells.get(c.id)![fw] = { value, timing, ...(check ? { check } : {}) };
    log(`  ${fw.padEnd(10)} ${c.id.padEnd(24)} ${fmt(value)} ${c.unit}  (${timing.samples}x${timing.inner} calls)`);
  } catch (err) {
    cells.get(c.id)![fw] = { error: errMsg(err) };
    log(`  ${fw.padEnd(10)} ${c.id.padEnd(24)} error: ${errMsg(err)}`);
  } finally {
    try {
      w?.dispose?.();
    } catch {
      /* ignore */
    }
  }
}

function markColumn(fw: Framework, reason: string): void {
  columnNote[fw] = reason;
  for (const c of cases) cells.get(c.id)![fw] = { error: reason };
  log(`  ${fw.padEnd(10)} skipped: ${reason}`);
}

/** Runs every tapegrad case in column `fw` with `backend` set (the previous one is put back). */
function onBackend(fw: Framework, tg: Tapegrad, backend: Backend): void {
  const previous = tg.setBackend(backend);
  try {
    for (const c of cases) if (c.tapegrad) runCase(fw, c, () => c.tapegrad!(tg));
  } finally {
    tg.setBackend(previous);
  }
}

/** The reference TypeScript kernels (`setBackend(jsBackend)`), whatever `import 'tapegrad'` chose. */
async function benchTapegrad(): Promise<void> {
  const loaded = await loadTapegrad();
  if ('error' in loaded) return markColumn('tapegrad', loaded.error);
  columnNote.tapegrad = 'packages/tapegrad build, public API only, setBackend(jsBackend): the TypeScript reference kernels';
  onBackend('tapegrad', loaded.tg, loaded.tg.jsBackend);
}

/** The same tapegrad workloads with `setBackend(wasmBackend())` (@tapegrad/backend-wasm) in force. */
async function benchTapegradWasm(): Promise<void> {
  const loaded = await loadTapegrad();
  if ('error' in loaded) return markColumn('tapegrad-wasm', loaded.error);
  const { wasmBackend, wasmSimdSupported } = await import('@tapegrad/backend-wasm');
  if (!wasmSimdSupported()) return markColumn('tapegrad-wasm', 'WebAssembly SIMD not supported by this engine');
  columnNote['tapegrad-wasm'] = 'tapegrad with setBackend(wasmBackend()): WebAssembly SIMD float32 matmul';
  onBackend('tapegrad-wasm', loaded.tg, wasmBackend({ base: loaded.tg.jsBackend }));
}

/** The same tapegrad workloads on @tapegrad/backend-native (what `import 'tapegrad'` chooses in Node when it is built). */
async function benchTapegradNative(): Promise<void> {
  const loaded = await loadTapegrad();
  if ('error' in loaded) return markColumn('tapegrad-native', loaded.error);
  const { isNativeAvailable, nativeBackend, nativeInfo, nativeUnavailableReason } = await import('@tapegrad/backend-native');
  if (!isNativeAvailable()) return markColumn('tapegrad-native', `native backend unavailable: ${nativeUnavailableReason()}`);
  const info = nativeInfo();
  columnNote['tapegrad-native'] = `tapegrad with setBackend(nativeBackend()): ${info.blas}; ${info.vectorMath}; ${info.threads} threads`;
  onBackend('tapegrad-native', loaded.tg, nativeBackend({ base: loaded.tg.jsBackend }));
}

const tfjsInfo: Partial<Record<'cpu' | 'wasm', TfjsInfo>> = {};
async function benchTfjs(backend: 'cpu' | 'wasm'): Promise<void> {
  const fw: Framework = backend === 'cpu' ? 'tfjs-cpu' : 'tfjs-wasm';
  let tf;
  try {
    const r = await useTfjs(backend);
    tf = r.tf;
    tfjsInfo[backend] = r.info;
    columnNote[fw] = `tfjs ${r.info.version}: ${r.info.detail}`;
    log(`  ${fw.padEnd(10)} ${r.info.detail}`);
  } catch (err) {
    return markColumn(fw, `tfjs ${backend} backend unavailable: ${errMsg(err)}`);
  }
  for (const c of cases) {
    if (!c.tfjs) continue;
    if (tf.getBackend() !== backend) throw new Error(`tfjs backend changed to ${tf.getBackend()}`);
    runCase(fw, c, () => c.tfjs!(tf));
  }
}

let torchReport: TorchReport | undefined;
async function benchTorch(): Promise<void> {
  const withTorch = cases.filter((c) => c.torch);
  torchReport = await runTorch(
    withTorch.map((c) => ({ id: c.id, kind: c.torch!.kind, params: c.torch!.params, ...(c.timing ? { timing: c.timing } : {}) })),
  );
  if (!torchReport.available) {
    return markColumn('torch', `PyTorch not available, column skipped (${torchReport.reason})`);
  }
  columnNote.torch =
    `torch ${torchReport.version}, ${torchReport.threads} threads, ` +
    `OMP_WAIT_POLICY=${torchReport.ompWaitPolicy}, python ${torchReport.python}, BLAS: ${torchReport.blas}`;
  for (const c of withTorch) {
    const r = torchReport.results[c.id];
    if (!r) cells.get(c.id)!.torch = { error: 'no result from torch_bench.py' };
    else if ('error' in r) cells.get(c.id)!.torch = { error: r.error };
    else {
      const { check, ...timing } = r;
      cells.get(c.id)!.torch = { value: c.score(r.secondsPerCall), timing, ...(check ? { check } : {}) };
    }
  }
}

// --- checks across frameworks --------------------------------------------------------------

/** Every framework's check() must agree with the first framework that has one. */
function crossCheck(c: BenchCase): string[] {
  const row = cells.get(c.id)!;
  const withCheck = FRAMEWORKS.filter((f) => row[f]?.check);
  if (withCheck.length < 2) return [];
  const ref = row[withCheck[0]!]!.check!;
  const scale = Math.max(...ref.map(Math.abs), 1e-30);
  const problems: string[] = [];
  for (const f of withCheck.slice(1)) {
    const got = row[f]!.check!;
    const bad = ref.some((r, i) => {
      const g = got[i];
      return g === undefined || !(Math.abs(g - r) <= 2e-3 * Math.max(Math.abs(r), Math.abs(g)) + 1e-4 * scale);
    });
    if (bad) {
      problems.push(
        `${c.id}: ${f} computes something else than ${withCheck[0]} ` +
          `(check ${fmtList(got)} vs ${fmtList(ref)})`,
      );
    }
  }
  return problems;
}

// --- formatting -------------------------------------------------------------------------------

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  if (a >= 1) return v.toFixed(3);
  return v.toPrecision(3);
}
const fmtList = (xs: number[]): string => `[${xs.map((x) => x.toPrecision(5)).join(', ')}]`;

/** The tapegrad column the speedups are computed from: native when it ran, else the JS one. */
function speedupColumn(): Framework {
  return cases.some((c) => cells.get(c.id)!['tapegrad-native']?.value !== undefined) ? 'tapegrad-native' : 'tapegrad';
}

function speedup(c: BenchCase, anchor: Framework): number | undefined {
  const row = cells.get(c.id)!;
  const t = row[speedupColumn()]?.value;
  const a = row[anchor]?.value;
  if (t === undefined || a === undefined || t <= 0 || a <= 0) return undefined;
  return c.better === 'higher' ? t / a : a / t;
}

function renderTable(): string {
  const header = [
    'measurement',
    'unit',
    'better',
    'tapegrad',
    'tapegrad-wasm',
    'tapegrad-native',
    'tfjs-cpu',
    'tfjs-wasm',
    'torch',
    'vs tfjs-cpu',
    'vs tfjs-wasm',
    'vs torch',
  ];
  const rows = cases.map((c) => {
    const row = cells.get(c.id)!;
    return [
      c.label,
      c.unit,
      c.better,
      ...FRAMEWORKS.map((f) => (row[f]?.value !== undefined ? fmt(row[f]!.value) : row[f]?.error ? 'n/a' : '—')),
      ...ANCHORS.map((a) => {
        const s = speedup(c, a);
        return s === undefined ? '—' : `${fmt(s)}x`;
      }),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]): string =>
    '| ' + cols.map((s, i) => (i < 3 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (i < 3 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(header), sep, ...rows.map(line)].join('\n');
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

// --- main -----------------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = performance.now();
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  log(`tapegrad bench: ${cases.length} cases; ${cpu}, ${os.cpus().length} cores, Node ${process.version}`);

  if (selected.has('tapegrad')) await benchTapegrad();
  if (selected.has('tapegrad-wasm')) await benchTapegradWasm();
  if (selected.has('tapegrad-native')) await benchTapegradNative();
  if (selected.has('tfjs-cpu')) await benchTfjs('cpu');
  if (selected.has('tfjs-wasm')) await benchTfjs('wasm');
  if (selected.has('torch')) await benchTorch();

  const problems = cases.flatMap(crossCheck);
  const seconds = (performance.now() - t0) / 1000;

  const out: string[] = [];
  out.push('');
  out.push(`tapegrad benchmark — ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()}`);
  out.push('Each value is the median of several timed runs after a warm-up; all frameworks get the same float32 inputs.');
  out.push(`"vs X" columns are speedups: how many times faster ${speedupColumn()} is than X (>1 = tapegrad faster, <1 = slower),`);
  out.push('computed in the direction of the "better" column (higher GFLOP/s, lower ns/elem, us/op and ms/step).');
  out.push('');
  out.push(renderTable());
  out.push('');
  for (const f of FRAMEWORKS) if (columnNote[f]) out.push(`  ${f}: ${columnNote[f]}`);
  const errors = cases.flatMap((c) =>
    FRAMEWORKS.flatMap((f) => {
      const e = cells.get(c.id)![f]?.error;
      return e && !columnNote[f]?.startsWith(e) && e !== columnNote[f] ? [`  ${c.id} / ${f}: ${e}`] : [];
    }),
  );
  if (errors.length) out.push('errors:', ...errors);
  if (problems.length) out.push('RESULT MISMATCH (these numbers are not comparable):', ...problems.map((p) => '  ' + p));
  else out.push('  results agree across frameworks (cross-checked on each case\'s outputs).');
  out.push(`  total bench time ${seconds.toFixed(1)} s; JSON written to ${RESULTS_PATH}`);
  process.stdout.write(out.join('\n') + '\n');

  const json = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    environment: {
      cpu,
      cores: os.cpus().length,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      tfjs: tfjsInfo,
      torch: torchReport,
    },
    speedupDefinition: `how many times faster ${speedupColumn()} is than the anchor (>1 = tapegrad faster)`,
    columns: FRAMEWORKS.map((f) => ({ id: f, note: columnNote[f] ?? null })),
    cases: cases.map((c) => ({
      id: c.id,
      label: c.label,
      unit: c.unit,
      better: c.better,
      values: Object.fromEntries(FRAMEWORKS.map((f) => [f, cells.get(c.id)![f]?.value ?? null])),
      speedup: Object.fromEntries(ANCHORS.map((a) => [a, speedup(c, a) ?? null])),
      details: cells.get(c.id),
    })),
    mismatches: problems,
    totalSeconds: seconds,
  };
  // torch's per-case results are already in `details`; keep only its environment here
  if (json.environment.torch?.available) {
    const { results: _results, ...env } = json.environment.torch;
    json.environment.torch = env as TorchReport;
  }
  fs.writeFileSync(RESULTS_PATH, JSON.stringify(json, null, 2) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
