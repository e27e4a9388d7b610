/** Small statistics helpers; every function copies before sorting. */

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile (q in [0, 1]); NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  return quantileOfSorted(sorted, q);
}

/** Quantile of an already sorted array (used for large latency arrays, sorted once). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function min(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.min(...values);
}

export function max(values: readonly number[]): number {
  return values.length === 0 ? NaN : Math.max(...values);
}

export interface Regression {
  /** Change of y per unit of x. */
  readonly slope: number;
  readonly intercept: number;
  /** Coefficient of determination (0 when y is constant). */
  readonly r2: number;
}

/** Ordinary least squares fit of y = slope·x + intercept. */
export function linearRegression(xs: readonly number[], ys: readonly number[]): Regression {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: NaN, intercept: NaN, r2: NaN };
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i];
    sy += ys[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i] - mx;
    const dy = ys[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  const slope = sxx === 0 ? NaN : sxy / sxx;
  const r2 = sxx === 0 || syy === 0 ? 0 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept: my - slope * mx, r2 };
}

/** A growable Float64Array for per-call samples (no per-sample allocation). */
export class SampleBuffer {
  private data = new Float64Array(1 << 14);
  length = 0;

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  clear(): void {
    this.length = 0;
  }

  /** A sorted copy of the samples. */
  sorted(): Float64Array {
    return this.data.slice(0, this.length).sort();
  }
}

/** Two-sided 95 % Student t quantiles by degrees of freedom (1–30); 1.96 beyond. */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface RatioInterval {
  /** Geometric mean of the ratios. */
  readonly mean: number;
  /** 95 % confidence interval of the geometric mean (NaN with fewer than 2 ratios). */
  readonly low: number;
  readonly high: number;
}

/**
 * Geometric mean of paired ratios with a 95 % confidence interval (t interval on the logarithms):
 * how sure a run is that a variant is above or below a fraction of the baseline.
 */
export function ratioInterval(ratios: readonly number[]): RatioInterval {
  const n = ratios.length;
  if (n === 0) return { mean: NaN, low: NaN, high: NaN };
  const logs = ratios.map(Math.log);
  const m = logs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean: Math.exp(m), low: NaN, high: NaN };
  const variance = logs.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
  const half = (T95[n - 2] ?? 1.96) * Math.sqrt(variance / n);
  return { mean: Math.exp(m), low: Math.exp(m - half), high: Math.exp(m + half) };
}
