import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** One command-line option of an example: its kind, default and a line of help. */
export type OptionSpec =
  | { kind: 'number'; default: number; help: string; integer?: boolean; min?: number; max?: number }
  | { kind: 'string'; default: string; help: string; choices?: readonly string[] }
  | { kind: 'optional-string'; help: string }
  | { kind: 'boolean'; default: boolean; help: string }
  | { kind: 'numbers'; default: readonly number[]; help: string }
  | { kind: 'strings'; default: readonly string[]; help: string };

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { kind: 'number' } ? number
  : S extends { kind: 'string' } ? string
  : S extends { kind: 'optional-string' } ? string | undefined
  : S extends { kind: 'boolean' } ? boolean
  : S extends { kind: 'numbers' } ? number[]
  : S extends { kind: 'strings' } ? string[]
  : never;

/** The parsed option values of a spec table. */
export type Values<S extends OptionSpecs> = { -readonly [K in keyof S]: ValueOf<S[K]> };

/** camelCase option name to its --kebab-case flag. */
export function flagOf(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The defaults of a spec table, overridden by `given` (what a test or another module passes to `run`). */
export function withDefaults<S extends OptionSpecs>(specs: S, given: Partial<Values<S>> = {}): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const v = (given as Record<string, unknown>)[name];
    if (v !== undefined) out[name] = v;
    else if (spec.kind === 'numbers' || spec.kind === 'strings') out[name] = [...spec.default];
    else if (spec.kind !== 'optional-string') out[name] = spec.default;
  }
  return out as Values<S>;
}

function parseValue(name: string, spec: OptionSpec, raw: string | boolean): unknown {
  const flag = `--${flagOf(name)}`;
  const num = (s: string): number => {
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new RangeError(`${flag}: expected a number, got "${s}"`);
    return n;
  };
  switch (spec.kind) {
    case 'boolean':
      return raw === true || raw === 'true';
    case 'number': {
      const n = num(String(raw));
      if (spec.integer && !Number.isInteger(n)) throw new RangeError(`${flag}: expected an integer, got ${n}`);
      if (spec.min !== undefined && n < spec.min) throw new RangeError(`${flag}: expected a value >= ${spec.min}, got ${n}`);
      if (spec.max !== undefined && n > spec.max) throw new RangeError(`${flag}: expected a value <= ${spec.max}, got ${n}`);
      return n;
    }
    case 'string':
      if (spec.choices && !spec.choices.includes(String(raw))) {
        throw new RangeError(`${flag}: expected one of ${spec.choices.join(', ')}, got "${String(raw)}"`);
      }
      return String(raw);
    case 'optional-string':
      return String(raw);
    case 'numbers':
      return String(raw).split(',').map((s) => num(s));
    case 'strings':
      return String(raw).split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
}

function showDefault(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'optional-string': return '';
    case 'boolean': return '';
    case 'numbers': case 'strings': return ` (default: ${spec.default.join(',')})`;
    case 'string': return ` (default: ${spec.default}${spec.choices ? `; one of ${spec.choices.join(', ')}` : ''})`;
    case 'number': return ` (default: ${spec.default})`;
  }
}

/** The --help text of an example: usage, description, and one line per option. */
export function helpText(script: string, description: string, specs: OptionSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    if (spec.kind === 'boolean' && spec.default) return [`  --no-${flagOf(name)}`, spec.help] as const;
    const arg = spec.kind === 'boolean' ? '' : spec.kind === 'number' ? ' N' : spec.kind === 'numbers' ? ' N,N,...' : spec.kind === 'strings' ? ' A,B,...' : ' VALUE';
    return [`  --${flagOf(name)}${arg}`, `${spec.help}${showDefault(spec)}`] as const;
  });
  rows.push(['  --help', 'show this help']);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  const lines = rows.map(([l, r]) => l.padEnd(width) + r);
  return [`usage: npx tsx packages/examples/src/${script} [options]`, '', description, '', 'options:', ...lines].join('\n');
}

/**
 * Parses `argv` against a spec table. Returns null after printing help for --help; throws a
 * RangeError naming the flag for an unknown option or a bad value.
 */
export function parseOptions<S extends OptionSpecs>(script: string, description: string, specs: S, argv: string[]): Values<S> | null {
  const config: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' } };
  for (const [name, spec] of Object.entries(specs)) {
    config[flagOf(name)] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: false, strict: true, allowNegative: true });
  } catch (e) {
    throw new RangeError(`${(e as Error).message}\n(see --help)`);
  }
  if (parsed.values['help']) {
    console.log(helpText(script, description, specs));
    return null;
  }
  const given: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const raw = parsed.values[flagOf(name)];
    if (raw !== undefined) given[name] = parseValue(name, spec, raw as string | boolean);
  }
  return withDefaults(specs, given as Partial<Values<S>>);
}

/** True when the module at `moduleUrl` is the script node/tsx was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * The command-line entry of an example: parses process.argv, runs, and turns an error into a
 * one-line message and exit code 1 (2 for a bad option).
 */
export function cli<S extends OptionSpecs>(script: string, description: string, specs: S, run: (opts: Values<S>) => Promise<unknown> | unknown): void {
  let opts: Values<S> | null;
  try {
    opts = parseOptions(script, description, specs, process.argv.slice(2));
  } catch (e) {
    console.error(`${script}: ${(e as Error).message}`);
    process.exitCode = 2;
    return;
  }
  if (opts === null) return;
  Promise.resolve()
    .then(() => run(opts))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
      process.exitCode = 1;
    });
}
