import type { Backend } from '../backend.js';
import { binaryKernel, unaryKernel, whereKernel } from './elementwise.js';
import { matmulKernel } from './linalg.js';
import { concatKernel, copyKernel, gatherKernel, padKernel, scatterAddKernel } from './movement.js';
import { reduceKernel } from './reduce.js';
import { foldKernel, unfoldKernel } from './window.js';

/** The reference backend: plain TypeScript over typed arrays. Faster backends are tested against it. */
export const jsBackend: Backend = {
  name: 'js',
  neg: unaryKernel('neg'), abs: unaryKernel('abs'), sign: unaryKernel('sign'), exp: unaryKernel('exp'),
  log: unaryKernel('log'), log1p: unaryKernel('log1p'), sqrt: unaryKernel('sqrt'), sin: unaryKernel('sin'),
  cos: unaryKernel('cos'), tanh: unaryKernel('tanh'), sigmoid: unaryKernel('sigmoid'), relu: unaryKernel('relu'),
  erf: unaryKernel('erf'),
  cast: copyKernel, copy: copyKernel,
  add: binaryKernel('add'), sub: binaryKernel('sub'), mul: binaryKernel('mul'), div: binaryKernel('div'),
  pow: binaryKernel('pow'), maximum: binaryKernel('maximum'), minimum: binaryKernel('minimum'),
  eq: binaryKernel('eq'), ne: binaryKernel('ne'), lt: binaryKernel('lt'), le: binaryKernel('le'),
  gt: binaryKernel('gt'), ge: binaryKernel('ge'),
  where: whereKernel,
  sum: reduceKernel('sum'), prod: reduceKernel('prod'), max: reduceKernel('max'), min: reduceKernel('min'),
  argmax: reduceKernel('argmax'), argmin: reduceKernel('argmin'),
  pad: padKernel, concat: concatKernel, gather: gatherKernel, scatterAdd: scatterAddKernel,
  unfold2d: unfoldKernel, fold2d: foldKernel,
  matmul: matmulKernel,
};
