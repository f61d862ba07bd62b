/** Graph export: the recorded tape as a versioned JSON document, Graphviz DOT and Mermaid. */
export { traceGraph, type TraceOptions } from './trace.js';
export { graphScope } from './scope.js';
export { toDot, type DotOptions } from './dot.js';
export { toMermaid, type MermaidOptions } from './mermaid.js';
export { PALETTE as graphPalette, type RenderOptions as GraphRenderOptions } from './labels.js';
export { isGraph, type Graph, type GraphNode, type GraphEdge, type OpTimes, type GradStats, type GroupInfo, type NodeKind } from './schema.js';
