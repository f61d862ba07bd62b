/**
 * Plots as hand-written SVG strings (no dependency): a loss curve and a 2-D decision boundary.
 * Each function returns the SVG text; `writeText` from ./output.js puts it on disk.
 */

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The round step whose number of intervals comes closest to `count`.
  const step = [1, 2, 5, 10].map((k) => k * mag).reduce((best, s) => (Math.abs((hi - lo) / s - count) < Math.abs((hi - lo) / best - count) ? s : best));
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

interface Frame { left: number; top: number; w: number; h: number }

function axes(f: Frame, x: [number, number], y: [number, number], xLabel: string, yLabel: string, yTicks: number[], yTickText: (v: number) => string, yMap: (v: number) => number): string[] {
  const parts: string[] = [];
  const sx = (v: number): number => f.left + ((v - x[0]) / (x[1] - x[0] || 1)) * f.w;
  parts.push(`<rect x="${f.left}" y="${f.top}" width="${f.w}" height="${f.h}" fill="none" stroke="#444"/>`);
  for (const t of niceTicks(x[0], x[1], 6)) {
    const px = num(sx(t));
    parts.push(`<line x1="${px}" y1="${f.top}" x2="${px}" y2="${f.top + f.h}" stroke="#eee"/>`);
    parts.push(`<text x="${px}" y="${f.top + f.h + 16}" text-anchor="middle">${esc(tickLabel(t))}</text>`);
  }
  for (const t of yTicks) {
    const py = num(yMap(t));
    parts.push(`<line x1="${f.left}" y1="${py}" x2="${f.left + f.w}" y2="${py}" stroke="#eee"/>`);
    parts.push(`<text x="${f.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${esc(yTickText(t))}</text>`);
  }
  parts.push(`<text x="${f.left + f.w / 2}" y="${f.top + f.h + 36}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${f.top + f.h / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  return parts;
}

function document(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** One line of a loss plot: y values at x = 1, 2, ... unless `x` is given. */
export interface Series {
  name: string;
  y: readonly number[];
  x?: readonly number[];
  color?: string;
}

export interface LossCurveOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic y axis (default: on when the values span more than two decades). */
  logY?: boolean;
  width?: number;
  height?: number;
}

/** At most this many points per plotted line: a long run is thinned to keep the file small. */
const MAX_POINTS = 800;

/** Every k-th point (and always the last) so that at most `max` remain. */
function thin(p: [number, number][], max: number): [number, number][] {
  if (p.length <= max) return p;
  const k = Math.ceil(p.length / max);
  const out = p.filter((_, i) => i % k === 0);
  if (out[out.length - 1] !== p[p.length - 1]) out.push(p[p.length - 1]!);
  return out;
}

/** A loss curve (one or more series, e.g. train and test) as an SVG document. */
export function lossCurveSvg(series: readonly Series[], opts: LossCurveOptions = {}): string {
  const width = opts.width ?? 720, height = opts.height ?? 420;
  const f: Frame = { left: 70, top: 36, w: width - 90 - 130, h: height - 36 - 56 };
  const pts = series.map((s) => s.y.map((y, i) => [s.x?.[i] ?? i + 1, y] as [number, number]).filter(([, y]) => Number.isFinite(y)));
  const all = pts.flat();
  if (all.length === 0) return document(width, height, opts.title ?? 'loss', ['<text x="50%" y="50%" text-anchor="middle">no data</text>']);
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => y);
  const x: [number, number] = [Math.min(...xs), Math.max(...xs)];
  if (x[0] === x[1]) x[1] = x[0] + 1;
  let yLo = Math.min(...ys), yHi = Math.max(...ys);
  const logY = opts.logY ?? (yLo > 0 && yHi / yLo > 100);
  let yMap: (v: number) => number;
  let yTicks: number[];
  if (logY) {
    const l0 = Math.log10(Math.max(yLo, 1e-12)), l1 = Math.log10(Math.max(yHi, 1e-12));
    const lo = Math.floor(l0), hi = Math.max(Math.ceil(l1), lo + 1);
    yMap = (v) => f.top + f.h - ((Math.log10(Math.max(v, 1e-12)) - lo) / (hi - lo)) * f.h;
    yTicks = [];
    for (let e = lo; e <= hi; e++) yTicks.push(10 ** e);
  } else {
    if (yLo === yHi) { yLo -= 0.5; yHi += 0.5; }
    yLo = Math.min(yLo, 0 <= yLo && yLo < 0.2 * yHi ? 0 : yLo);
    const pad = (yHi - yLo) * 0.04;
    const lo = yLo - (yLo === 0 ? 0 : pad), hi = yHi + pad;
    yMap = (v) => f.top + f.h - ((v - lo) / (hi - lo)) * f.h;
    yTicks = niceTicks(lo, hi, 6);
  }
  const sx = (v: number): number => f.left + ((v - x[0]) / (x[1] - x[0])) * f.w;
  const body = axes(f, x, [0, 1], opts.xLabel ?? 'step', opts.yLabel ?? 'loss', yTicks, tickLabel, yMap);
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    const p = thin(pts[k]!, MAX_POINTS);
    if (p.length > 1) {
      body.push(`<polyline fill="none" stroke="${color}" stroke-width="1.6" points="${p.map(([a, b]) => `${num(sx(a))},${num(yMap(b))}`).join(' ')}"/>`);
    }
    if (p.length <= 60) {
      for (const [a, b] of p) body.push(`<circle cx="${num(sx(a))}" cy="${num(yMap(b))}" r="2.5" fill="${color}"/>`);
    }
    const ly = f.top + 14 + k * 18;
    body.push(`<line x1="${f.left + f.w + 12}" y1="${ly}" x2="${f.left + f.w + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    body.push(`<text x="${f.left + f.w + 38}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`);
  });
  return document(width, height, opts.title ?? 'loss', body);
}

/** A regular grid over a rectangle: cell centres, row by row from the bottom (y = yRange[0]) up. */
export interface Grid {
  nx: number;
  ny: number;
  xRange: [number, number];
  yRange: [number, number];
  /** x coordinate of each of the nx * ny cell centres. */
  xs: Float64Array;
  /** y coordinate of each cell centre. */
  ys: Float64Array;
}

/** The grid of cell centres that a model is evaluated on to draw its decision regions. */
export function makeGrid(xRange: [number, number], yRange: [number, number], nx = 90, ny = 90): Grid {
  const xs = new Float64Array(nx * ny), ys = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      xs[j * nx + i] = xRange[0] + ((i + 0.5) / nx) * (xRange[1] - xRange[0]);
      ys[j * nx + i] = yRange[0] + ((j + 0.5) / ny) * (yRange[1] - yRange[0]);
    }
  }
  return { nx, ny, xRange, yRange, xs, ys };
}

/** The range of `values` widened by `margin` on each side. */
export function paddedRange(values: ArrayLike<number>, margin = 0.5): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) { lo = Math.min(lo, values[i]!); hi = Math.max(hi, values[i]!); }
  return [lo - margin, hi + margin];
}

export interface DecisionBoundaryOptions {
  title?: string;
  width?: number;
  height?: number;
}

const CLASS0 = [31, 119, 180];   // blue: y = 0
const CLASS1 = [214, 39, 40];    // red: y = 1

function shade(p: number): string {
  // Quantised confidence: light tint near 0.5, stronger toward 0 or 1.
  const level = Math.round(Math.min(1, Math.abs(p - 0.5) * 2) * 4) / 4;
  const base = p >= 0.5 ? CLASS1 : CLASS0;
  const a = 0.15 + 0.3 * level;
  const mix = base.map((c) => Math.round(255 + (c - 255) * a));
  return `rgb(${mix.join(',')})`;
}

/**
 * A 2-D decision-boundary plot: the grid's cells tinted by the predicted probability of class 1
 * (`probs`, one per grid cell), the 0.5 boundary drawn between cells that disagree, and the data
 * points coloured by their true label.
 */
export function decisionBoundarySvg(grid: Grid, probs: ArrayLike<number>, points: { x: ArrayLike<number>; y: ArrayLike<number>; label: ArrayLike<number> }, opts: DecisionBoundaryOptions = {}): string {
  if (probs.length !== grid.nx * grid.ny) throw new RangeError(`decisionBoundarySvg: expected ${grid.nx * grid.ny} probabilities (one per grid cell), got ${probs.length}`);
  const width = opts.width ?? 560, height = opts.height ?? 560;
  const f: Frame = { left: 60, top: 36, w: width - 80, h: height - 36 - 56 };
  const { nx, ny, xRange, yRange } = grid;
  const cw = f.w / nx, ch = f.h / ny;
  const sx = (v: number): number => f.left + ((v - xRange[0]) / (xRange[1] - xRange[0])) * f.w;
  const sy = (v: number): number => f.top + f.h - ((v - yRange[0]) / (yRange[1] - yRange[0])) * f.h;
  const body: string[] = [];
  // Cells, merged into horizontal runs of one colour to keep the file small.
  for (let j = 0; j < ny; j++) {
    const y = f.top + f.h - (j + 1) * ch;
    let i = 0;
    while (i < nx) {
      const color = shade(probs[j * nx + i]!);
      let k = i + 1;
      while (k < nx && shade(probs[j * nx + k]!) === color) k++;
      body.push(`<rect x="${num(f.left + i * cw)}" y="${num(y)}" width="${num((k - i) * cw + 0.5)}" height="${num(ch + 0.5)}" fill="${color}"/>`);
      i = k;
    }
  }
  // The boundary: cell edges between a cell predicted 1 and a neighbour predicted 0.
  const segs: string[] = [];
  const cls = (i: number, j: number): boolean => probs[j * nx + i]! >= 0.5;
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const x0 = f.left + i * cw, y0 = f.top + f.h - (j + 1) * ch;
      if (i + 1 < nx && cls(i, j) !== cls(i + 1, j)) segs.push(`M${num(x0 + cw)} ${num(y0)}v${num(ch)}`);
      if (j + 1 < ny && cls(i, j) !== cls(i, j + 1)) segs.push(`M${num(x0)} ${num(y0)}h${num(cw)}`);
    }
  }
  if (segs.length > 0) body.push(`<path d="${segs.join('')}" stroke="#222" stroke-width="1.2" fill="none"/>`);
  body.push(...axes(f, xRange, yRange, 'x1', 'x2', niceTicks(yRange[0], yRange[1], 6), tickLabel, sy).filter((s) => !s.startsWith('<line')));
  for (let n = 0; n < points.x.length; n++) {
    const c = points.label[n]! >= 0.5 ? CLASS1 : CLASS0;
    body.push(`<circle cx="${num(sx(points.x[n]!))}" cy="${num(sy(points.y[n]!))}" r="3.2" fill="rgb(${c.join(',')})" stroke="#111" stroke-width="0.6"/>`);
  }
  return document(width, height, opts.title ?? 'decision boundary', body);
}
