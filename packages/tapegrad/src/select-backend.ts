/**
 * How `import 'tapegrad'` chooses its backend in Node (the package's "node" entry, ./node.ts):
 * TAPEGRAD_BACKEND=js|wasm|native says which, and a choice that is unavailable is an error;
 * otherwise the native backend when its addon loads, and the JavaScript reference kernels when
 * it does not, saying once why. Browsers get ./index.ts, which chooses nothing.
 */
import { getBackend, jsBackend, setBackend, type Backend } from '@tapegrad/tensor';
import { isNativeAvailable, nativeBackend, nativeUnavailableReason } from '@tapegrad/backend-native';
import { wasmBackend } from '@tapegrad/backend-wasm';

/** The backends TAPEGRAD_BACKEND can name. */
export const BACKEND_NAMES = ['js', 'wasm', 'native'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * The backend called `name`, on top of the JavaScript reference kernels: `js`, `wasm` (float32
 * matmul in WebAssembly SIMD) or `native`. Throws when it is unknown or unavailable, saying why.
 */
export function backendNamed(name: string, what = 'backendNamed'): Backend {
  switch (name) {
    case 'js': return jsBackend;
    case 'wasm': return wasmBackend({ base: jsBackend });
    case 'native':
      if (!isNativeAvailable()) throw new Error(`${what}: the native backend was asked for but is unavailable: ${nativeUnavailableReason()}`);
      return nativeBackend({ base: jsBackend });
    default:
      throw new TypeError(`${what}: expected one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  }
}

let told = false;

/**
 * Sets the default backend as `import 'tapegrad'` does in Node and returns it. An explicit choice
 * in `env.TAPEGRAD_BACKEND` always applies; otherwise the native backend replaces the JavaScript
 * reference (and only it: a backend someone already set is kept).
 */
export function selectDefaultBackend(env: Record<string, string | undefined> = process.env): Backend {
  const choice = env.TAPEGRAD_BACKEND?.trim();
  if (choice) {
    setBackend(backendNamed(choice, 'TAPEGRAD_BACKEND'));
  } else if (getBackend() === jsBackend) {
    if (isNativeAvailable()) {
      setBackend(nativeBackend({ base: jsBackend }));
    } else if (!told) {
      told = true;
      console.warn(`tapegrad: running on the JavaScript kernels, the native backend is unavailable: ${nativeUnavailableReason()} (TAPEGRAD_BACKEND=js chooses the JavaScript kernels without this note)`);
    }
  }
  return getBackend();
}
