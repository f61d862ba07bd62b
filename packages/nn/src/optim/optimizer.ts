import { ShapeError, Tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';
import { describe, fmtShape, sameShape, isFloat } from '@tapegrad/tensor/internal';

/**
 * A parameter's gradient as optimizers and gradient clipping read it: null, or a tensor of the
 * parameter's shape and dtype. Anything else (a user wrote junk into `.grad`) is an error naming `op`.
 */
export function gradOf(p: Tensor, op: string): Tensor | null {
  const g = p.grad as unknown;
  if (g === null) return null;
  if (!(g instanceof Tensor)) throw new TypeError(`${op}: expected the .grad of a parameter of shape ${fmtShape(p.shape)} to be a Tensor or null, got ${describe(g)}`);
  if (!sameShape(g.shape, p.shape)) throw new ShapeError(`${op}: a parameter of shape ${fmtShape(p.shape)} has a gradient of shape ${fmtShape(g.shape)}`);
  if (g.dtype !== p.dtype) throw new TypeError(`${op}: a ${p.dtype} parameter of shape ${fmtShape(p.shape)} has a ${g.dtype} gradient`);
  return g;
}

/** A hyperparameter value: a number, a flag, a tuple such as Adam's betas, or a choice such as LBFGS's line search. */
export type HyperValue = number | boolean | readonly number[] | string | null;

/** The hyperparameters every optimizer has. */
export interface BaseHyper {
  lr: number;
}

/**
 * One group of parameters with its own hyperparameters (resolved: every option is present).
 * Edit them between steps, e.g. `opt.paramGroups[0].lr = 1e-4`. `initialLr` is set by lr schedules.
 */
export type ParamGroup<H extends BaseHyper> = H & { params: Tensor[]; initialLr?: number };

/** A parameter group as the user passes it: the parameters and any options overriding the defaults. */
export type ParamGroupInput<H extends BaseHyper> = Partial<H> & { params: Tensor[]; initialLr?: number };

/**
 * Per-parameter state under PyTorch's names: buffers (tensors shaped like the parameter, e.g.
 * `exp_avg`, `momentum_buffer`), counters such as `step`, and (LBFGS) lists of tensors.
 */
export type ParamState = Record<string, Tensor | number | Tensor[] | number[]>;

/**
 * An optimizer's state as data, in PyTorch's layout and names: `state` keyed by the parameter's
 * position across all groups (in group order), with PyTorch's entry names (`exp_avg`, `exp_avg_sq`,
 * `momentum_buffer`, `step`, ...); `param_groups` holding each group's hyperparameters under
 * PyTorch's names (`lr`, `betas`, `weight_decay`, `initial_lr`, ...) and the positions of its
 * parameters. Tensors are copies: later steps do not change a saved dict.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  param_groups: (Record<string, HyperValue> & { params: number[] })[];
}

/**
 * Which per-parameter state entries an optimizer keeps: buffers shaped like the parameter, counters
 * (non-negative integers), and, for an optimizer with other state (LBFGS), a check of each other entry.
 */
export interface StateSpec {
  readonly buffers: readonly string[];
  readonly counters: readonly string[];
  /** Validates and copies an entry that is neither a buffer nor a counter; returns undefined for an unknown entry. */
  readonly other?: (key: string, value: unknown, param: Tensor) => Tensor | number | Tensor[] | number[] | undefined;
}

/** Parameter-group keys PyTorch saves that only choose its implementation (ignored when loading). */
const TORCH_IMPLEMENTATION_FLAGS = ['foreach', 'capturable', 'differentiable', 'fused'];

/** camelCase to PyTorch's snake_case: `weightDecay` -> `weight_decay`. */
export function snakeCase(k: string): string {
  return k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** snake_case to camelCase: `weight_decay` -> `weightDecay`. */
function camelCase(k: string): string {
  return k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Tensor);
}

function sameKind(a: unknown, b: unknown): boolean {
  if (a === null) return b === null || typeof b === 'string';
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && b.every((v) => typeof v === 'number');
  return typeof a === typeof b;
}

function copyValue(v: HyperValue): HyperValue {
  return Array.isArray(v) ? v.slice() : v;
}

/**
 * The base of every optimizer: parameter groups, lazily created per-parameter state, `step()`,
 * `zeroGrad()`, and `stateDict()`/`loadStateDict()`. A subclass supplies its defaults, a check of its
 * hyperparameters, the names of its state entries, and the update of one parameter.
 */
export abstract class Optimizer<H extends BaseHyper = BaseHyper> {
  /** The parameter groups, each with resolved hyperparameters. */
  readonly paramGroups: ParamGroup<H>[] = [];
  /** Per-parameter state, created on a parameter's first update. */
  readonly state = new Map<Tensor, ParamState>();
  /** Hyperparameters for groups that do not set them (`lr` may be absent: then every group must give it). */
  readonly defaults: Readonly<Partial<H>>;
  /** The optimizer's name, used in error messages. */
  readonly name: string;
  private readonly hyperKeys: readonly string[];
  /** The built-in defaults, whose types the hyperparameters must have (undefined: a number). */
  private readonly kinds: Readonly<Record<string, unknown>>;

  /**
   * @param params parameters (e.g. `model.parameters()`) or groups `{ params, ...options }`
   * @param defaults every hyperparameter's default; an `undefined` value marks it required
   */
  protected constructor(name: string, params: readonly Tensor[] | readonly ParamGroupInput<H>[], defaults: { [K in keyof H]: H[K] | undefined }, opts: Partial<H>) {
    this.name = name;
    this.hyperKeys = Object.keys(defaults);
    this.kinds = defaults;
    if (!isRecord(opts)) throw new TypeError(`${name}: expected an options object, got ${describe(opts)}`);
    this.checkKeys(opts, 'options');
    const merged: Record<string, unknown> = { ...defaults };
    for (const [k, v] of Object.entries(opts)) if (v !== undefined) merged[k] = Array.isArray(v) ? v.slice() : v;
    this.defaults = merged as Partial<H>;
    if (!Array.isArray(params)) {
      throw new TypeError(`${name}: expected an array of parameters or of parameter groups, got ${describe(params)}`);
    }
    if (params.length === 0) throw new RangeError(`${name}: got an empty parameter list`);
    const groups: readonly unknown[] = params[0] instanceof Tensor ? [{ params }] : params;
    for (const g of groups) this.addParamGroup(g as ParamGroupInput<H>);
  }

  /** Checks one group's resolved hyperparameters (ranges, combinations), throwing a RangeError naming the bad value. */
  protected abstract checkHyper(h: H): void;

  /** The state entries this optimizer may keep per parameter (checked by `loadStateDict`). */
  protected abstract get stateSpec(): StateSpec;

  /**
   * Updates one parameter in place from its gradient (already checked to be non-null and of the
   * parameter's shape). Runs with recording off. `state` is this parameter's state, to read and fill.
   */
  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup<H>, state: ParamState): void;

  private checkKeys(obj: Record<string, unknown>, where: string, extra: readonly string[] = []): void {
    for (const k of Object.keys(obj)) {
      if (!this.hyperKeys.includes(k) && !extra.includes(k)) {
        throw new TypeError(`${this.name}: unknown option '${k}' in ${where}; expected some of ${this.hyperKeys.join(', ')}`);
      }
    }
  }

  /** Adds a group of parameters; options it does not set come from the defaults. */
  addParamGroup(group: ParamGroupInput<H>): void {
    const n = this.name;
    const at = `parameter group ${this.paramGroups.length}`;
    if (!isRecord(group)) throw new TypeError(`${n}: ${at} must be an object { params, ...options }, got ${describe(group)}`);
    this.checkKeys(group, at, ['params', 'initialLr']);
    const params: unknown = group.params;
    if (!Array.isArray(params)) throw new TypeError(`${n}: ${at}: params must be an array of tensors, got ${describe(params)}`);
    if (params.length === 0) throw new RangeError(`${n}: ${at} has no parameters`);
    const seen = new Set<Tensor>();
    for (const [i, p] of params.entries()) {
      if (!(p instanceof Tensor)) throw new TypeError(`${n}: ${at}: params[${i}] must be a Tensor, got ${describe(p)}`);
      if (!isFloat(p.dtype)) throw new TypeError(`${n}: ${at}: params[${i}] must be float32 or float64, got ${p.dtype}`);
      if (!p.isLeaf) throw new TypeError(`${n}: ${at}: params[${i}] is not a leaf tensor (it was computed by an op); optimize leaves only`);
      if (seen.has(p)) throw new RangeError(`${n}: ${at} lists params[${i}] twice`);
      seen.add(p);
      for (const [j, g] of this.paramGroups.entries()) {
        if (g.params.includes(p)) throw new RangeError(`${n}: ${at}: params[${i}] is already in parameter group ${j}`);
      }
    }
    const resolved: Record<string, unknown> = { params: params.slice() };
    for (const k of this.hyperKeys) {
      const v = (group as Record<string, unknown>)[k] ?? (this.defaults as Record<string, unknown>)[k];
      if (v === undefined) throw new TypeError(`${n}: ${at} does not set '${k}', which has no default; pass { ${k} }`);
      resolved[k] = Array.isArray(v) ? v.slice() : v;
    }
    if (group.initialLr !== undefined) resolved.initialLr = group.initialLr;
    this.checkGroup(resolved, at);
    this.paramGroups.push(resolved as unknown as ParamGroup<H>);
  }

  private checkGroup(g: Record<string, unknown>, at: string): void {
    for (const k of this.hyperKeys) {
      const v = g[k];
      const def = this.kinds[k];
      const ok = def === undefined ? typeof v === 'number' : sameKind(def, v);
      if (!ok) throw new TypeError(`${this.name}: ${at}: '${k}' must be ${Array.isArray(def) ? `an array of ${def.length} numbers` : `a ${def === undefined ? 'number' : typeof def}`}, got ${describe(v)}`);
    }
    if (g.initialLr !== undefined && typeof g.initialLr !== 'number') throw new TypeError(`${this.name}: ${at}: 'initialLr' must be a number, got ${describe(g.initialLr)}`);
    this.checkHyper(g as unknown as H);
  }

  /**
   * Updates every parameter that has a gradient (parameters whose `.grad` is null are skipped),
   * in place and without recording. With a closure, first re-evaluates the loss (recording on,
   * so the closure may call `backward`) and returns it.
   */
  step<T = undefined>(closure?: () => T): T | undefined {
    const loss = closure === undefined ? undefined : closure();
    noGrad(() => {
      for (const group of this.paramGroups) {
        for (const p of group.params) {
          const g = gradOf(p, `${this.name}.step`);
          if (g === null) continue;
          let s = this.state.get(p);
          if (s === undefined) {
            s = {};
            this.state.set(p, s);
          }
          this.update(p, g, group, s);
        }
      }
    });
    return loss;
  }

  /** Clears the gradients of every parameter: sets `.grad` to null (or, with `setToNone = false`, zeroes it in place). */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (p.grad === null) continue;
        if (setToNone) p.grad = null;
        else {
          const g = p.grad;
          noGrad(() => g.zero_());
        }
      }
    }
  }

  /** The hyperparameters and per-parameter state in PyTorch's layout and names, as copies (see `OptimizerStateDict`). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const groups = this.paramGroups.map((g) => {
      const out: Record<string, HyperValue> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[snakeCase(k)] = copyValue(v as HyperValue);
      const params = g.params.map((p) => {
        index.set(p, index.size);
        return index.size - 1;
      });
      return Object.assign(out, { params });
    });
    const state: Record<number, ParamState> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      const copy: ParamState = {};
      for (const [k, v] of Object.entries(s)) copy[k] = copyState(v);
      state[i] = copy;
    }
    return { state, param_groups: groups };
  }

  /**
   * Restores hyperparameters and per-parameter state saved by `stateDict()` (or by PyTorch, once its
   * tensors are tapegrad tensors) from an optimizer of the same kind over parameters of the same
   * shapes, grouped the same way. PyTorch's implementation flags (`foreach`, `fused`, ...) are
   * ignored and a 0-d tensor `step` is read as a number. Everything is checked before anything
   * changes; a mismatch throws an error naming it. Tensors are copied (and cast to their
   * parameter's dtype).
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const n = `${this.name}.loadStateDict`;
    if (!isRecord(sd) || !Array.isArray(sd.param_groups) || !isRecord(sd.state)) {
      throw new TypeError(`${n}: expected { state, param_groups } as made by stateDict(), got ${describe(sd)}`);
    }
    if (sd.param_groups.length !== this.paramGroups.length) {
      throw new RangeError(`${n}: the saved state has ${sd.param_groups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    // Map each saved parameter position to a live parameter, group by group.
    const byIndex = new Map<number, Tensor>();
    const groups: Record<string, unknown>[] = [];
    for (const [gi, saved] of (sd.param_groups as unknown[]).entries()) {
      const at = `saved parameter group ${gi}`;
      const live = this.paramGroups[gi]!;
      if (!isRecord(saved) || !Array.isArray(saved.params)) throw new TypeError(`${n}: ${at} must be an object with a params array, got ${describe(saved)}`);
      if (saved.params.length !== live.params.length) {
        throw new RangeError(`${n}: ${at} has ${saved.params.length} parameters, this optimizer's group ${gi} has ${live.params.length}`);
      }
      for (const [j, idx] of saved.params.entries()) {
        if (!Number.isInteger(idx) || byIndex.has(idx as number)) throw new TypeError(`${n}: ${at}: params[${j}] must be a distinct integer index, got ${describe(idx)}`);
        byIndex.set(idx as number, live.params[j]!);
      }
      const g: Record<string, unknown> = { params: live.params };
      for (const [k, v] of Object.entries(saved)) {
        if (k === 'params' || TORCH_IMPLEMENTATION_FLAGS.includes(k)) continue;
        const key = camelCase(k);
        if ((!this.hyperKeys.includes(key) && key !== 'initialLr') || snakeCase(key) !== k) {
          throw new TypeError(`${n}: unknown option '${k}' in ${at}; expected some of ${this.hyperKeys.map(snakeCase).join(', ')}`);
        }
        g[key] = Array.isArray(v) ? v.slice() : v;
      }
      for (const k of this.hyperKeys) if (!(k in g)) throw new TypeError(`${n}: ${at} lacks hyperparameter '${snakeCase(k)}'`);
      this.checkGroup(g, at);
      groups.push(g);
    }
    const spec = this.stateSpec;
    const state = new Map<Tensor, ParamState>();
    for (const [key, saved] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      if (p === undefined) throw new RangeError(`${n}: state entry '${key}' names no parameter of the saved groups`);
      if (!isRecord(saved)) throw new TypeError(`${n}: state entry '${key}' must be an object, got ${describe(saved)}`);
      const s: ParamState = {};
      for (const [k, v0] of Object.entries(saved)) {
        const at = `${n}: state entry '${key}': '${k}'`;
        if (spec.buffers.includes(k)) {
          if (!(v0 instanceof Tensor)) throw new TypeError(`${at} must be a tensor, got ${describe(v0)}`);
          if (!sameShape(v0.shape, p.shape)) throw new ShapeError(`${at} has shape [${v0.shape.join(',')}], its parameter has shape [${p.shape.join(',')}]`);
          if (!isFloat(v0.dtype)) throw new TypeError(`${at} must be a float tensor, got ${v0.dtype}`);
          s[k] = noGrad(() => v0.to(p.dtype).clone());
          continue;
        }
        if (spec.counters.includes(k)) {
          // PyTorch keeps some counters as 0-d tensors.
          const v = v0 instanceof Tensor && v0.size === 1 ? v0.item() : v0;
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TypeError(`${at} must be a non-negative integer, got ${describe(v0)}`);
          s[k] = v;
          continue;
        }
        const other = spec.other?.(k, v0, p);
        if (other === undefined) {
          const known = [...spec.buffers, ...spec.counters];
          throw new TypeError(`${n}: state entry '${key}' has unknown entry '${k}'; ${this.name} keeps ${known.length > 0 ? known.join(', ') : 'no per-parameter state'}`);
        }
        s[k] = other;
      }
      state.set(p, s);
    }
    // Everything checked: commit.
    for (const [gi, g] of groups.entries()) {
      const live = this.paramGroups[gi]! as unknown as Record<string, unknown>;
      delete live.initialLr;
      Object.assign(live, g);
    }
    this.state.clear();
    for (const [p, s] of state) this.state.set(p, s);
  }
}

/** A copy of one state entry (tensors cloned off the tape). */
function copyState(v: Tensor | number | Tensor[] | number[]): Tensor | number | Tensor[] | number[] {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return noGrad(() => (v as (Tensor | number)[]).map((t) => (typeof t === 'number' ? t : t.clone()))) as Tensor[] | number[];
  return noGrad(() => v.clone());
}

/** Throws a RangeError unless `v` is a finite number >= 0 (NaN fails too). */
export function checkNonNegative(opt: string, what: string, v: number): void {
  if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`${opt}: invalid ${what}: ${v} (expected a finite number >= 0)`);
}

/** Throws a RangeError unless 0 <= v < 1. */
export function checkUnitInterval(opt: string, what: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new RangeError(`${opt}: invalid ${what}: ${v} (expected 0 <= ${what} < 1)`);
}

/** The state buffer `key`, created as zeros shaped like `param` when absent. */
export function buffer(state: ParamState, key: string, param: Tensor): Tensor {
  const b = state[key];
  if (b instanceof Tensor) return b;
  const z = Tensor.empty(param.shape, param.dtype);
  state[key] = z;
  return z;
}
