/**
 * Lists every public export of every published tapegrad package, and whether it carries a doc
 * comment. Reads the sources (no build needed) with the TypeScript 5.9 compiler API (installed as
 * `typescript-api`: TypeScript 7, which builds the repo, has no JavaScript API). The checker
 * follows re-exports (`export *`, `export { a as b }`, other packages), so a name is checked
 * where it is declared; the members of an `export * as ns` namespace are listed as `ns.member`.
 *
 * `npx tsx test/api-exports.ts` prints the undocumented exports (`--all`: every export).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript-api';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A public entry point: `@tapegrad/nn`, and the source file its types are built from. */
export interface PublicEntry {
  /** What users import: the package name, plus the subpath for a subpath export. */
  specifier: string;
  /** Its source, relative to the repo root (`packages/nn/src/index.ts`). */
  source: string;
}

/**
 * The entry points of every published package (every packages/* without `"private": true`), read
 * from their package.json `exports`; subpaths named `internal` (tape plumbing for tapegrad's own
 * packages) are not public.
 */
export function publicEntries(): PublicEntry[] {
  const out: PublicEntry[] = [];
  for (const dir of readdirSync(`${ROOT}packages`).sort()) {
    const file = `${ROOT}packages/${dir}/package.json`;
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name: string; private?: boolean; exports?: Record<string, { types?: string }> };
    if (pkg.private) continue;
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      if (/internal/.test(sub)) continue;
      const types = target.types;
      if (!types || !/^\.\/dist\/.*\.d\.ts$/.test(types)) throw new Error(`api-exports: ${pkg.name} export '${sub}' has no ./dist/*.d.ts types`);
      out.push({
        specifier: sub === '.' ? pkg.name : `${pkg.name}/${sub.replace(/^\.\//, '')}`,
        source: `packages/${dir}/${types.replace(/^\.\/dist\//, 'src/').replace(/\.d\.ts$/, '.ts')}`,
      });
    }
  }
  return out;
}

export interface ExportDoc {
  /** The entry point's import specifier (`@tapegrad/tensor`). */
  pkg: string;
  /** The exported name; a namespace's members are `ns.member`. */
  name: string;
  /** The doc comment's text (empty when there is none). */
  doc: string;
}

/** The doc comment written directly above a node, as text; '' if none. */
function ownDoc(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join('\n').trim();
}

/** A symbol's documentation: the doc comment of any declaration (overloads: any signature). */
function docOf(sym: ts.Symbol, checker: ts.TypeChecker): string {
  const text = ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
  if (text) return text;
  // A namespace re-export (`export * as ns from`) keeps its doc on the export declaration.
  for (const d of sym.declarations ?? []) {
    const own = ownDoc(ts.isNamespaceExport(d) ? d.parent : d);
    if (own) return own;
  }
  return '';
}

/** The exported symbol's documentation, from the export itself or from what it re-exports. */
function exportDoc(exp: ts.Symbol, checker: ts.TypeChecker): { doc: string; target: ts.Symbol } {
  const target = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
  return { doc: docOf(exp, checker) || docOf(target, checker), target };
}

/** Every export of the given entry points (by default every public one), sorted by entry then name. */
export function listExports(entries: readonly PublicEntry[] = publicEntries()): ExportDoc[] {
  const all = publicEntries();
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // Nothing is type-checked, only bound and resolved: no default library, no @types.
    noLib: true,
    types: [],
    noEmit: true,
    // Sibling packages from their sources, as the tests see them (their dist may be stale or absent).
    baseUrl: ROOT,
    paths: {
      ...Object.fromEntries(all.map((e) => [e.specifier, [e.source]])),
      '@tapegrad/tensor/internal': ['packages/tensor/src/internal.ts'],
    },
  };
  const program = ts.createProgram({ rootNames: entries.map((e) => ROOT + e.source), options });
  const checker = program.getTypeChecker();
  const out: ExportDoc[] = [];
  for (const entry of entries) {
    const file = program.getSourceFile(ROOT + entry.source);
    const moduleSym = file && checker.getSymbolAtLocation(file);
    if (!moduleSym) throw new Error(`api-exports: cannot read the entry point of ${entry.specifier} (${entry.source})`);
    for (const exp of checker.getExportsOfModule(moduleSym)) {
      const { doc, target } = exportDoc(exp, checker);
      const name = exp.getName();
      out.push({ pkg: entry.specifier, name, doc });
      // `export * as ns from './x.js'`: the namespace's members are public exports too.
      if (target.flags & ts.SymbolFlags.ValueModule && target.declarations?.some(ts.isSourceFile)) {
        for (const member of checker.getExportsOfModule(target)) {
          out.push({ pkg: entry.specifier, name: `${name}.${member.getName()}`, doc: exportDoc(member, checker).doc });
        }
      }
    }
  }
  return out.sort((a, b) => a.pkg.localeCompare(b.pkg) || a.name.localeCompare(b.name));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const all = process.argv.includes('--all');
  const rows = listExports().filter((e) => all || !e.doc);
  for (const e of rows) console.log(`${e.pkg}\t${e.name}${all ? `\t${e.doc.replace(/\s+/g, ' ')}` : ''}`);
  console.error(`${rows.length} ${all ? 'exports' : 'undocumented exports'}`);
}
