/**
 * JSON.parse keeps the last of two equal keys without a word; a safetensors header with a repeated
 * tensor name (or two `__metadata__` maps) is ambiguous, so the header's own text is scanned for
 * repeated keys, at the top level and inside each entry. The text is already known to be valid JSON.
 */

const WS = new Set([' ', '\t', '\n', '\r']);

/** Position after the JSON string starting at `i` (a '"'). */
function skipString(text: string, i: number): number {
  let j = i + 1;
  while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
  return j + 1;
}

/** Position after the JSON value starting at `i`. */
function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    let j = i;
    do {
      const d = text[j];
      if (d === '"') {
        j = skipString(text, j);
        continue;
      }
      if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') depth--;
      j++;
    } while (depth > 0);
    return j;
  }
  let j = i;
  while (j < text.length && !WS.has(text[j]!) && text[j] !== ',' && text[j] !== '}' && text[j] !== ']') j++;
  return j;
}

function skipWs(text: string, i: number): number {
  while (WS.has(text[i]!)) i++;
  return i;
}

/** The members of the JSON object starting at `i`, in order: [key, value text]. */
function members(text: string, i: number): [string, string][] {
  const out: [string, string][] = [];
  let j = skipWs(text, i + 1);
  while (text[j] !== '}') {
    const end = skipString(text, j);
    const key = JSON.parse(text.slice(j, end)) as string;
    j = skipWs(text, skipWs(text, end) + 1); // past ':'
    const stop = skipValue(text, j);
    out.push([key, text.slice(j, stop)]);
    j = skipWs(text, stop);
    if (text[j] === ',') j = skipWs(text, j + 1);
  }
  return out;
}

function offsetsOf(value: string): string {
  try {
    const o = (JSON.parse(value) as { data_offsets?: unknown }).data_offsets;
    return Array.isArray(o) ? `[${o.join(', ')}]` : 'none';
  } catch {
    return 'unreadable';
  }
}

/** A message describing the first repeated key of the header, or null when there is none. */
export function checkHeaderKeys(text: string): string | null {
  const top = members(text, skipWs(text, 0));
  const seen = new Map<string, string>();
  for (const [key, value] of top) {
    const before = seen.get(key);
    if (before !== undefined) {
      if (key === '__metadata__') return "the header has two '__metadata__' maps";
      const [a, b] = [offsetsOf(before), offsetsOf(value)];
      return a === b
        ? `tensor '${key}' appears twice in the header (both with data_offsets ${a})`
        : `tensor '${key}' appears twice in the header, with data_offsets ${a} and then ${b}`;
    }
    seen.set(key, value);
    if (value.startsWith('{')) {
      const inner = new Set<string>();
      for (const [k] of members(value, 0)) {
        if (inner.has(k)) return key === '__metadata__' ? `'__metadata__' has the key '${k}' twice` : `tensor '${key}' has '${k}' twice in its header entry`;
        inner.add(k);
      }
    }
  }
  return null;
}
