import { Tensor } from '@tapegrad/tensor';
import { CODECS, DEFAULT_CODE, FOREIGN, type Codec } from './safetensors-codecs.js';
import { checkHeaderKeys } from './safetensors-header.js';
import { describe, isFloat } from '@tapegrad/tensor/internal';

/**
 * The safetensors format: an 8-byte little-endian u64 N, then N bytes of UTF-8 JSON (padded with
 * spaces so the data starts 8-byte aligned) mapping each tensor's name to
 * `{ dtype, shape, data_offsets: [begin, end] }` (offsets into the data section) plus an optional
 * `__metadata__` map of strings, then the raw little-endian data. tapegrad reads F64, F32, F16,
 * BF16, I64, I32, I16, I8, U8 and BOOL (F16/BF16 become float32; I64, I16, I8 and U8 int32) and
 * writes F64, F32, I32, BOOL, I64 for `num_batches_tracked`, and F16 or BF16 on request.
 */

/** The largest header accepted (the reference implementation's limit too). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA = '__metadata__';

export type StateDict = Record<string, Tensor>;

/** Options of {@link toSafetensorsBytes} and {@link saveSafetensors}. */
export interface SafetensorsWriteOptions {
  /** Write floating-point tensors in half precision: 'float16' (F16) or 'bfloat16' (BF16). Default: their own dtype. */
  dtype?: 'float16' | 'bfloat16';
  /** A string-to-string map stored in the header (`__metadata__`). */
  metadata?: Record<string, string>;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Sets an own property, so that a tensor named `__proto__` is data, not a prototype. */
function put<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function checkWriteOptions(op: string, opts: unknown): { code: string | null; metadata: Record<string, string> | undefined } {
  if (opts === undefined) return { code: null, metadata: undefined };
  if (!isRecord(opts)) throw new TypeError(`${op}: expected options { dtype?, metadata? }, got ${describe(opts)}`);
  for (const k of Object.keys(opts)) {
    if (k !== 'dtype' && k !== 'metadata') throw new TypeError(`${op}: unknown option '${k}'; expected { dtype?, metadata? } (metadata goes in { metadata: { ... } })`);
  }
  const { dtype, metadata } = opts;
  if (dtype !== undefined && dtype !== 'float16' && dtype !== 'bfloat16') throw new TypeError(`${op}: dtype must be 'float16' or 'bfloat16', got ${describe(dtype)}`);
  if (metadata !== undefined) {
    if (!isRecord(metadata)) throw new TypeError(`${op}: metadata must be an object of strings, got ${describe(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new TypeError(`${op}: metadata value '${k}' must be a string, got ${describe(v)}`);
    }
  }
  return { code: dtype === 'float16' ? 'F16' : dtype === 'bfloat16' ? 'BF16' : null, metadata: metadata as Record<string, string> | undefined };
}

/**
 * The code a tensor is written as: its own dtype's, or the requested half precision for float
 * tensors; `num_batches_tracked` (an int64 buffer in PyTorch) is written as I64, so PyTorch's
 * `load_state_dict` takes the file unchanged.
 */
function codeOf(name: string, t: Tensor, half: string | null): string {
  if (t.dtype === 'int32' && (name === 'num_batches_tracked' || name.endsWith('.num_batches_tracked'))) return 'I64';
  if (half !== null && (isFloat(t.dtype))) return half;
  return DEFAULT_CODE[t.dtype];
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The codes whose bytes are a tapegrad dtype's own storage (copied as they are on a little-endian host). */
const NATIVE: Record<string, string> = { F32: 'float32', F64: 'float64', I32: 'int32' };

/** The raw little-endian bytes of a tensor's elements in row-major order, encoded as `code`. */
function encode(t: Tensor, code: string, codec: Codec): Uint8Array {
  const data = t.data();
  if (LITTLE_ENDIAN_HOST && NATIVE[code] === t.dtype) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * codec.size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) codec.write(view, i * codec.size, data[i]!);
  return out;
}

/**
 * Encodes a state dict (name to tensor) as safetensors bytes; `{ dtype: 'float16' | 'bfloat16' }`
 * writes float tensors in half precision (rounded to nearest even), `{ metadata }` adds a
 * string-to-string map. Tensors are laid out by descending element size, then by name, so every
 * tensor's data is aligned to its element size.
 *
 * @example
 * const bytes = toSafetensorsBytes(model.stateDict(), { dtype: 'bfloat16', metadata: { epoch: '3' } });
 */
export function toSafetensorsBytes(stateDict: StateDict, opts?: SafetensorsWriteOptions): Uint8Array {
  const op = 'toSafetensorsBytes';
  if (!isRecord(stateDict) || stateDict instanceof Tensor) throw new TypeError(`${op}: expected a state dict (an object of tensors), got ${describe(stateDict)}`);
  const { code: half, metadata } = checkWriteOptions(op, opts);
  const entries = Object.entries(stateDict);
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new TypeError(`${op}: '${name}' must be a Tensor, got ${describe(t)}`);
    if (name === METADATA) throw new RangeError(`${op}: '${METADATA}' is reserved for metadata and cannot name a tensor`);
  }
  const items = (entries as [string, Tensor][]).map(([name, t]) => ({ name, t, code: codeOf(name, t, half) }));
  items.sort((a, b) => CODECS[b.code]!.size - CODECS[a.code]!.size || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) put(header, METADATA, { ...metadata });
  let at = 0;
  const blobs: Uint8Array[] = [];
  for (const { name, t, code } of items) {
    const bytes = encode(t, code, CODECS[code]!);
    put(header, name, { dtype: code, shape: t.shape.slice(), data_offsets: [at, at + bytes.length] });
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

/** Thrown for a file that is not valid safetensors (or holds values tapegrad cannot represent); the message says what is wrong. */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
}

interface Entry {
  name: string;
  code: string;
  codec: Codec;
  shape: number[];
  begin: number;
  end: number;
}

function fail(msg: string): never {
  throw new SafetensorsError(`safetensors: ${msg}`);
}

const READABLE = Object.keys(CODECS).join(', ');

function parseEntry(name: string, info: unknown, dataLength: number): Entry {
  const at = `tensor '${name}'`;
  if (!isRecord(info)) fail(`${at}: expected { dtype, shape, data_offsets }, got ${describe(info)}`);
  const { dtype: code, shape, data_offsets: offsets } = info;
  if (typeof code !== 'string') fail(`${at}: dtype must be a string, got ${describe(code)}`);
  const codec = CODECS[code];
  if (!Object.hasOwn(CODECS, code) || codec === undefined) {
    if (FOREIGN.includes(code)) fail(`${at}: unsupported dtype '${code}' (tapegrad reads ${READABLE})`);
    fail(`${at}: unknown dtype ${JSON.stringify(code)} (expected one of ${READABLE})`);
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
  const need = count * codec.size;
  if (!Number.isSafeInteger(need) || need !== end - begin) {
    fail(`${at}: shape [${shape.join(',')}] of ${code} needs ${need} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, code, codec, shape: (shape as number[]).slice(), begin, end };
}

function readTensor(e: Entry, data: Uint8Array): Tensor {
  const t = Tensor.empty(e.shape, e.codec.dtype);
  if (LITTLE_ENDIAN_HOST && NATIVE[e.code] !== undefined) {
    new Uint8Array(t.buf.buffer, t.buf.byteOffset, t.buf.byteLength).set(data.subarray(e.begin, e.end));
    return t;
  }
  const view = new DataView(data.buffer, data.byteOffset + e.begin, e.end - e.begin);
  const size = e.codec.size;
  for (let i = 0; i < t.size; i++) {
    const v = e.codec.read(view, i * size);
    if (e.code === 'BOOL' && v > 1) fail(`tensor '${e.name}': BOOL element ${i} holds byte ${v}; expected 0 or 1`);
    if (e.codec.checked && (v < -(2 ** 31) || v > 2 ** 31 - 1)) {
      fail(`tensor '${e.name}': I64 element ${i} is ${view.getBigInt64(i * size, true)}, outside the int32 range tapegrad reads I64 into`);
    }
    t.buf[i] = v;
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
 * corrupt or inconsistent file (including a header with a repeated key or a byte-order mark) throws
 * a SafetensorsError naming the problem (never a partial result).
 */
export function decodeSafetensors(bytes: Uint8Array | ArrayBuffer): Safetensors {
  return decode(bytes, 'decodeSafetensors');
}

/** `decodeSafetensors` for the function the user called (`op`, named in argument errors). */
function decode(bytes: unknown, op: string): Safetensors {
  let all: Uint8Array;
  if (bytes instanceof Uint8Array) all = bytes;
  else if (bytes instanceof ArrayBuffer) all = new Uint8Array(bytes);
  else throw new TypeError(`${op}: expected a Uint8Array or ArrayBuffer, got ${describe(bytes)}`);
  if (all.length < 8) fail(`truncated: ${all.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(all.buffer, all.byteOffset, all.byteLength);
  const lo = view.getUint32(0, true);
  const hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) fail(`header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit (corrupt or not a safetensors file)`);
  if (8 + n > all.length) fail(`truncated: the header claims ${n} bytes but only ${all.length - 8} follow the length`);
  const raw = all.subarray(8, 8 + n);
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) fail('the header starts with a UTF-8 byte-order mark (EF BB BF); it must start with \'{\'');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
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
  const repeated = checkHeaderKeys(text);
  if (repeated !== null) fail(repeated);
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
  return decode(bytes, 'fromSafetensorsBytes').tensors;
}

/** Node's file API, loaded on demand so the package imports in a browser. */
async function fs(op: string): Promise<typeof import('node:fs/promises')> {
  try {
    return await import('node:fs/promises');
  } catch (e) {
    throw new Error(`${op}: needs Node's file system (node:fs/promises), which this environment lacks; use ${op === 'saveSafetensors' ? 'toSafetensorsBytes' : 'fromSafetensorsBytes'} instead (${(e as Error).message})`);
  }
}

/** Temporary files of saves still running in this process. */
const IN_FLIGHT = new Set<string>();

/** Whether a process id belongs to a running process (one we may not signal counts as running). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/**
 * Removes the temporary files that earlier saves to `path` left behind when their process died
 * mid-way (killed, out of power): `<name>.<pid>.<random>.tmp` whose pid no longer runs, or is this
 * process but no save of it is running. Best effort: a file that cannot be removed is left.
 */
async function removeStaleTemps(path: string, io: typeof import('node:fs/promises')): Promise<void> {
  const cut = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const dir = cut < 0 ? '.' : path.slice(0, cut + 1);
  const base = path.slice(cut + 1);
  let names: string[];
  try {
    names = await io.readdir(dir);
  } catch {
    return;
  }
  const pattern = /^(\d+)\.[0-9a-z]+\.tmp$/;
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const m = pattern.exec(name.slice(base.length + 1));
    if (m === null) continue;
    const file = (cut < 0 ? '' : dir) + name;
    const pid = Number(m[1]);
    const stale = pid === process.pid ? !IN_FLIGHT.has(file) : !alive(pid);
    if (stale) await io.rm(file, { force: true }).catch(() => undefined);
  }
}

/**
 * Writes a state dict to `path` in the safetensors format (options as `toSafetensorsBytes`),
 * atomically: the bytes go to a temporary file `<path>.<pid>.<random>.tmp` in the same directory,
 * which is flushed and then renamed over `path`, so a failed save leaves any previous file untouched.
 * Temporary files that a killed save left behind for the same path are removed. Node only.
 *
 * @example
 * await saveSafetensors(model.stateDict(), 'model.safetensors');
 * await saveSafetensors(model.stateDict(), 'model-bf16.safetensors', { dtype: 'bfloat16' });
 */
export async function saveSafetensors(stateDict: StateDict, path: string, opts?: SafetensorsWriteOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') throw new TypeError(`saveSafetensors: expected a file path, got ${describe(path)}`);
  const bytes = toSafetensorsBytes(stateDict, opts);
  const io = await fs('saveSafetensors');
  await removeStaleTemps(path, io);
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}.tmp`;
  IN_FLIGHT.add(tmp);
  try {
    const handle = await io.open(tmp, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await io.rename(tmp, path);
  } catch (e) {
    await io.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  } finally {
    IN_FLIGHT.delete(tmp);
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
