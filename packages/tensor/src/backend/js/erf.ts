/**
 * The error function to float64 accuracy (JavaScript has none).
 * |x| < 2.5: the Maclaurin series erf x = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)), summed until terms vanish;
 * larger |x|: erfc from its continued fraction (modified Lentz), erf = 1 - erfc.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return x > 0 ? 1 : -1;
  const r = erfcLarge(ax);
  return x > 0 ? 1 - r : r - 1;
}

/**
 * The complementary error function 1 - erf(x), to float64 accuracy also where it is tiny (large x):
 * 1 - erf(x) below x = 1, where no digits cancel; the continued fraction from there on; and
 * erfc(x) = 2 - erfc(-x) for negative x.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1) return 1 - erf(x);
  return x === Infinity ? 0 : erfcLarge(x);
}

/**
 * erfc(x) for x >= 1: exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))).
 * exp(-x^2) is taken as exp(-h^2) exp(-(x - h)(x + h)) with h = x rounded to float32, so h^2 is exact
 * and the rounding of x^2 (which exp would magnify by x^2) never enters.
 */
function erfcLarge(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const h = Math.fround(x);
  return (Math.exp(-h * h) * Math.exp(-(x - h) * (x + h))) / Math.sqrt(Math.PI) / f;
}
