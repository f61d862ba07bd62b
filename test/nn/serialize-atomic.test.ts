import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tensor } from '@tapegrad/tensor';
import { loadSafetensors, saveSafetensors } from '@tapegrad/nn';

/**
 * saveSafetensors must never destroy the previous file. Node's file API is wrapped so that a test
 * can make the disk fail partway through writing (after half the bytes reached the file, as a full
 * disk does) or make the final rename fail.
 */
const failure = vi.hoisted(() => ({ write: false, rename: false }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    if (!failure.write) return handle;
    return new Proxy(handle, {
      get(target, key, receiver) {
        if (key === 'writeFile') {
          return async (data: Uint8Array) => {
            await target.write(data.subarray(0, data.length >> 1));
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          };
        }
        const v = Reflect.get(target, key, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  const rename: typeof real.rename = async (from, to) => {
    if (failure.rename) throw Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), { code: 'EXDEV' });
    return real.rename(from, to);
  };
  return { ...real, default: { ...real, open, rename }, open, rename };
});

describe('saveSafetensors is atomic', () => {
  let dir = '';
  let path = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tapegrad-atomic-'));
    path = join(dir, 'weights.safetensors');
    failure.write = false;
    failure.rename = false;
    await saveSafetensors({ w: tensor([1, 2, 3]) }, path, { metadata: { version: 'old' } });
  });
  afterEach(async () => {
    failure.write = false;
    failure.rename = false;
    await rm(dir, { recursive: true, force: true });
  });

  const big = { w: tensor(new Float32Array(4096).fill(7)), b: tensor(new Float64Array(100)) };

  it('keeps the old file, and leaves no temporary file, when the disk fails mid-write', async () => {
    const before = await readFile(path);
    failure.write = true;
    await expect(saveSafetensors(big, path)).rejects.toThrow(/ENOSPC/);
    failure.write = false;
    expect(await readdir(dir)).toEqual(['weights.safetensors']);
    expect(Buffer.compare(await readFile(path), before)).toBe(0);
    expect((await loadSafetensors(path)).w!.toArray()).toEqual([1, 2, 3]);
  });

  it('keeps the old file when the final rename fails', async () => {
    failure.rename = true;
    await expect(saveSafetensors(big, path)).rejects.toThrow(/EXDEV/);
    failure.rename = false;
    expect(await readdir(dir)).toEqual(['weights.safetensors']);
    expect((await loadSafetensors(path)).w!.toArray()).toEqual([1, 2, 3]);
  });

  it('keeps the old file when the state dict cannot be encoded', async () => {
    await expect(saveSafetensors({ w: 'nope' as never }, path)).rejects.toThrow(/'w' must be a Tensor/);
    expect((await loadSafetensors(path)).w!.toArray()).toEqual([1, 2, 3]);
  });

  it('replaces the file when nothing fails (the wrapper is transparent)', async () => {
    await saveSafetensors(big, path);
    expect((await loadSafetensors(path)).w!.shape).toEqual([4096]);
    expect(await readdir(dir)).toEqual(['weights.safetensors']);
  });
});
