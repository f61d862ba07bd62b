import type { Tensor } from '@tapegrad/tensor';
import {
  PALETTE, clusterTree, edgeShape, labelLines, prepareRender, styleKey,
  type ClusterTree, type RenderOptions, type StyleKey,
} from './labels.js';
import type { Graph, GraphNode } from './schema.js';

/** Options of `toMermaid`. */
export type MermaidOptions = RenderOptions;

const ENTITIES: Record<string, string> = {
  '#': '#35;', '"': '#quot;', '<': '#lt;', '>': '#gt;', '&': '#amp;', '`': '#96;', '|': '#124;',
};

/**
 * Text for a quoted Mermaid label: characters Mermaid would read as syntax, HTML or an entity
 * become Mermaid entity codes (`#quot;`), and line breaks become `<br>`.
 */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>&`|]/g, (c) => ENTITIES[c]!).replace(/\r\n|\r|\n/g, '<br>');
}

/** Node shape brackets per style: ops rounded, modules as subroutines, inputs slanted, parameters as cylinders. */
const BRACKETS: Record<StyleKey, [string, string]> = {
  op: ['(', ')'],
  module: ['[[', ']]'],
  leaf: ['[/', '/]'],
  param: ['[(', ')]'],
  constant: ['>', ']'],
  output: ['{{', '}}'],
};

/**
 * A Mermaid flowchart for a traced graph (or for a tensor, traced with `opts`), for Markdown that
 * GitHub renders: put it in a ```mermaid block. Node kinds get distinct shapes and colours, modules
 * become subgraphs, labels are escaped. GitHub's Mermaid draws at most 500 edges: collapse big
 * models with `depth`.
 *
 * @example
 * const md = '```mermaid\n' + toMermaid(loss, { depth: 1 }) + '```\n';
 */
export function toMermaid(g: Graph | Tensor | readonly Tensor[], opts: MermaidOptions = {}): string {
  const { graph, options, outputs, byId } = prepareRender(g, opts, 'toMermaid');
  const { shapes, title } = options;
  const gradStats = options.trace.gradStats;
  const out: string[] = [];
  if (title !== undefined) out.push('---', `title: ${JSON.stringify(title)}`, '---');
  out.push(`flowchart ${options.direction}`);
  const classes = new Map<StyleKey, string[]>();

  const nodeLine = (n: GraphNode, indent: string): string => {
    const key = styleKey(n, outputs);
    const list = classes.get(key) ?? [];
    list.push(n.id);
    classes.set(key, list);
    const [open, close] = BRACKETS[key];
    const text = labelLines(n, { shapes, gradStats }).map(mermaidText).join('<br>');
    return `${indent}${n.id}${open}"${text}"${close}`;
  };
  let clusterCount = 0;
  // Module nesting is a handful of levels deep, so recursion here is bounded by the path length.
  const emit = (t: ClusterTree, indent: string): void => {
    for (const child of t.children) {
      out.push(`${indent}subgraph m${clusterCount++}["${mermaidText(child.label)}"]`);
      emit(child, `${indent}  `);
      out.push(`${indent}end`);
    }
    for (const n of t.nodes) out.push(nodeLine(n, indent));
  };
  emit(clusterTree(graph, options.clusters), '  ');

  for (const e of graph.edges) {
    const label = shapes === 'edge' ? `|"${mermaidText(edgeShape(byId, e))}"|` : '';
    out.push(`  ${e.from} -->${label} ${e.to}`);
  }
  for (const [key, ids] of classes) {
    const p = PALETTE[key];
    const dashed = key === 'constant' ? ',stroke-dasharray:4 3' : '';
    const bold = key === 'output' || key === 'module' ? ',stroke-width:2px' : '';
    out.push(`  classDef ${key} fill:${p.fill},stroke:${p.stroke},color:#1b1b1b${dashed}${bold}`);
    out.push(`  class ${ids.join(',')} ${key}`);
  }
  return `${out.join('\n')}\n`;
}
