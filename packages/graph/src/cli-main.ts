import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { backward, isGraph, profileOps, toDot, toMermaid, traceGraph, type Graph } from '@tapegrad/autograd';
import { Tensor } from '@tapegrad/tensor';
import { toHtml, type HtmlOptions } from './html.js';
import { describe, renderSvg } from './render.js';

/** The `tapegrad-graph --help` text: the command line and its options. */
export const USAGE = `Usage: tapegrad-graph <script> [--out graph.html] [options]

Runs <script> (.ts, .mts, .js or .mjs) and draws the computation graph it exports.
The script's default export (or the export named by --export) is a Tensor, an array of
Tensors, a Graph from traceGraph, or a function (possibly async) returning one of those.

Options:
  -o, --out <file>        where to write (default graph.html); the extension picks the format
  -f, --format <fmt>      html | svg | dot | mermaid | json (overrides the extension)
  -d, --depth <n>         collapse modules to this depth (1 = top-level modules)
      --hide-constants    leave out tensors that do not require grad
      --no-grad-stats     leave out gradient statistics
      --backward          call backward() on the (scalar) output first, to show gradients
      --profile           time every op (forward, and backward with --backward); needs a function export
      --shapes <where>    label | edge | none (default label)
      --direction <dir>   TB | LR | BT | RL (default TB)
      --max-nodes <n>     refuse graphs larger than this (default 10000)
      --title <text>      page title (html) or caption (svg, dot, mermaid)
      --export <name>     use this named export instead of the default export
  -h, --help              show this help

TypeScript scripts are loaded with tsx when Node cannot load them itself.`;

type Format = 'html' | 'svg' | 'dot' | 'mermaid' | 'json';
const FORMATS: readonly Format[] = ['html', 'svg', 'dot', 'mermaid', 'json'];
const BY_EXTENSION: Record<string, Format> = {
  '.html': 'html', '.htm': 'html', '.svg': 'svg', '.dot': 'dot', '.gv': 'dot', '.mmd': 'mermaid', '.mermaid': 'mermaid', '.md': 'mermaid', '.json': 'json',
};

/**
 * Where {@link runCli} resolves paths and writes its output and error lines (the process's own streams in the
 * command).
 */
export interface CliIo {
  /** Directory relative paths are resolved against. */
  cwd: string;
  out(line: string): void;
  err(line: string): void;
}

class UsageError extends Error {}

function positiveInt(text: string | undefined, flag: string, allowInfinity: boolean): number | undefined {
  if (text === undefined) return undefined;
  if (allowInfinity && /^inf(inity)?$/i.test(text)) return Infinity;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} expects a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Imports the script; TypeScript goes through tsx when this Node cannot load it natively. */
async function loadScript(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (!TS_EXTENSIONS.has(extname(path)) || !(code === 'ERR_UNKNOWN_FILE_EXTENSION' || code.startsWith('ERR_UNSUPPORTED'))) throw e;
  }
  let api: { register(): () => Promise<void> | void };
  try {
    api = (await import('tsx/esm/api' as string)) as typeof api;
  } catch {
    throw new Error(`cannot load the TypeScript file ${path}: install tsx (npm install -D tsx), or run: node --import tsx ${process.argv[1] ?? 'tapegrad-graph'} ...`);
  }
  // Registered for the whole process (not a namespaced import), so the script's own imports of
  // @tapegrad/* resolve to the very modules this CLI uses: one Tensor class, one tape.
  // The failed plain import stays cached under the bare URL, hence the query on the retry.
  api.register();
  return (await import(`${url}?tapegrad-graph`)) as Record<string, unknown>;
}

/** Whatever the script exported, as a Graph or the tensors to trace. */
async function graphSource(mod: Record<string, unknown>, exportName: string, profile: boolean): Promise<Graph | Tensor[]> {
  if (!(exportName in mod)) {
    const names = Object.keys(mod).filter((k) => k !== 'default');
    throw new Error(`the script has no export named "${exportName}"${names.length > 0 ? ` (it exports: ${names.join(', ')})` : ''}; export a Tensor, Tensor[], Graph or a function returning one`);
  }
  let value = mod[exportName];
  if (profile && typeof value !== 'function') {
    throw new UsageError(`--profile needs export "${exportName}" to be a function, so that its ops run while timing`);
  }
  if (typeof value === 'function') {
    const f = value as () => unknown;
    value = await (profile ? profileOps(f) : f());
  }
  if (isGraph(value)) return value;
  if (value instanceof Tensor) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof Tensor)) return value as Tensor[];
  throw new Error(`export "${exportName}" gave ${value === null ? 'null' : typeof value}; expected a Tensor, an array of Tensors, a Graph, or a function returning one`);
}

/** Runs the CLI with `args` (without node and the script path); returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  if (!Array.isArray(args)) throw new TypeError(`runCli: expected the command-line arguments as an array of strings, got ${describe(args)}`);
  const { cwd, out, err } = (io ?? {}) as Partial<CliIo>;
  if (typeof cwd !== 'string' || typeof out !== 'function' || typeof err !== 'function') {
    throw new TypeError(`runCli: expected io as { cwd: a directory, out(line), err(line) }, got ${describe(io)}`);
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        format: { type: 'string', short: 'f' },
        depth: { type: 'string', short: 'd' },
        'hide-constants': { type: 'boolean' },
        'no-grad-stats': { type: 'boolean' },
        backward: { type: 'boolean' },
        profile: { type: 'boolean' },
        shapes: { type: 'string' },
        direction: { type: 'string' },
        'max-nodes': { type: 'string' },
        title: { type: 'string' },
        export: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    io.err(`tapegrad-graph: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  try {
    if (positionals.length !== 1) throw new UsageError(`expected one script, got ${positionals.length}`);
    const script = resolve(io.cwd, positionals[0]!);
    const outPath = resolve(io.cwd, (values.out as string | undefined) ?? 'graph.html');
    const format = (values.format as string | undefined) ?? BY_EXTENSION[extname(outPath).toLowerCase()] ?? 'html';
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
    const shapes = values.shapes as string | undefined;
    if (shapes !== undefined && shapes !== 'label' && shapes !== 'edge' && shapes !== 'none') throw new UsageError(`--shapes must be label, edge or none, got ${JSON.stringify(shapes)}`);
    const dir = values.direction as string | undefined;
    if (dir !== undefined && !['TB', 'LR', 'BT', 'RL'].includes(dir)) throw new UsageError(`--direction must be TB, LR, BT or RL, got ${JSON.stringify(dir)}`);
    const opts: HtmlOptions = {
      depth: positiveInt(values.depth as string | undefined, '--depth', true),
      hideConstants: Boolean(values['hide-constants']),
      gradStats: !values['no-grad-stats'],
      maxNodes: positiveInt(values['max-nodes'] as string | undefined, '--max-nodes', true),
      shapes: shapes as HtmlOptions['shapes'],
      direction: dir as HtmlOptions['direction'],
      title: values.title as string | undefined,
    };
    for (const k of Object.keys(opts) as (keyof HtmlOptions)[]) if (opts[k] === undefined) delete opts[k];

    const profile = Boolean(values.profile);
    const source = await graphSource(await loadScript(script), (values.export as string | undefined) ?? 'default', profile);
    if (values.backward) {
      if (isGraph(source)) throw new UsageError('--backward needs the script to export tensors, not a Graph');
      const loss = source[0]!;
      if (loss.size !== 1) throw new UsageError(`--backward needs a scalar output, got shape [${loss.shape.join(',')}]`);
      if (profile) profileOps(() => backward(loss));
      else backward(loss);
    }
    const graph = isGraph(source) ? source : traceGraph(source, opts);
    let text: string;
    if (format === 'html') text = await toHtml(graph, opts);
    else if (format === 'svg') text = await renderSvg(graph, opts);
    else if (format === 'dot') text = toDot(graph, opts);
    else if (format === 'mermaid') text = toMermaid(graph, opts);
    else text = `${JSON.stringify(graph, null, 2)}\n`;
    await mkdir(dirname(outPath), { recursive: true });
    await writeFile(outPath, text);
    io.out(`tapegrad-graph: wrote ${outPath} (${format}, ${graph.nodes.length} nodes, ${graph.edges.length} edges)`);
    return 0;
  } catch (e) {
    io.err(`tapegrad-graph: ${(e as Error).message}${e instanceof UsageError ? `\n\n${USAGE}` : ''}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
