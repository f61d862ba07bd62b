#!/usr/bin/env node
// Builds the native addon (build/Release/tapegrad_native.node) with node-gyp, for the machine it
// runs on. Run as the package's install script and by `pnpm build` at the repo root (then only
// what changed is recompiled); `--force` rebuilds from scratch.
//
// It never fails: where the build cannot happen (no compiler, no OpenBLAS, no Node headers,
// TAPEGRAD_NATIVE_BUILD=0) it writes the reason to build/unavailable.txt, prints it once, and
// exits 0, so the install succeeds and tapegrad runs on its JavaScript kernels; the loader
// (src/index.ts) reports the same reason. SLEEF is optional: without it the transcendental
// functions come from libm.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build');
const addon = join(build, 'Release', 'tapegrad_native.node');
const reasonFile = join(build, 'unavailable.txt');
const settingsFile = join(build, 'settings.json');
const force = process.argv.includes('--force');
const CXX = process.env.CXX || 'c++';
const PREFIX = 'tapegrad native backend:';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** Gives up: records why, says it once, leaves no stale addon behind, and lets the install go on. */
function unavailable(reason) {
  mkdirSync(build, { recursive: true });
  rmSync(addon, { force: true });
  writeFileSync(reasonFile, `${reason}\n`);
  console.warn(`${PREFIX} not built: ${reason}. tapegrad will run on its JavaScript kernels.`);
  process.exit(0);
}

if (process.env.TAPEGRAD_NATIVE_BUILD === '0') unavailable('skipped (TAPEGRAD_NATIVE_BUILD=0)');
if (process.platform === 'win32') unavailable('Windows is not supported by the native build');

// Tools: a C++ compiler, make, and Python 3 for node-gyp.
if (!run(CXX, ['--version']).ok) unavailable(`no C++ compiler (\`${CXX} --version\` fails); install one (Debian/Ubuntu: apt-get install g++)`);
if (!run('make', ['--version']).ok) unavailable('no `make`; install it (Debian/Ubuntu: apt-get install make)');
const python = process.env.PYTHON || 'python3';
if (!run(python, ['--version']).ok) unavailable(`no Python 3 for node-gyp (\`${python} --version\` fails); install it (Debian/Ubuntu: apt-get install python3)`);

let nodeGyp;
try {
  nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
} catch {
  nodeGyp = process.env.npm_config_node_gyp;
}
if (!nodeGyp || !existsSync(nodeGyp)) unavailable('node-gyp not found (a devDependency of this package; npm and pnpm also provide one to install scripts)');

// Node's headers: next to the running node (Debian's nodejs puts them in /usr/include/node), or
// wherever npm_config_nodedir says. Without them node-gyp would try to download them.
const nodedir = [process.env.npm_config_nodedir, resolve(dirname(process.execPath), '..')].find(
  (d) => d && existsSync(join(d, 'include', 'node', 'node_api.h')),
);

// Library probes: compile, link and run a few lines against each library.
const probeDir = mkdtempSync(join(tmpdir(), 'tapegrad-native-probe-'));
function probe(name, code, flags) {
  const src = join(probeDir, `${name}.cc`), exe = join(probeDir, name);
  writeFileSync(src, code);
  return run(CXX, ['-std=gnu++17', '-march=native', src, '-o', exe, ...flags]).ok && run(exe, []).ok;
}
const BLAS_PROBE = `#include <cblas.h>
int main() { float a = 3, b = 2, c = 0; cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1); return c == 6 ? 0 : 1; }
`;
const SLEEF_PROBE = `#include <immintrin.h>
#include <sleef.h>
int main() { double o[4]; _mm256_storeu_pd(o, Sleef_expd4_u10(_mm256_set1_pd(0))); return o[0] == 1 ? 0 : 1; }
`;
// oneDNN's GEMM, which float32 products use when it is there (see native/matmul.cc).
const DNNL_PROBE = `#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
int main() { omp_set_num_threads(1); float a = 3, b = 2, c = 0; return dnnl_sgemm('N', 'N', 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1) == dnnl_success && c == 6 ? 0 : 1; }
`;
// Where distributions put OpenBLAS: the default paths (Debian, Ubuntu), /usr/include/openblas
// (Fedora), Homebrew's prefixes.
const LOCATIONS = [
  { include: '', libdir: '' },
  { include: '/usr/include/openblas', libdir: '' },
  { include: '/opt/homebrew/opt/openblas/include', libdir: '/opt/homebrew/opt/openblas/lib' },
  { include: '/usr/local/opt/openblas/include', libdir: '/usr/local/opt/openblas/lib' },
];
const flagsOf = (l) => [...(l.include ? [`-I${l.include}`] : []), ...(l.libdir ? [`-L${l.libdir}`, `-Wl,-rpath,${l.libdir}`] : [])];
const blas = LOCATIONS.find((l) => probe('blas', BLAS_PROBE, [...flagsOf(l), '-lopenblas']));
if (!blas) {
  rmSync(probeDir, { recursive: true, force: true });
  unavailable('OpenBLAS was not found (cblas.h and libopenblas); install it (Debian/Ubuntu: apt-get install libopenblas-dev)');
}
const sleef = probe('sleef', SLEEF_PROBE, ['-lsleef']);
const dnnl = probe('dnnl', DNNL_PROBE, ['-fopenmp', '-ldnnl']);
rmSync(probeDir, { recursive: true, force: true });

// Rebuild from scratch when forced, when never configured, or when the configuration changed;
// otherwise `node-gyp build` recompiles what changed.
const settings = JSON.stringify({ sleef, dnnl, ...blas, nodedir: nodedir ?? null, cxx: CXX });
const configured = existsSync(join(build, 'Makefile')) && existsSync(settingsFile) && readFileSync(settingsFile, 'utf8') === settings
  && statSync(join(root, 'binding.gyp')).mtimeMs < statSync(join(build, 'Makefile')).mtimeMs;
const before = existsSync(addon) ? statSync(addon).mtimeMs : 0;
const args = [nodeGyp, configured && !force ? 'build' : 'rebuild', '--jobs', 'max', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const env = {
  ...process.env,
  TAPEGRAD_NATIVE_SLEEF: sleef ? '1' : '0',
  TAPEGRAD_NATIVE_DNNL: dnnl ? '1' : '0',
  TAPEGRAD_NATIVE_INCLUDE: blas.include,
  TAPEGRAD_NATIVE_LIBDIR: blas.libdir,
};
const gyp = run(process.execPath, args, { cwd: root, env });
if (!gyp.ok) {
  process.stderr.write(gyp.out);
  const firstError = gyp.out.split('\n').find((l) => /error/i.test(l)) ?? 'see the output above';
  unavailable(`the C++ build failed (${firstError.trim()})`);
}
writeFileSync(settingsFile, settings);

// A build that does not load is no build.
const check = run(process.execPath, ['-e', `require(${JSON.stringify(addon)}).kernels()`]);
if (!check.ok) unavailable(`the addon was built but does not load: ${check.out.trim().split('\n')[0]}`);
rmSync(reasonFile, { force: true });
if (statSync(addon).mtimeMs !== before) {
  const libs = ['OpenBLAS', sleef ? 'SLEEF' : 'no SLEEF, so libm for exp/log/tanh/... (apt-get install libsleef-dev)', dnnl ? 'oneDNN' : 'no oneDNN, so OpenBLAS for float32 GEMMs too (apt-get install libdnnl-dev)'];
  console.log(`${PREFIX} built ${addon} (${libs.join(', ')})`);
}
