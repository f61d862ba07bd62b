import { Tensor, type DType } from '@tapegrad/tensor';

/**
 * The safetensors format: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON (padded with
 * spaces so the data starts 8-byte aligned) mapping each tensor's name to
 * `{ dtype, shape, data_offsets: [begin, end] }` (offsets into the data section) plus an optional
 * `__metadata__` map of strings, then the raw little-endian data. tapegrad reads and writes
 * F32, F64, I32 and BOOL tensors, 0-d included.
 */

const CODES: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const DTYPES: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', BOOL: 'bool' };
const ITEMSIZE: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
/** Dtypes of the format tapegrad has no tensor type for. */
const FOREIGN = ['F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I8', 'I16', 'I64', 'U8', 'U16', 'U32', 'U64'];
/** The largest header accepted (the reference implementation's limit too). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA = '__metadata__';
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type StateDict = Record<string, Tensor>;

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array ${JSON.stringify(x).slice(0, 60)}`;
  if (x instanceof Tensor) return 'a Tensor';
  return typeof x === 'object' ? 'an object' : `${typeof x} ${JSON.stringify(x)}`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Sets an own property, so that a tensor named `__proto__` is data, not a prototype. */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function checkMetadata(op: string, metadata: unknown): Record<string, string> | undefined {
  if (metadata === undefined) return undefined;
  if (!isRecord(metadata)) throw new TypeError(`${op}: metadata must be an object of strings, got ${describe(metadata)}`);
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new TypeError(`${op}: metadata value '${k}' must be a string, got ${describe(v)}`);
  }
  return metadata as Record<string, string>;
}

/** The raw little-endian bytes of a tensor's elements in row-major order. */
function rawBytes(t: Tensor): Uint8Array {
  const data = t.data();
  if (t.dtype === 'bool') return Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0));
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (t.dtype === 'float64') view.setFloat64(i * 8, data[i]!, true);
    else if (t.dtype === 'float32') view.setFloat32(i * 4, data[i]!, true);
    else view.setInt32(i * 4, data[i]!, true);
  }
  return out;
}

/**
 * Encodes a state dict (name to tensor) as safetensors bytes, with an optional string-to-string
 * metadata map. Tensors are laid out by descending element size, then by name, so every tensor's
 * data is aligned to its element size.
 *
 * @example
 * const bytes = toSafetensorsBytes(model.stateDict(), { epoch: '3' });
 */
export function toSafetensorsBytes(stateDict: StateDict, metadata?: Record<string, string>): Uint8Array {
  const op = 'toSafetensorsBytes';
  if (!isRecord(stateDict) || stateDict instanceof Tensor) throw new TypeError(`${op}: expected a state dict (an object of tensors), got ${describe(stateDict)}`);
  const meta = checkMetadata(op, metadata);
  const entries = Object.entries(stateDict);
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: '${name}' must be a Tensor, got ${describe(t)}`);
    if (name === METADATA) throw new RangeError(`${op}: '${METADATA}' is reserved for metadata and cannot name a tensor`);
  }
  const items = entries as [string, Tensor][];
  items.sort(([a, s], [b, t]) => ITEMSIZE[t.dtype] - ITEMSIZE[s.dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (meta !== undefined) put(header, METADATA, { ...meta });
  let at = 0;
  const blobs: Uint8Array[] = [];
  for (const [name, t] of items) {
    const bytes = rawBytes(t);
    put(header, name, { dtype: CODES[t.dtype], shape: t.shape.slice(), data_offsets: [at, at + bytes.length] });
    blobs.push(bytes);
    at += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + at);
  const view = new DataView(out.buffer);
  view.setUint32(0, json.length, true);
  view.setUint32(4, Math.floor(json.length / 2 ** 32), true);
  out.set(json, 8);
  let off = 8 + json.length;
  for (const b of blobs) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}

/** Thrown for a file that is not valid safetensors; the message says what is wrong. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

interface Entry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function fail(msg: string): never {
  throw new SafetensorsError(`safetensors: ${msg}`);
}

function parseEntry(name: string, info: unknown, dataLength: number): Entry {
  const at = `tensor '${name}'`;
  if (!isRecord(info)) fail(`${at}: expected { dtype, shape, data_offsets }, got ${describe(info)}`);
  const { dtype: code, shape, data_offsets: offsets } = info;
  if (typeof code !== 'string') fail(`${at}: dtype must be a string, got ${describe(code)}`);
  const dtype = DTYPES[code];
  if (!Object.hasOwn(DTYPES, code) || dtype === undefined) {
    if (FOREIGN.includes(code)) fail(`${at}: unsupported dtype '${code}' (tapegrad reads ${Object.keys(DTYPES).join(', ')})`);
    fail(`${at}: unknown dtype ${JSON.stringify(code)} (expected one of ${Object.keys(DTYPES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`${at}: shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    fail(`${at}: data_offsets must be [begin, end] with non-negative integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) fail(`${at}: data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataLength) fail(`${at}: data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes; truncated file?)`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const need = count * ITEMSIZE[dtype];
  if (!Number.isSafeInteger(need) || need !== end - begin) {
    fail(`${at}: shape [${shape.join(',')}] of ${code} needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype, shape: (shape as number[]).slice(), begin, end };
}

function readTensor(e: Entry, data: Uint8Array): Tensor {
  const t = Tensor.empty(e.shape, e.dtype);
  const src = data.subarray(e.begin, e.end);
  if (e.dtype === 'bool') {
    const bad = src.findIndex((b) => b > 1);
    if (bad >= 0) fail(`tensor '${e.name}': BOOL element ${bad} holds byte ${src[bad]}; expected 0 or 1`);
    t.buf.set(src);
  } else if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(t.buf.buffer, t.buf.byteOffset, t.buf.byteLength).set(src);
  } else {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    for (let i = 0; i < t.size; i++) {
      t.buf[i] = e.dtype === 'float64' ? view.getFloat64(i * 8, true) : e.dtype === 'float32' ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
    }
  }
  return t;
}

/** A parsed safetensors file: the tensors and the metadata map (empty when the file has none). */
export interface Safetensors {
  tensors: StateDict;
  metadata: Record<string, string>;
}

/**
 * Decodes safetensors bytes into tensors and metadata, checking the whole file first: a truncated,
 * corrupt or inconsistent file throws a SafetensorsError naming the problem (never a partial result).
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): Safetensors {
  let all: Uint8Array;
  if (bytes instanceof Uint8Array) all = bytes;
  else if (bytes instanceof ArrayBuffer) all = new Uint8Array(bytes);
  else throw new TypeError(`fromSafetensorsBytes: expected a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  if (all.length < 8) fail(`truncated: ${all.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  if (8 + n > all.length) fail(`truncated: the header claims ${n} bytes but only ${all.length - 8} follow the length`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(all.subarray(8, 8 + n));
  } catch {
    fail('the header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`the header must be a JSON object starting with '{', got ${JSON.stringify(text.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) fail(`the header must be a JSON object, got ${describe(header)}`);
  const data = all.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA) {
      if (!isRecord(info)) fail(`${METADATA} must be an object of strings, got ${describe(info)}`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') fail(`${METADATA} value '${k}' must be a string, got ${describe(v)}`);
        put(metadata, k, v);
      }
    } else {
      entries.push(parseEntry(name, info, data.length));
    }
  }
  // The data section must be tiled exactly: no overlaps, no gaps, nothing left over.
  const sorted = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (const [i, e] of sorted.entries()) {
    if (e.begin < at) fail(`tensor '${e.name}' data_offsets [${e.begin}, ${e.end}] overlap tensor '${sorted[i - 1]!.name}' (which ends at ${at})`);
    if (e.begin > at) fail(`tensor '${e.name}' data_offsets start at ${e.begin}, leaving bytes ${at}..${e.begin} of the data unused`);
    at = e.end;
  }
  if (at !== data.length) fail(`the tensors cover ${at} bytes of data but ${data.length} follow the header (truncated or trailing bytes)`);
  const tensors: StateDict = {};
  for (const e of entries) put(tensors, e.name, readTensor(e, data));
  return { tensors, metadata };
}

/**
 * Decodes safetensors bytes into a state dict (name to tensor). See `decodeSafetensors` for the
 * metadata too.
 */
export function fromSafetensorsBytes(bytes: Uint8Array | ArrayBuffer): StateDict {
  return decodeSafetensors(bytes).tensors;
}

/** Node's file API, loaded on demand so the package imports in a browser. */
async function fs(op: string): Promise<typeof import('node:fs/promises')> {
  try {
    return await import('node:fs/promises');
  } catch (e) {
    throw new Error(`${op}: needs Node's file system (node:fs/promises), which this environment lacks; use ${op === 'saveSafetensors' ? 'toSafetensorsBytes' : 'fromSafetensorsBytes'} instead (${(e as Error).message})`);
  }
}

/**
 * Writes a state dict to `path` in the safetensors format, atomically: the bytes go to a temporary
 * file in the same directory, which is flushed and then renamed over `path`, so a failed save
 * leaves any previous file untouched. Node only.
 *
 * @example
 * await saveSafetensors(model.stateDict(), 'model.safetensors');
 */
export async function saveSafetensors(stateDict: StateDict, path: string, metadata?: Record<string, string>): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`saveSafetensors: expected a file path, got ${describe(path)}`);
  const bytes = toSafetensorsBytes(stateDict, metadata);
  const { open, rename, rm } = await fs('saveSafetensors');
  const tmp = `${path}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}.tmp`;
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Reads a safetensors file into a state dict; errors name the file and what is wrong with it. Node only. */
export async function loadSafetensors(path: string): Promise<StateDict> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`loadSafetensors: expected a file path, got ${describe(path)}`);
  const { readFile } = await fs('loadSafetensors');
  const bytes = await readFile(path);
  try {
    return fromSafetensorsBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof SafetensorsError) throw new SafetensorsError(`${path}: ${e.message}`, { cause: e });
    throw e;
  }
}
