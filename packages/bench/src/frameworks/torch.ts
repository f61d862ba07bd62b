/**
 * PyTorch column: runs ../../torch_bench.py with /usr/bin/python3 (Debian's
 * python3-torch), one child process for all cases, OMP_WAIT_POLICY=PASSIVE and
 * torch.set_num_threads(2). The script answers with one JSON object on stdout.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Timing, TimingOptions } from '../harness.js';

export const PYTHON = process.env.TAPEGRAD_BENCH_PYTHON ?? '/usr/bin/python3';
export const TORCH_SCRIPT = fileURLToPath(new URL('../../torch_bench.py', import.meta.url));

export interface TorchRequestCase {
  id: string;
  kind: string;
  params: Record<string, unknown>;
  timing?: Partial<TimingOptions>;
}

export type TorchCaseResult = (Timing & { check?: number[] }) | { error: string };

export type TorchReport =
  | {
      available: true;
      version: string;
      threads: number;
      interopThreads: number;
      python: string;
      ompWaitPolicy: string;
      /** the BLAS library torch's GEMMs run on, and its path (torch_bench.py refuses the reference BLAS) */
      blas: string;
      results: Record<string, TorchCaseResult>;
    }
  | { available: false; reason: string };

export function runTorch(cases: TorchRequestCase[], timing: Partial<TimingOptions> = {}): Promise<TorchReport> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(PYTHON, [TORCH_SCRIPT], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', PYTHONDONTWRITEBYTECODE: '1' },
      });
    } catch (err) {
      resolve({ available: false, reason: `cannot start ${PYTHON}: ${String(err)}` });
      return;
    }
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.on('error', (err) => resolve({ available: false, reason: `cannot start ${PYTHON}: ${err.message}` }));
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as TorchReport);
      } catch {
        resolve({ available: false, reason: `${TORCH_SCRIPT} exited with ${code} and no JSON result` });
      }
    });
    child.stdin.on('error', () => {}); // the child may exit before reading (no torch)
    child.stdin.end(JSON.stringify({ timing, cases }));
  });
}
