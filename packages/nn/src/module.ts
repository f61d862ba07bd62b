import { ShapeError, Tensor, cast, type DType } from '@tapegrad/tensor';
import { markWritten, fmtShape, isFloat, describe } from '@tapegrad/tensor/internal';
import { graphScope, noGrad } from '@tapegrad/autograd';

/*
 * Modules find their parameters, buffers and submodules by walking their own enumerable
 * properties, so a layer is an ordinary class with ordinary fields:
 *   - a Tensor field is a parameter when it was made with `parameter()` (or is a leaf that requires
 *     grad), a buffer when it was made with `buffer()`, and otherwise ignored (a plain constant);
 *   - a Module field is a submodule; an array or plain object field is a container whose entries are
 *     named by index or key (`layers.0.weight`, like a ModuleList / ModuleDict / ParameterList).
 * Names are dotted paths of property names, which built-in layers choose to equal PyTorch's state-dict
 * keys (`weight`, `running_mean`, `weight_ih_l0`).
 */

const PARAMETERS = new WeakSet<Tensor>();
const BUFFERS = new WeakSet<Tensor>();
/** The module (or container) a module was last found under, so names are given from the root. */
const PARENT = new WeakMap<Module, Module>();

/**
 * Marks a float tensor as a module parameter (a leaf that requires grad) and returns it. A frozen
 * parameter (`requiresGrad_(false)`) stays a parameter. Non-leaf tensors are detached first.
 */
export function parameter(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`parameter: expected a Tensor, got ${typeof t}`);
  if (!isFloat(t.dtype)) throw new TypeError(`parameter: parameters must be float32 or float64, got ${t.dtype}`);
  const p = t.isLeaf ? t : t.detach();
  BUFFERS.delete(p);
  PARAMETERS.add(p);
  if (!p.requiresGrad) p.requiresGrad_(true);
  return p;
}

/** Marks a tensor as a module buffer (state that is saved and moved with the module but not trained, e.g. running statistics). */
export function buffer(t: Tensor): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`buffer: expected a Tensor, got ${typeof t}`);
  PARAMETERS.delete(t);
  BUFFERS.add(t);
  return t;
}

type Kind = 'parameter' | 'buffer';

function kindOf(t: Tensor): Kind | null {
  if (BUFFERS.has(t)) return 'buffer';
  if (PARAMETERS.has(t)) return 'parameter';
  if (t.isLeaf && t.requiresGrad) {
    PARAMETERS.add(t);
    return 'parameter';
  }
  return null;
}

/** One tensor found in a module tree: where it lives (owner[key]) and its dotted name. */
interface Slot {
  name: string;
  kind: Kind;
  owner: Record<string, unknown>;
  key: string;
  tensor: Tensor;
}

function isContainer(v: unknown): v is Record<string, unknown> {
  if (Array.isArray(v)) return true;
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * Visits a module tree in PyTorch's order: each module's own parameters, then its own buffers, then
 * its children (preorder). `onModule` sees every module (with its name) before its tensors.
 * Shared modules are visited under every name; cycles are cut.
 */
function walk(root: Module, onSlot: (s: Slot) => void, onModule?: (name: string, m: Module) => void): void {
  const path = new Set<object>();
  const visit = (obj: Record<string, unknown>, prefix: string, module: Module): void => {
    path.add(obj);
    if (obj instanceof Module && obj !== root) PARENT.set(obj, module);
    if (obj instanceof Module) onModule?.(prefix.slice(0, -1), obj);
    const params: Slot[] = [];
    const buffers: Slot[] = [];
    const children: [string, Record<string, unknown>][] = [];
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      if (v instanceof Tensor) {
        const kind = kindOf(v);
        if (kind !== null) (kind === 'parameter' ? params : buffers).push({ name: prefix + key, kind, owner: obj, key, tensor: v });
      } else if ((v instanceof Module || isContainer(v)) && !path.has(v)) {
        children.push([key, v as unknown as Record<string, unknown>]);
      }
    }
    for (const s of params) onSlot(s);
    for (const s of buffers) onSlot(s);
    for (const [key, child] of children) visit(child, `${prefix}${key}.`, obj instanceof Module ? obj : module);
    path.delete(obj);
  };
  visit(root as unknown as Record<string, unknown>, '', root);
}

function slotsOf(m: Module): Slot[] {
  const out: Slot[] = [];
  walk(m, (s) => out.push(s));
  return out;
}

function rootOf(m: Module): Module {
  const seen = new Set<Module>([m]);
  let r = m;
  for (let p = PARENT.get(r); p !== undefined && !seen.has(p); p = PARENT.get(r)) {
    seen.add(p);
    r = p;
  }
  return r;
}

/** Raised by `loadStateDict` for missing or unexpected keys; lists every problem found. */
export class StateDictError extends Error {
  override readonly name = 'StateDictError';
  constructor(message: string, readonly missingKeys: string[], readonly unexpectedKeys: string[], readonly mismatches: string[]) {
    super(message);
  }
}

/** Options of `Module.loadStateDict`. */
export interface LoadStateDictOptions {
  /** Missing and unexpected keys are errors (default true). Shape and dtype mismatches always are. */
  strict?: boolean;
}

/**
 * What `Module.loadStateDict` did not match (non-empty only with `strict: false`): the module's keys the dict
 * lacked, and the dict's keys the module does not have.
 */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * The base class of layers and models. Subclasses assign parameters (`parameter(...)`), buffers
 * (`buffer(...)`) and submodules to fields and implement `forward`; nothing needs registering.
 *
 * Call a module with `m.call(x)` (typed like its `forward`) or `m.forward(x)`: both compute the same;
 * `call` also makes sure parameter names are set before the first forward, for graph exports.
 *
 * @example
 * class MLP extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 2);
 *   override forward(x: Tensor): Tensor { return this.fc2.call(relu(this.fc1.call(x))); }
 * }
 * new MLP().namedParameters().map(([n]) => n); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 */
export abstract class Module {
  /** Training mode (dropout active, batch statistics in BatchNorm); switch with `train()` / `eval()`. */
  training = true;
  #named = false;

  /**
   * The computation. Subclasses narrow the signature: most take and return tensors
   * (`forward(x: Tensor): Tensor`); some take options (`TransformerEncoderLayer`) or return a tuple
   * (`MultiheadAttention`). `call` is typed from the subclass's own signature.
   */
  abstract forward(...xs: any[]): any;

  /**
   * Runs `forward` with the same arguments, giving parameters their dotted names first. The ops it
   * records are marked as this module's (`graphScope`, under its name within its parent), so graph
   * exports can draw and collapse modules exactly.
   */
  call<M extends Module>(this: M, ...xs: Parameters<M['forward']>): ReturnType<M['forward']> {
    if (!this.#named) this.#nameTree();
    const run = (): ReturnType<M['forward']> => (this.forward as (...a: unknown[]) => ReturnType<M['forward']>)(...xs);
    try {
      return this.#scope === '' ? run() : graphScope(this.#scope, run);
    } catch (e) {
      throw namedBy(this.constructor.name, e);
    }
  }

  /** This module's name within its nearest parent module ('' for the outermost one). */
  #scope = '';

  /**
   * Sets `t.name` of every parameter and buffer to its (first) dotted name, and each module's scope
   * name, walking from the outermost known module.
   */
  #nameTree(): void {
    const seen = new Set<Tensor>();
    const paths = new Map<Module, string>();
    walk(rootOf(this), (s) => {
      if (seen.has(s.tensor)) return;
      seen.add(s.tensor);
      s.tensor.name = s.name;
    }, (path, m) => {
      m.#named = true;
      if (paths.has(m)) return;
      paths.set(m, path);
      const parent = PARENT.get(m);
      const parentPath = parent === undefined ? '' : paths.get(parent) ?? '';
      m.#scope = parentPath === '' ? path : path.slice(parentPath.length + 1);
    });
  }

  /** Every parameter, once each (shared ones under their first name), in PyTorch's order. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** [dotted name, parameter] pairs: `0.weight`, `layers.1.bias`, `weight_ih_l0`. */
  namedParameters(): [string, Tensor][] {
    return this.#collect('parameter');
  }

  /** Every buffer (e.g. BatchNorm's running statistics), once each. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** [dotted name, buffer] pairs: `0.running_mean`. */
  namedBuffers(): [string, Tensor][] {
    return this.#collect('buffer');
  }

  #collect(kind: Kind): [string, Tensor][] {
    this.#nameTree();
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    walk(this, (s) => {
      if (s.kind !== kind || seen.has(s.tensor)) return;
      seen.add(s.tensor);
      out.push([s.name, s.tensor]);
    });
    return out;
  }

  /** [dotted name, module] pairs for this module ('') and every submodule, preorder, once each. */
  namedModules(): [string, Module][] {
    const seen = new Set<Module>();
    const out: [string, Module][] = [];
    walk(this, () => {}, (name, m) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([name, m]);
    });
    return out;
  }

  /** This module and every submodule. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Calls fn on every submodule and then on this one (children first, as PyTorch's `apply`). Returns this. */
  apply(fn: (m: Module) => void): this {
    const ms = this.modules();
    for (let i = ms.length - 1; i >= 0; i--) fn(ms[i]!);
    return this;
  }

  /** Sets training mode on this module and every submodule. Returns this. */
  train(on = true): this {
    if (typeof on !== 'boolean') throw new TypeError(`Module.train: expected a boolean, got ${typeof on}`);
    for (const m of this.modules()) m.training = on;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient (`.grad = null`). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Sets requiresGrad on every parameter (false freezes the module). Returns this. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Parameters and buffers by dotted name, as tensors detached from the tape that share the module's
   * storage (copy them to keep a snapshot). Tied tensors appear under each of their names.
   */
  stateDict(): Record<string, Tensor> {
    this.#nameTree();
    const out: Record<string, Tensor> = {};
    walk(this, (s) => {
      const d = s.tensor.detach();
      d.name = s.name;
      out[s.name] = d;
    });
    return out;
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers (in place, so
   * optimizers holding them keep working). Everything is validated before anything is written:
   * with `strict` (the default) a missing or unexpected key is an error (StateDictError), and a
   * value that is not a tensor, has another dtype (TypeError) or another shape (ShapeError) always is.
   * Every problem is listed in the one error. Returns the keys that were missing or unexpected.
   */
  loadStateDict(sd: Record<string, Tensor>, opts: LoadStateDictOptions = {}): LoadStateDictResult {
    const strict = opts.strict ?? true;
    const where = `loadStateDict (${this.constructor.name})`;
    if (sd === null || typeof sd !== 'object') throw new TypeError(`${where}: expected an object of tensors by name, got ${sd === null ? 'null' : typeof sd}`);
    const slots = slotsOf(this);
    const names = new Set(slots.map((s) => s.name));
    const missingKeys = [...names].filter((n) => !Object.prototype.hasOwnProperty.call(sd, n));
    const unexpectedKeys = Object.keys(sd).filter((k) => !names.has(k));
    const typeProblems: string[] = [];
    const shapeProblems: string[] = [];
    for (const s of slots) {
      if (!Object.prototype.hasOwnProperty.call(sd, s.name)) continue;
      const v = sd[s.name];
      if (!(v instanceof Tensor)) typeProblems.push(`'${s.name}' is not a Tensor (got ${v === null ? 'null' : typeof v})`);
      else if (v.dtype !== s.tensor.dtype) typeProblems.push(`'${s.name}' has dtype ${v.dtype} but the module's ${s.kind} is ${s.tensor.dtype} (convert with model.to('${v.dtype}') or tensor.to('${s.tensor.dtype}'))`);
      else if (v.shape.length !== s.tensor.shape.length || v.shape.some((d, i) => d !== s.tensor.shape[i])) {
        shapeProblems.push(`'${s.name}' has shape ${fmtShape(v.shape)} but the module's ${s.kind} has shape ${fmtShape(s.tensor.shape)}`);
      }
    }
    const keyProblems = strict
      ? [
          ...(missingKeys.length > 0 ? [`missing key(s): ${missingKeys.map((k) => `'${k}'`).join(', ')}`] : []),
          ...(unexpectedKeys.length > 0 ? [`unexpected key(s): ${unexpectedKeys.map((k) => `'${k}'`).join(', ')}`] : []),
        ]
      : [];
    const problems = [...keyProblems, ...typeProblems, ...shapeProblems];
    if (problems.length > 0) {
      const msg = `${where}: nothing was loaded; ${problems.join('; ')}`;
      if (keyProblems.length > 0) throw new StateDictError(msg, missingKeys, unexpectedKeys, [...typeProblems, ...shapeProblems]);
      if (typeProblems.length > 0) throw new TypeError(msg);
      throw new ShapeError(msg);
    }
    noGrad(() => {
      for (const s of slots) {
        if (Object.prototype.hasOwnProperty.call(sd, s.name)) s.tensor.copy_(sd[s.name]!);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Converts every floating-point parameter and buffer to `dtype` in place (integer buffers such as
   * `num_batches_tracked` are left alone): each keeps its identity (the same `Tensor` object, now over
   * new storage of the new dtype), so an optimizer made before keeps training the model, as with
   * PyTorch's `model.to(torch.float64)`. Gradients are converted too. Returns this.
   */
  to(dtype: DType): this {
    if (dtype !== 'float32' && dtype !== 'float64') {
      throw new TypeError(`Module.to: expected a floating-point dtype ('float32' or 'float64'), got ${describe(dtype)}`);
    }
    const done = new Set<Tensor>();
    noGrad(() => {
      for (const s of slotsOf(this)) {
        const t = s.tensor;
        if (done.has(t) || !isFloat(t.dtype) || t.dtype === dtype) continue;
        done.add(t);
        const grad = t.grad;
        retype(t, dtype);
        if (grad !== null) t.grad = grad.dtype === dtype ? grad : cast(grad.detach(), dtype);
      }
    });
    return this;
  }
}

/**
 * Moves a leaf tensor onto new contiguous storage of `dtype` holding its values converted, keeping
 * the object (what optimizers and state dicts hold on to). A tensor's storage and dtype are fixed for
 * every op; only `Module.to` swaps them, between steps. The new storage is stamped as written, so a
 * graph recorded before the conversion refuses to differentiate through the tensor (backward's
 * in-place check) instead of reading the converted values.
 */
function retype(t: Tensor, dtype: DType): void {
  const next = cast(t.detach(), dtype).contiguous();
  const fields = t as unknown as { buf: Tensor['buf']; dtype: DType; strides: readonly number[]; offset: number };
  fields.buf = next.buf;
  fields.dtype = dtype;
  fields.strides = next.strides;
  fields.offset = next.offset;
  markWritten(next.buf);
}

/**
 * Runs `module.forward(...xs)` with some of its parameters or buffers replaced by the given tensors
 * (by dotted name), restoring them afterwards: the module as a pure function of its weights, for
 * `grad`, `checkGrad` or meta-learning.
 *
 * @example
 * const lin = new Linear(3, 2);
 * const loss = (w: Tensor) => functionalCall(lin, { weight: w }, x).sum();
 * grad(loss)(lin.weight);
 */
export function functionalCall<M extends Module>(module: M, tensors: Record<string, Tensor>, ...xs: Parameters<M['forward']>): ReturnType<M['forward']> {
  const byName = new Map<string, Slot[]>();
  for (const s of slotsOf(module)) {
    const list = byName.get(s.name);
    if (list) list.push(s);
    else byName.set(s.name, [s]);
  }
  const unknown = Object.keys(tensors).filter((k) => !byName.has(k));
  if (unknown.length > 0) {
    throw new StateDictError(`functionalCall (${module.constructor.name}): no parameter or buffer named ${unknown.map((k) => `'${k}'`).join(', ')}`, [], unknown, []);
  }
  const saved: [Slot, unknown][] = [];
  try {
    for (const [name, t] of Object.entries(tensors)) {
      if (!(t instanceof Tensor)) throw new TypeError(`functionalCall: '${name}' is not a Tensor`);
      for (const s of byName.get(name)!) {
        saved.push([s, s.owner[s.key]]);
        s.owner[s.key] = t;
      }
    }
    return (module.forward as (...a: unknown[]) => ReturnType<M['forward']>)(...xs);
  } catch (e) {
    throw namedBy(module.constructor.name, e);
  } finally {
    for (let i = saved.length - 1; i >= 0; i--) {
      const [s, v] = saved[i]!;
      s.owner[s.key] = v;
    }
  }
}

/**
 * An argument error raised inside a module's forward (by an op or a sublayer), renamed to start with
 * the module the user called: `Conv1d: conv1d: kernel [3] does not fit input [2,2,1]`. The class and
 * the rest of the message are kept. Only tapegrad's own messages (`op: ...`) are renamed: errors of
 * other classes, engine messages (a bug to fix, not to disguise) and messages already naming the
 * module pass unchanged.
 */
function namedBy(name: string, e: unknown): unknown {
  if (!(e instanceof TypeError || e instanceof RangeError || e instanceof ShapeError)) return e;
  if (!/^[A-Za-z_$][\w$.#]*: /.test(e.message)) return e;
  if (e.message.startsWith(`${name}:`) || e.message.startsWith(`${name}.`) || e.message.startsWith(`${name} `)) return e;
  const Err = e.constructor as new (message: string, options?: { cause?: unknown }) => Error;
  return new Err(`${name}: ${e.message}`, { cause: e });
}
