import type { Backend } from '../backend.js';
import { elementwiseKernels } from './elementwise.js';
import { fusedKernels } from './fused.js';
import { linalgKernels } from './linalg.js';
import { movementKernels } from './movement.js';
import { reduceKernels } from './reduce.js';
import { scanKernels } from './scan.js';
import { sortKernels } from './sort.js';
import { windowKernels } from './window.js';

/**
 * The reference backend: plain TypeScript over typed arrays. Faster backends are tested against it.
 * Each family file holds its kernels' table; a new primitive's kernel is one entry there.
 */
export const jsBackend: Backend = {
  name: 'js',
  ...elementwiseKernels,
  ...reduceKernels,
  ...movementKernels,
  ...windowKernels,
  ...linalgKernels,
  ...scanKernels,
  ...sortKernels,
  ...fusedKernels,
};
