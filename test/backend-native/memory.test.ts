/**
 * Large outputs reuse freed memory: the native backend sets glibc's malloc to keep large blocks in
 * its heap (native/addon.cc, malloc_policy), so a training loop does not fault in fresh pages for
 * every op's output; and it has V8 free dead array buffers on the main thread (src/index.ts,
 * sweepOnMainThread), unless the process chose otherwise.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { add, randn, setBackend } from '@tapegrad/tensor';
import { nativeBackend, nativeInfo } from '@tapegrad/backend-native';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('native backend memory', () => {
  it('says which allocation policy it runs with', () => {
    expect(nativeInfo().memory).toMatch(/glibc, heap up to 256 MiB blocks|the environment's/);
  });

  it('frees array buffers on the main thread, unless the process was started with a choice of its own', () => {
    expect(nativeInfo().memory).toMatch(/; array buffers swept on the main thread$/);
    const entry = fileURLToPath(new URL('../../packages/backend-native/dist/index.js', import.meta.url));
    const script = `import(${JSON.stringify(entry)}).then((m) => console.log(m.nativeInfo().memory))`;
    for (const flag of ['--concurrent-array-buffer-sweeping', '--no-concurrent-array-buffer-sweeping']) {
      const memory = execFileSync(process.execPath, [flag, '-e', script], { encoding: 'utf8' }).trim();
      expect(memory).toMatch(/; array buffers swept as the process chose$/);
    }
  });

  it('reuses the pages of freed large outputs instead of faulting in fresh ones', () => {
    const prev = setBackend(nativeBackend());
    try {
      const x = randn([1 << 20]);
      const rounds = 40;
      const pagesPerOutput = (4 << 20) / 4096;
      add(x, 1);
      gc();
      const before = process.resourceUsage().minorPageFault;
      for (let i = 0; i < rounds; i++) {
        add(x, i);
        gc();
      }
      const faults = process.resourceUsage().minorPageFault - before;
      // A fresh mapping per output would fault in every page of each: rounds * pagesPerOutput.
      expect(faults).toBeLessThan((rounds * pagesPerOutput) / 4);
    } finally {
      setBackend(prev);
    }
  });
});
