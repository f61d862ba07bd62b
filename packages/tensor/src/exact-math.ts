/**
 * log and sin/cos built from + - * / only, which IEEE 754 rounds the same way in every JavaScript
 * engine. Math.log, Math.sin and Math.cos are not specified to the last bit and do differ between
 * engines (and engine versions), which would make seeded normal samples differ between Node and a
 * browser. Accurate to about 1 ulp; used only for random sampling.
 */

const LN2_HI = 0.6931471803691238; // ln 2 split in two so e * LN2_HI is exact for |e| < 2^11
const LN2_LO = 1.9082149292705877e-10;
const SQRT2 = 1.4142135623730951;

/** Natural log of x > 0: x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh((m-1)/(m+1)). */
export function exactLog(x: number): number {
  if (!(x > 0)) return x === 0 ? -Infinity : NaN;
  if (x === Infinity) return x;
  let m = x;
  let e = 0;
  while (m >= SQRT2) { m *= 0.5; e++; }
  while (m < SQRT2 / 2) { m *= 2; e--; }
  const s = (m - 1) / (m + 1);
  const s2 = s * s;
  // atanh(s)/s = 1 + s^2/3 + s^4/5 + ...; |s| < 0.172 so 12 terms reach 1e-18.
  let sum = 0;
  for (let k = 23; k >= 3; k -= 2) sum = (sum + 1 / k) * s2;
  return e * LN2_HI + (2 * s + (2 * s * sum + e * LN2_LO));
}

/** sin and cos of an angle in [0, pi/4] by their Taylor series (terms vanish by the 21st power). */
function sinCosSmall(t: number): [number, number] {
  const t2 = t * t;
  let s = 0;
  let c = 0;
  for (let k = 21; k >= 3; k -= 2) s = (s + 1) * (-t2 / (k * (k - 1)));
  for (let k = 20; k >= 2; k -= 2) c = (c + 1) * (-t2 / (k * (k - 1)));
  return [t + t * s, 1 + c];
}

/** [cos(2 pi u), sin(2 pi u)] for u in [0, 1). */
export function exactCosSin2Pi(u: number): [number, number] {
  const q4 = u * 4; // exact
  const q = Math.floor(q4);
  const r = q4 - q; // exact, in [0, 1)
  const half = Math.PI / 2;
  let c0: number;
  let s0: number;
  if (r <= 0.5) {
    [s0, c0] = sinCosSmall(r * half);
  } else {
    [c0, s0] = sinCosSmall((1 - r) * half); // 1 - r is exact here
  }
  switch (q) {
    case 0: return [c0, s0];
    case 1: return [-s0, c0];
    case 2: return [-c0, -s0];
    default: return [s0, -c0];
  }
}
