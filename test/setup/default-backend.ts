// The suite runs on the backend `import 'tapegrad'` chooses in Node, as users get it: the native
// one when its addon is built (TAPEGRAD_BACKEND=js|wasm|native picks another). The conformance
// tests in test/backend-native/ compare the backends with the JavaScript reference row by row.
import { selectDefaultBackend } from '../../packages/tapegrad/src/select-backend.js';

selectDefaultBackend();
