/**
 * How a backend is chosen and what happens when the native one cannot be had: TAPEGRAD_BACKEND,
 * the default in Node (`import 'tapegrad'`, checked in a child process as a user runs it), the
 * fallback to the JavaScript kernels with one note, the loader's reason when the addon is not
 * built, and the build script giving up without failing the install.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getBackend, jsBackend, setBackend, type Backend } from '@tapegrad/tensor';
import { backendNamed, selectDefaultBackend, type NativeModule } from '../../packages/tapegrad/src/select-backend.js';

const root = resolve(__dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'tapegrad-selection-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const unavailable: NativeModule = {
  isNativeAvailable: () => false,
  nativeBackend: () => { throw new Error('not built'); },
  nativeUnavailableReason: () => 'OpenBLAS was not found',
};

describe('choosing a backend', () => {
  let previous: Backend;
  beforeEach(() => { previous = setBackend(jsBackend); });
  afterEach(() => { setBackend(previous); });

  it('TAPEGRAD_BACKEND names js, wasm or native; anything else is a TypeError', () => {
    expect(selectDefaultBackend({ TAPEGRAD_BACKEND: 'wasm' }).name).toBe('wasm');
    expect(selectDefaultBackend({ TAPEGRAD_BACKEND: 'native' }).name).toBe('native');
    expect(selectDefaultBackend({ TAPEGRAD_BACKEND: 'js' })).toBe(jsBackend);
    expect(() => selectDefaultBackend({ TAPEGRAD_BACKEND: 'cuda' })).toThrow(new TypeError('TAPEGRAD_BACKEND: expected one of js, wasm, native, got "cuda"'));
  });

  it('without TAPEGRAD_BACKEND, native replaces the reference kernels but not a backend someone chose', () => {
    expect(selectDefaultBackend({}).name).toBe('native');
    const custom: Backend = { ...jsBackend, name: 'custom' };
    setBackend(custom);
    expect(selectDefaultBackend({})).toBe(custom);
  });

  it('an unavailable native backend: the JavaScript kernels and one note saying why; asked for by name, an Error saying why', () => {
    const notes: string[] = [];
    expect(selectDefaultBackend({}, unavailable, (m) => notes.push(m))).toBe(jsBackend);
    expect(selectDefaultBackend({}, unavailable, (m) => notes.push(m))).toBe(jsBackend);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/JavaScript kernels.*OpenBLAS was not found/);
    expect(() => selectDefaultBackend({ TAPEGRAD_BACKEND: 'native' }, unavailable)).toThrow(/native backend was asked for but is unavailable: OpenBLAS was not found/);
    expect(() => backendNamed('native', 'x', unavailable)).toThrow(Error);
    expect(getBackend()).toBe(jsBackend);
  });
});

describe("import 'tapegrad' in a Node process", () => {
  // The built umbrella, resolved from the examples package as a dependent package would.
  const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--input-type=module', '-e', "const t = await import('tapegrad'); console.log(t.getBackend().name);"], {
    cwd: join(root, 'packages/examples'), encoding: 'utf8', env: { ...process.env, TAPEGRAD_BACKEND: '', ...env },
  });

  it('runs on the native backend, or on the one TAPEGRAD_BACKEND names; a bad name stops the import', () => {
    expect(run({}).stdout.trim()).toBe('native');
    const js = run({ TAPEGRAD_BACKEND: 'js' });
    expect(js.stdout.trim()).toBe('js');
    expect(js.stderr).toBe('');
    expect(run({ TAPEGRAD_BACKEND: 'wasm' }).stdout.trim()).toBe('wasm');
    const bad = run({ TAPEGRAD_BACKEND: 'gpu' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/TAPEGRAD_BACKEND: expected one of js, wasm, native, got "gpu"/);
  });
});

describe('when the addon is not built', () => {
  it('the loader says why: the build script\'s reason, or that nothing was built', async () => {
    // A copy of the loader in a package folder with no build/: what a failed install leaves.
    const pkg = join(work, 'backend-native');
    mkdirSync(join(pkg, 'src'), { recursive: true });
    copyFileSync(join(root, 'packages/backend-native/src/index.ts'), join(pkg, 'src/index.ts'));
    const m1 = await import(join(pkg, 'src/index.ts'));
    expect(m1.isNativeAvailable()).toBe(false);
    expect(m1.nativeUnavailableReason()).toMatch(/the addon was not built/);
    expect(() => m1.nativeBackend()).toThrow(/nativeBackend: the native backend is not available: the addon was not built/);
    expect(() => m1.nativeInfo()).toThrow(Error);

    mkdirSync(join(pkg, 'build'), { recursive: true });
    writeFileSync(join(pkg, 'build/unavailable.txt'), 'no C++ compiler (`c++ --version` fails)\n');
    copyFileSync(join(pkg, 'src/index.ts'), join(pkg, 'src/again.ts'));
    const m2 = await import(join(pkg, 'src/again.ts'));
    expect(m2.nativeUnavailableReason()).toBe('no C++ compiler (`c++ --version` fails)');
  });

  it('the build script exits 0 with a reason when it cannot build (install still succeeds)', () => {
    const pkg = join(work, 'build-script');
    mkdirSync(join(pkg, 'scripts'), { recursive: true });
    copyFileSync(join(root, 'packages/backend-native/scripts/build-addon.mjs'), join(pkg, 'scripts/build-addon.mjs'));
    const script = join(pkg, 'scripts/build-addon.mjs');
    const noCompiler = spawnSync(process.execPath, [script], { encoding: 'utf8', env: { ...process.env, CXX: join(pkg, 'no-such-compiler') } });
    expect(noCompiler.status).toBe(0);
    expect(noCompiler.stderr).toMatch(/not built: no C\+\+ compiler/);
    expect(readFileSync(join(pkg, 'build/unavailable.txt'), 'utf8')).toMatch(/no C\+\+ compiler/);
    const skipped = execFileSync(process.execPath, [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAPEGRAD_NATIVE_BUILD: '0' } });
    expect(skipped).toBe('');
    expect(readFileSync(join(pkg, 'build/unavailable.txt'), 'utf8')).toMatch(/TAPEGRAD_NATIVE_BUILD=0/);
  });
});
