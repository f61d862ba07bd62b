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
  return renderAs('renderSvg', graphOrDot, opts);
}

const ENGINES: readonly unknown[] = ['dot', 'neato', 'fdp', 'sfdp', 'circo', 'twopi', 'osage', 'patchwork'];

/**
 * Runs `body`, which calls @tapegrad/autograd's exporters (toDot, traceGraph) with the arguments
 * `who` was given, so that their argument errors name `who`, the function the user called.
 */
export function onBehalfOf<T>(who: string, body: () => T): T {
  try {
    return body();
  } catch (e) {
    const m = e instanceof Error ? /^(toDot|traceGraph): /.exec(e.message) : null;
    if (m === null) throw e;
    const Kind = (e as Error).constructor as new (message: string) => Error;
    throw new Kind(`${who}: ${(e as Error).message.slice(m[0].length)}`);
  }
}

/** A value as it reads in a message (never throws). */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return Array.isArray(v) ? `an array of length ${v.length}` : `a ${typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v}`;
}

/** renderSvg on behalf of `who` (renderSvg, toHtml). */
export async function renderAs(who: string, graphOrDot: unknown, opts: unknown): Promise<string> {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) throw new TypeError(`${who}: expected an options object, got ${describe(opts)}`);
  const engine = (opts as SvgOptions | undefined)?.engine ?? 'dot';
  if (!ENGINES.includes(engine)) throw new RangeError(`${who}: expected engine to be one of ${ENGINES.join(', ')}, got ${describe(engine)}`);
  if (typeof graphOrDot !== 'string' && (typeof graphOrDot !== 'object' || graphOrDot === null)) {
    throw new TypeError(`${who}: expected DOT text, a Graph (from traceGraph) or a Tensor, got ${describe(graphOrDot)}`);
  }
  const dot = typeof graphOrDot === 'string' ? graphOrDot : onBehalfOf(who, () => toDot(graphOrDot as Graph, opts as SvgOptions));
  const result = (await graphviz()).render(dot, { format: 'svg', engine: engine as NonNullable<SvgOptions['engine']> });
  if (result.status !== 'success') {
    const errors = result.errors.filter((e) => e.level === 'error').map((e) => e.message.trim());
    throw new SyntaxError(`${who}: Graphviz could not render the graph: ${errors.join('; ') || 'unknown error'}`);
  }
  return result.output;
}
