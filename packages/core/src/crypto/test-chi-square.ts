/**
 * Test-only statistics (excluded from the build by tsconfig.build.json's `src/**\/test-*.ts`):
 * Pearson's chi-square goodness-of-fit against a uniform distribution, with the exact upper
 * tail of the chi-square distribution (regularized upper incomplete gamma function, Numerical
 * Recipes §6.2) so that thresholds are computed rather than copied from a table.
 */

/** How often each character of `alphabet` occurs in `text`; throws on a character outside it. */
export function countChars(text: string, alphabet: string): number[] {
  const index = new Map<string, number>([...alphabet].map((c, i) => [c, i]));
  const counts: number[] = new Array<number>(index.size).fill(0);
  for (const c of text) {
    const i = index.get(c);
    if (i === undefined)
      throw new Error(`character U+${c.codePointAt(0)?.toString(16)} not in alphabet`);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

/** Pearson's statistic of `counts` against equal expected counts; df = counts.length - 1. */
export function chiSquareUniform(counts: readonly number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];

function logGamma(z: number): number {
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  const w = z - 1;
  let x = 0;
  for (const [i, c] of LANCZOS.entries()) x += i === 0 ? c : c / (w + i);
  const t = w + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (w + 0.5) * Math.log(t) - t + Math.log(x);
}

/** Q(a, x) = Γ(a, x) / Γ(a). */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const front = Math.exp(-x + a * Math.log(x) - logGamma(a));
  if (x < a + 1) {
    let ap = a;
    let del = 1 / a;
    let sum = del;
    for (let n = 0; n < 10_000 && Math.abs(del) > Math.abs(sum) * 1e-16; n++) {
      ap += 1;
      del *= x / ap;
      sum += del;
    }
    return 1 - sum * front;
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return front * h;
}

/** P(X ≥ statistic) for X chi-square distributed with `df` degrees of freedom. */
export function chiSquareUpperTail(statistic: number, df: number): number {
  return gammaQ(df / 2, statistic / 2);
}

/** The statistic whose upper tail is `p`: a uniform sampler exceeds it with probability p. */
export function chiSquareCritical(df: number, p: number): number {
  let lo = 0;
  let hi = df + 100 * Math.sqrt(2 * df) + 100;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (chiSquareUpperTail(mid, df) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
