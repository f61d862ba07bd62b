import type { Tensor } from '@tapegrad/tensor';
import {
  PALETTE, clusterTree, edgeShape, labelLines, prepareRender, styleKey,
  type ClusterTree, type RenderOptions, type StyleKey,
} from './labels.js';
import type { Graph, GraphNode } from './schema.js';

/** Options of `toDot`. */
export interface DotOptions extends RenderOptions {
  /** Add a small legend explaining the node styles. Default false. */
  legend?: boolean;
}

/**
 * A DOT double-quoted string. Backslashes are doubled (so a name never turns into a Graphviz
 * escape such as \N or \l), quotes escaped, ampersands written as &amp; (Graphviz decodes HTML
 * entities in labels, so a name containing "&lt;" must not become "<"), and line breaks become
 * centred line breaks.
 */
export function dotString(text: string): string {
  const body = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;').replace(/\r\n|\r|\n/g, '\\n');
  return `"${body}"`;
}

/** A multi-line label: each line escaped, joined by DOT's centred line break. */
function dotLabel(lines: readonly string[]): string {
  return `"${lines.map((l) => dotString(l).slice(1, -1)).join('\\n')}"`;
}

const NODE_STYLE: Record<StyleKey, string> = {
  op: `shape=box, style="rounded,filled", fillcolor="${PALETTE.op.fill}", color="${PALETTE.op.stroke}"`,
  module: `shape=box3d, style="filled", fillcolor="${PALETTE.module.fill}", color="${PALETTE.module.stroke}"`,
  leaf: `shape=invhouse, style="filled", fillcolor="${PALETTE.leaf.fill}", color="${PALETTE.leaf.stroke}"`,
  param: `shape=cylinder, style="filled", fillcolor="${PALETTE.param.fill}", color="${PALETTE.param.stroke}"`,
  constant: `shape=note, style="filled,dashed", fillcolor="${PALETTE.constant.fill}", color="${PALETTE.constant.stroke}", fontcolor="#555555"`,
  output: `shape=doubleoctagon, style="filled,bold", fillcolor="${PALETTE.output.fill}", color="${PALETTE.output.stroke}"`,
};

const LEGEND: [StyleKey, string][] = [
  ['leaf', 'input'], ['param', 'parameter'], ['constant', 'constant'],
  ['op', 'op'], ['module', 'module'], ['output', 'output'],
];

/**
 * Graphviz DOT for a traced graph (or for a tensor, traced with `opts`): ops as rounded boxes,
 * inputs that require grad as house shapes, parameters as cylinders, constants as notes, collapsed
 * modules as 3-D boxes and outputs as red double octagons; modules drawn as clusters; shapes in
 * the labels or on the edges. The text is valid input for `dot -Tsvg` (and for @tapegrad/graph's
 * renderSvg).
 *
 * @example
 * writeFileSync('graph.dot', toDot(loss, { depth: 1 }));   // then: dot -Tsvg graph.dot > graph.svg
 */
export function toDot(g: Graph | Tensor | readonly Tensor[], opts: DotOptions = {}): string {
  const { graph, options, outputs, byId } = prepareRender(g, opts, 'toDot');
  const { shapes, title } = options;
  const gradStats = options.trace.gradStats;
  const out: string[] = ['digraph tapegrad {'];
  const graphAttrs = [`rankdir=${options.direction}`, 'fontname="Helvetica"', 'fontsize=12', 'nodesep=0.3', 'ranksep=0.35'];
  if (title !== undefined) graphAttrs.push(`label=${dotString(title)}`, 'labelloc=t');
  out.push(`  graph [${graphAttrs.join(', ')}];`);
  out.push('  node [fontname="Helvetica", fontsize=10, margin="0.1,0.04", height=0.3];');
  out.push('  edge [fontname="Helvetica", fontsize=9, color="#666666", fontcolor="#444444", arrowsize=0.7];');

  const nodeLine = (n: GraphNode, indent: string): string =>
    `${indent}${n.id} [label=${dotLabel(labelLines(n, { shapes, gradStats }))}, ${NODE_STYLE[styleKey(n, outputs)]}];`;
  let clusterCount = 0;
  // Module nesting is a handful of levels deep, so recursion here is bounded by the path length.
  const emit = (t: ClusterTree, indent: string): void => {
    for (const child of t.children) {
      out.push(`${indent}subgraph cluster_${clusterCount++} {`);
      out.push(`${indent}  label=${dotString(child.label)}; tooltip=${dotString(child.path)};`);
      out.push(`${indent}  style="rounded,dashed"; color="${PALETTE.cluster.stroke}"; fontcolor="${PALETTE.cluster.text}"; fontsize=10;`);
      emit(child, `${indent}  `);
      out.push(`${indent}}`);
    }
    for (const n of t.nodes) out.push(nodeLine(n, indent));
  };
  emit(clusterTree(graph, options.clusters), '  ');

  for (const e of graph.edges) {
    const attrs = [`tooltip=${dotString(`input ${e.inputIndex}`)}`];
    if (shapes === 'edge') attrs.unshift(`label=${dotString(` ${edgeShape(byId, e)}`)}`);
    out.push(`  ${e.from} -> ${e.to} [${attrs.join(', ')}];`);
  }
  if (options.legend) {
    out.push(`  subgraph cluster_legend {`);
    out.push(`    label="legend"; style="rounded"; color="#bbbbbb"; fontcolor="#666666"; fontsize=10;`);
    LEGEND.forEach(([key, text], i) => out.push(`    legend_${i} [label=${dotString(text)}, ${NODE_STYLE[key]}, fontsize=9];`));
    out.push(`    ${LEGEND.map((_, i) => `legend_${i}`).join(' -> ')} [style=invis];`);
    out.push('  }');
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}
