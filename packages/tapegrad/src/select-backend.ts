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

/** What choosing a backend needs from @tapegrad/backend-native (replaceable in tests). */
export interface NativeModule {
  isNativeAvailable(): boolean;
  nativeBackend(opts: { base: Backend }): Backend;
  nativeUnavailableReason(): string | null;
}

const NATIVE: NativeModule = { isNativeAvailable, nativeBackend, nativeUnavailableReason };

/**
 * The backend called `name`, on top of the JavaScript reference kernels: `js`, `wasm` (float32
 * matmul in WebAssembly SIMD) or `native`. Throws when it is unknown or unavailable, saying why.
 */
export function backendNamed(name: string, what = 'backendNamed', native: NativeModule = NATIVE): Backend {
  switch (name) {
    case 'js': return jsBackend;
    case 'wasm': return wasmBackend({ base: jsBackend });
    case 'native':
      if (!native.isNativeAvailable()) throw new Error(`${what}: the native backend was asked for but is unavailable: ${native.nativeUnavailableReason()}`);
      return native.nativeBackend({ base: jsBackend });
    default:
      throw new TypeError(`${what}: expected one of ${BACKEND_NAMES.join(', ')}, got ${JSON.stringify(name)}`);
  }
}

let told = false;

/**
 * Sets the default backend as `import 'tapegrad'` does in Node and returns it. An explicit choice
 * in `env.TAPEGRAD_BACKEND` always applies; otherwise the native backend replaces the JavaScript
 * reference (and only it: a backend someone already set is kept), and when the native backend is
 * unavailable `warn` says why, once per process.
 */
export function selectDefaultBackend(
  env: Record<string, string | undefined> = process.env,
  native: NativeModule = NATIVE,
  warn: (message: string) => void = console.warn,
): Backend {
  const choice = env.TAPEGRAD_BACKEND?.trim();
  if (choice) {
    setBackend(backendNamed(choice, 'TAPEGRAD_BACKEND', native));
  } else if (getBackend() === jsBackend) {
    if (native.isNativeAvailable()) {
      setBackend(native.nativeBackend({ base: jsBackend }));
    } else if (!told) {
      told = true;
      warn(`tapegrad: running on the JavaScript kernels, the native backend is unavailable: ${native.nativeUnavailableReason()} (TAPEGRAD_BACKEND=js chooses the JavaScript kernels without this note)`);
    }
  }
  return getBackend();
}
