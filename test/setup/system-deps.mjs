// Makes sure the system packages tapegrad's tooling needs are present. On a Debian/Ubuntu machine
// where we are root it installs what is missing; elsewhere it says what to install.
//
//   node test/setup/system-deps.mjs --native   what the native backend builds from (a C++ compiler,
//       make, Python 3 for node-gyp, OpenBLAS, SLEEF and oneDNN headers) and OpenBLAS's threaded library,
//       which PyTorch (bench, fixtures) needs so as not to fall back on the reference BLAS.
//       Run by `pnpm install` before anything is installed (pnpm:devPreinstall), so that the
//       addon builds; best effort, never fails: without these packages tapegrad runs on its
//       JavaScript kernels.
//   node test/setup/system-deps.mjs            the above, then Chromium for the browser tests,
//       which `pnpm test` requires (pretest).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NATIVE = ['g++', 'make', 'python3', 'libopenblas-dev', 'libsleef-dev', 'libdnnl-dev', 'libopenblas0-pthread'];
const CHROMIUM = '/usr/bin/chromium';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/usr/bin/dpkg-query');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
let updated = false;

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.includes('install ok installed');
}

function aptInstall(args) {
  if (!updated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  updated = true;
  execFileSync('apt-get', ['install', '-y', '-qq', ...args], { stdio: 'inherit', env });
}

function nativeDeps() {
  if (!hasApt) return; // elsewhere the addon's build script says what it misses
  const missing = NATIVE.filter((p) => !installed(p));
  if (missing.length === 0) return;
  if (!isRoot) {
    console.warn(`tapegrad's native backend builds from ${missing.join(' ')}: install them (sudo apt-get install ${missing.join(' ')}), then run \`pnpm install\` again; until then tapegrad runs on its JavaScript kernels.`);
    return;
  }
  console.log(`Installing what tapegrad's native backend builds from (apt-get install ${missing.join(' ')})...`);
  try {
    aptInstall(['--no-install-recommends', ...missing]);
  } catch (err) {
    console.warn(`apt-get could not install ${missing.join(' ')} (${err.message}); tapegrad will run on its JavaScript kernels.`);
  }
}

nativeDeps();
if (!process.argv.includes('--native') && !existsSync(CHROMIUM)) {
  if (!isRoot || !hasApt) {
    console.error(`The browser tests need Chromium at ${CHROMIUM}. Install it (Debian/Ubuntu: sudo apt-get install chromium) and run the tests again.`);
    process.exit(1);
  }
  console.log('Installing Chromium for the browser tests (apt-get install chromium)...');
  aptInstall(['chromium']);
}
