import { toDot, type DotOptions, type Graph } from '@tapegrad/autograd';
import type { Tensor } from '@tapegrad/tensor';
import type { Viz } from '@viz-js/viz';

let viz: Promise<Viz> | undefined;

/** The Graphviz WebAssembly instance, created on first use (importing this module does nothing). */
function graphviz(): Promise<Viz> {
  viz ??= import('@viz-js/viz').then((m) => m.instance());
  return viz;
}

/** Options of `renderSvg`: DOT options when given a graph or tensor, and the Graphviz layout engine. */
export interface SvgOptions extends DotOptions {
  /** Graphviz layout engine. Default 'dot'. */
  engine?: 'dot' | 'neato' | 'fdp' | 'sfdp' | 'circo' | 'twopi' | 'osage' | 'patchwork';
}

/**
 * Renders a graph to SVG with Graphviz compiled to WebAssembly (no native binary; works in Node and
 * in browsers). Accepts DOT text, a Graph from `traceGraph`, or a tensor (traced with `opts`).
 * Rejects with the Graphviz error message when the DOT is invalid.
 *
 * @example
 * writeFileSync('graph.svg', await renderSvg(loss, { depth: 1 }));
 */
export async function renderSvg(graphOrDot: string | Graph | Tensor | readonly Tensor[], opts: SvgOptions = {}): Promise<string> {
  const dot = typeof graphOrDot === 'string' ? graphOrDot : toDot(graphOrDot as Graph | Tensor, opts);
  const result = (await graphviz()).render(dot, { format: 'svg', engine: opts.engine ?? 'dot' });
  if (result.status !== 'success') {
    const errors = result.errors.filter((e) => e.level === 'error').map((e) => e.message.trim());
    throw new SyntaxError(`renderSvg: Graphviz could not render the graph: ${errors.join('; ') || 'unknown error'}`);
  }
  return result.output;
}
