/** tapegrad: every tapegrad package behind one import. */
export * from '@tapegrad/tensor';
export * from '@tapegrad/autograd';
export * from '@tapegrad/nn';
