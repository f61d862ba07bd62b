/**
 * tapegrad in Node: everything ./index.ts exports, with the backend chosen on import, the native
 * one when its addon loads (see ./select-backend.ts). This is the package's "node" export
 * condition; browsers and bundlers for the web get ./index.ts, which never loads a native module.
 */
import { selectDefaultBackend } from './select-backend.js';

export * from './index.js';

selectDefaultBackend();
