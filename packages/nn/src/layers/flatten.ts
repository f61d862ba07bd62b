import { flatten, type Tensor } from '@tapegrad/tensor';
import { Module } from '../module.js';

/** Collapses dims startDim..endDim (default 1..-1, keeping the batch dim), as nn.Flatten. */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    this.startDim = startDim;
    this.endDim = endDim;
  }

  override forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}
