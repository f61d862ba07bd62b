#!/usr/bin/env node
/**
 * The tapegrad-graph command: runs a script and writes the graph it exports as HTML, SVG, DOT,
 * Mermaid or JSON. See `tapegrad-graph --help`.
 */
import { runCli } from './cli-main.js';

// Run through this package's own "tapegrad-graph" script (pnpm --filter @tapegrad/graph tapegrad-graph ...),
// paths are meant relative to where the command was typed, which the package manager passes as INIT_CWD.
const viaPackageScript = process.env.npm_lifecycle_event === 'tapegrad-graph' && process.env.INIT_CWD;
const cwd = viaPackageScript ? process.env.INIT_CWD! : process.cwd();

process.exitCode = await runCli(process.argv.slice(2), {
  cwd,
  out: (line) => console.log(line),
  err: (line) => console.error(line),
});
