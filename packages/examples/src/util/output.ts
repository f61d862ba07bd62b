import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/examples/out: where examples write their plots unless told otherwise (gitignored). */
export const DEFAULT_OUT_ROOT = fileURLToPath(new URL('../../out', import.meta.url));

/** The folder an example writes into: `outDir` if given, else packages/examples/out/<example>. Created if missing. */
export function outputDir(example: string, outDir?: string): string {
  const dir = outDir !== undefined ? resolve(outDir) : join(DEFAULT_OUT_ROOT, example);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes a text file (creating its folder) and returns its path. */
export function writeText(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A path as the user would type it from the current directory. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/** Where an example's messages go: console.log by default, nowhere for `quiet` runs (tests). */
export type Log = (line: string) => void;
export function logger(quiet: boolean | undefined, log?: Log): Log {
  if (log !== undefined) return log;
  return quiet ? () => {} : (line) => console.log(line);
}
