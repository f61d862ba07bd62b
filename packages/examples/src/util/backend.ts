/** Which kernels the examples run on: the --backend option, and a line saying which. */
import { getBackend, jsBackend, setBackend, type Backend } from 'tapegrad';
import { nativeBackend } from '@tapegrad/backend-native';
import { wasmBackend } from '@tapegrad/backend-wasm';

/** The --backend option of the MNIST examples and the demo. */
export const BACKEND_OPTION = {
  kind: 'string', default: 'default', choices: ['default', 'native', 'wasm', 'js'],
  help: "kernels: the ones `import 'tapegrad'` chose (native when its addon is built), native (C++, OpenBLAS), WebAssembly SIMD (float32 matmul), or the TypeScript reference",
} as const;

const KERNELS: Record<string, string> = { native: 'native C++ kernels (OpenBLAS, SLEEF)', wasm: 'WebAssembly SIMD kernels', js: 'TypeScript kernels' };

/** The backend in use, said in words: `the native backend (native C++ kernels (OpenBLAS, SLEEF))`. */
export function backendDescription(): string {
  const name = getBackend().name;
  return `the ${name} backend (${KERNELS[name] ?? 'custom kernels'})`;
}

function backendFor(name: string): Backend {
  if (name === 'native') return nativeBackend({ base: jsBackend });
  if (name === 'wasm') return wasmBackend({ base: jsBackend });
  return jsBackend;
}

/** Runs `fn` on the chosen kernels, restoring the previous backend afterwards. */
export async function onBackend<T>(backend: string, fn: () => Promise<T>): Promise<T> {
  if (backend === 'default') return fn();
  const previous = setBackend(backendFor(backend));
  try {
    return await fn();
  } finally {
    setBackend(previous);
  }
}
