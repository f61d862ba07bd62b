/**
 * TensorFlow.js, cpu and wasm backends, loaded entirely from node_modules.
 *
 * The wasm backend is told where its .wasm binaries live with `setWasmPaths`
 * (a directory on disk, `usePlatformFetch = false`), so emscripten reads them
 * with `fs` and nothing is fetched from the network. After `setBackend` we
 * check that the active backend really is the wasm one and record which binary
 * (plain, SIMD, threaded SIMD) was selected and how many threads XNNPACK uses.
 */
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// The node build of tfjs-core ships without the gradient functions of its
// kernels (Sum, Tanh, ...); the @tensorflow/tfjs bundle registers all of them
// into the shared registry. Same tfjs-core instance (one version, one copy).
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

export type Tfjs = typeof tf;
export type TfjsBackendName = 'cpu' | 'wasm';

export interface TfjsInfo {
  backend: TfjsBackendName;
  version: string;
  /** for wasm: which binary was loaded, SIMD and thread information */
  detail: string;
  wasm?: { simd: boolean; threads: boolean; threadsCount: number; binary: string; dir: string };
}

const require = createRequire(import.meta.url);

/** The dist folder of @tensorflow/tfjs-backend-wasm, where its .wasm files are. */
export function wasmDistDir(): string {
  // package "main" is dist/tf-backend-wasm.node.js
  const main = require.resolve('@tensorflow/tfjs-backend-wasm');
  return path.dirname(main) + path.sep;
}

let wasmPathsSet = false;

export async function useTfjs(backend: TfjsBackendName): Promise<{ tf: Tfjs; info: TfjsInfo }> {
  // Silence the "install tfjs-node for speed" banner and friends; we benchmark
  // exactly the pure-JS and wasm backends on purpose.
  tf.env().set('PROD', true);

  if (backend === 'wasm' && !wasmPathsSet) {
    const dir = wasmDistDir();
    for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
      if (!fs.existsSync(path.join(dir, f))) throw new Error(`missing ${path.join(dir, f)}`);
    }
    tfwasm.setWasmPaths(dir, false);
    wasmPathsSet = true;
  }

  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) {
    throw new Error(`tfjs could not switch to the ${backend} backend (active: ${tf.getBackend()})`);
  }

  const info: TfjsInfo = { backend, version: tf.version_core, detail: 'pure JS kernels, single thread' };
  if (backend === 'wasm') {
    const active = tf.engine().backend;
    if (!(active instanceof tfwasm.BackendWasm)) {
      throw new Error('tfjs reports the wasm backend but the engine holds something else');
    }
    const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
    const threadsCount = tfwasm.getThreadsCount();
    const binary =
      simd && threads
        ? 'tfjs-backend-wasm-threaded-simd.wasm'
        : simd
          ? 'tfjs-backend-wasm-simd.wasm'
          : 'tfjs-backend-wasm.wasm';
    info.wasm = { simd, threads, threadsCount, binary, dir: wasmDistDir() };
    info.detail =
      `${binary} from node_modules, SIMD ${simd ? 'on' : 'off'}, ` +
      `threads ${threads ? 'on' : 'off'} (XNNPACK threads: ${threadsCount})`;
  }
  return { tf, info };
}
