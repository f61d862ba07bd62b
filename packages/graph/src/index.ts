/**
 * @tapegrad/graph: draws tapegrad computation graphs. SVG through Graphviz compiled to WebAssembly
 * (no native binary), a self-contained interactive HTML viewer, and the `tapegrad-graph` CLI.
 * Kept apart from @tapegrad/tensor and @tapegrad/autograd so that using them never pulls in a
 * renderer. Importing this module has no side effects (Graphviz loads on first render).
 */
export { renderSvg, type SvgOptions } from './render.js';
export { toHtml, type HtmlOptions } from './html.js';
export { runCli, USAGE, type CliIo } from './cli-main.js';
// The export side lives in @tapegrad/autograd; re-exported so one import covers tracing and drawing.
export {
  traceGraph, toDot, toMermaid, graphScope, isGraph,
  type Graph, type GraphNode, type GraphEdge, type TraceOptions, type DotOptions, type MermaidOptions,
} from '@tapegrad/autograd';
