import { Tensor } from '@tapegrad/tensor';
import { noGrad } from '@tapegrad/autograd';

/** A hyperparameter value: a number, a flag, or a tuple such as Adam's betas. */
export type HyperValue = number | boolean | readonly number[];

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

/** Per-parameter state: buffers (tensors shaped like the parameter) and counters such as `step`. */
export type ParamState = Record<string, Tensor | number>;

/**
 * An optimizer's state as data, in PyTorch's layout: `state` keyed by the parameter's position
 * across all groups (in group order), `paramGroups` holding each group's hyperparameters and the
 * positions of its parameters. Tensors are copies: later steps do not change a saved dict.
 */
export interface OptimizerStateDict {
  state: Record<number, ParamState>;
  paramGroups: (Record<string, HyperValue> & { params: number[] })[];
}

/** Which per-parameter state keys an optimizer keeps: buffers shaped like the parameter, and counters. */
export interface StateSpec {
  readonly buffers: readonly string[];
  readonly counters: readonly string[];
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (x instanceof Tensor) return `a ${x.dtype} tensor of shape [${x.shape.join(',')}]`;
  return typeof x === 'object' ? 'an object' : `${typeof x} ${String(x)}`;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Tensor);
}

function sameKind(a: unknown, b: unknown): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && b.every((v) => typeof v === 'number');
  return typeof a === typeof b;
}

function copyValue(v: HyperValue): HyperValue {
  return Array.isArray(v) ? v.slice() : v;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
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
      if (p.dtype !== 'float32' && p.dtype !== 'float64') throw new TypeError(`${n}: ${at}: params[${i}] must be float32 or float64, got ${p.dtype}`);
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
          const g = p.grad;
          if (g === null) continue;
          if (!sameShape(g.shape, p.shape)) {
            throw new RangeError(`${this.name}.step: a parameter of shape [${p.shape.join(',')}] has a gradient of shape [${g.shape.join(',')}]`);
          }
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

  /** The hyperparameters and per-parameter state, as copies (see `OptimizerStateDict`). */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const paramGroups = this.paramGroups.map((g) => {
      const out: Record<string, HyperValue> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') out[k] = copyValue(v as HyperValue);
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
      for (const [k, v] of Object.entries(s)) copy[k] = typeof v === 'number' ? v : noGrad(() => v.clone());
      state[i] = copy;
    }
    return { state, paramGroups };
  }

  /**
   * Restores hyperparameters and per-parameter state saved by `stateDict()` from an optimizer of
   * the same kind over parameters of the same shapes, grouped the same way. Everything is checked
   * before anything changes; a mismatch throws an error naming it. Tensors are copied (and cast to
   * their parameter's dtype).
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const n = `${this.name}.loadStateDict`;
    if (!isRecord(sd) || !Array.isArray(sd.paramGroups) || !isRecord(sd.state)) {
      throw new TypeError(`${n}: expected { state, paramGroups } as made by stateDict(), got ${describe(sd)}`);
    }
    if (sd.paramGroups.length !== this.paramGroups.length) {
      throw new RangeError(`${n}: the saved state has ${sd.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`);
    }
    // Map each saved parameter position to a live parameter, group by group.
    const byIndex = new Map<number, Tensor>();
    const groups: Record<string, unknown>[] = [];
    for (const [gi, saved] of (sd.paramGroups as unknown[]).entries()) {
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
      this.checkKeys(saved, at, ['params', 'initialLr']);
      for (const k of this.hyperKeys) if (!(k in saved)) throw new TypeError(`${n}: ${at} lacks hyperparameter '${k}'`);
      const g: Record<string, unknown> = { params: live.params };
      for (const [k, v] of Object.entries(saved)) if (k !== 'params') g[k] = Array.isArray(v) ? v.slice() : v;
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
      for (const [k, v] of Object.entries(saved)) {
        if (spec.buffers.includes(k)) {
          if (!(v instanceof Tensor)) throw new TypeError(`${n}: state entry '${key}': '${k}' must be a tensor, got ${describe(v)}`);
          if (!sameShape(v.shape, p.shape)) {
            throw new RangeError(`${n}: state entry '${key}': '${k}' has shape [${v.shape.join(',')}], its parameter has shape [${p.shape.join(',')}]`);
          }
          if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new TypeError(`${n}: state entry '${key}': '${k}' must be a float tensor, got ${v.dtype}`);
          s[k] = noGrad(() => v.to(p.dtype).clone());
        } else if (spec.counters.includes(k)) {
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new TypeError(`${n}: state entry '${key}': '${k}' must be a non-negative integer, got ${describe(v)}`);
          s[k] = v;
        } else {
          const known = [...spec.buffers, ...spec.counters];
          throw new TypeError(`${n}: state entry '${key}' has unknown entry '${k}'; ${this.name} keeps ${known.length > 0 ? known.join(', ') : 'no state'}`);
        }
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
