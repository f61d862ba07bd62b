import { graphPalette, isGraph, traceGraph, type Graph } from '@tapegrad/autograd';
import type { Tensor } from '@tapegrad/tensor';
import { describe, onBehalfOf, renderAs, type SvgOptions } from './render.js';
import { VIEWER_CSS, VIEWER_JS } from './viewer.js';

/** Options of `toHtml`: trace and drawing options, and the page title. */
export interface HtmlOptions extends SvgOptions {
  /** Shown in the page header and the browser tab. Default "tapegrad graph". */
  title?: string;
}

/** Text for an HTML text node or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON to place inside a <script> element: nothing in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * One self-contained HTML page showing the graph: the SVG drawing (Graphviz, inline), pan and
 * zoom, a side panel with the op, shape, dtype, attributes and gradient statistics of the node
 * you click, and a search box for node names. The page loads nothing: no network access, no
 * external file (its Content-Security-Policy forbids both). Accepts a Graph from `traceGraph` or a
 * tensor (traced with `opts`).
 *
 * @example
 * writeFileSync('graph.html', await toHtml(loss, { depth: 1, title: 'my model' }));
 */
export async function toHtml(graph: Graph | Tensor | readonly Tensor[], opts: HtmlOptions = {}): Promise<string> {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new TypeError(`toHtml: expected an options object, got ${describe(opts)}`);
  const { title = 'tapegrad graph', ...drawing } = opts;
  if (typeof title !== 'string') throw new TypeError(`toHtml: expected title to be a string, got ${describe(title)}`);
  const g = isGraph(graph) ? graph : onBehalfOf('toHtml', () => traceGraph(graph as Tensor | readonly Tensor[], drawing));
  // The drawing checks the rest of the options, and a given document.
  const svg = await renderAs('toHtml', g, drawing);
  const inline = svg.slice(svg.indexOf('<svg'));
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="@tapegrad/graph">
<title>${escapeHtml(title)}</title>
<style>${VIEWER_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<span class="stats">${count(g.nodes.length, 'node')}, ${count(g.edges.length, 'edge')}</span>
<input id="search" type="search" placeholder="Search nodes by name, op or module" aria-label="Search nodes" autocomplete="off">
<span id="search-count"></span>
<div class="zoom"><button id="zoom-in" type="button" title="Zoom in">+</button><button id="zoom-out" type="button" title="Zoom out">&minus;</button><button id="zoom-fit" type="button" title="Fit the whole graph">Fit</button></div>
</header>
<main>
<div id="canvas">
${inline}
</div>
<aside id="panel"><div id="details"></div><ul id="results"></ul></aside>
</main>
<script type="application/json" id="tapegrad-graph">${scriptJson(g)}</script>
<script type="application/json" id="tapegrad-palette">${scriptJson(graphPalette)}</script>
<script>${VIEWER_JS}</script>
</body>
</html>
`;
}
