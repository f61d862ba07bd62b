import { basename } from 'node:path';
import { traceGraph, type Tensor } from 'tapegrad';
import { toHtml } from '@tapegrad/graph';
import { shown, writeText, type Log } from './output.js';

/**
 * The hook behind every example's `--graph out.html` option: writes the computation graph of a
 * loss as one self-contained interactive HTML page (pan, zoom, click a node for its shape, dtype,
 * attributes and gradient statistics, search by name).
 *
 * An example calls it once with a loss whose tape is still alive, or a function that computes
 * one, and the path the user gave (undefined when --graph was not passed: then nothing is done).
 * The graph is traced at once; rendering (Graphviz compiled to WebAssembly) is awaited.
 */
export async function exportGraph(loss: Tensor | (() => Tensor), path: string | undefined, log: Log): Promise<void> {
  if (path === undefined) return;
  const output = typeof loss === 'function' ? loss() : loss;
  const graph = traceGraph(output, { depth: 1 });
  const html = await toHtml(graph, { title: `computation graph: ${basename(path)}` });
  log(`graph: ${shown(writeText(path, html))} (${graph.nodes.length} nodes, modules collapsed; open it in a browser)`);
}
