import type { Tensor } from 'tapegrad';
import type { Log } from './output.js';

/**
 * The hook behind every example's `--graph out.html` option.
 *
 * An example calls this once with a loss whose tape is still alive (from its first training step,
 * before backward), or a function that computes one, and the path the user gave (undefined when
 * --graph was not passed: then nothing is computed). The interactive graph exporter lives in
 * packages/graph and is not wired in yet; when it lands, this is the one function to fill in,
 * along the lines of:
 *
 *   import { traceGraph } from 'tapegrad';
 *   import { toHtml } from '@tapegrad/graph';           // the exporter's entry, once it exists
 *   writeText(path, toHtml(traceGraph(output)));
 *
 * (and add '@tapegrad/graph' to packages/examples/package.json). Until then it says so and
 * writes nothing, so the option can be passed today without failing a run.
 */
export function exportGraph(loss: Tensor | (() => Tensor), path: string | undefined, log: Log): void {
  if (path === undefined) return;
  const output = typeof loss === 'function' ? loss() : loss;
  void output;
  log(`--graph ${path}: the HTML graph exporter (packages/graph) is not available yet; no graph written`);
}
