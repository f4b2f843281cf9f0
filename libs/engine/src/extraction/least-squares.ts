// Least squares min ||A X - B|| for a tall A (n x m, n >= m) by Householder QR in double precision: the
// well-conditioned solve equation-solving needs (normal equations would square A's condition number).

import { EngineError, EngineErrorCode } from '../errors';

/** A is row-major n x m, B row-major n x k; returns X row-major m x k. */
export function leastSquares(a: Float64Array, n: number, m: number, b: Float64Array, k: number): Float64Array {
  if (n < m) throw new EngineError(EngineErrorCode.Internal, `least squares needs at least ${m} rows, got ${n}`);
  const r = Float64Array.from(a);
  const q = Float64Array.from(b);
  for (let col = 0; col < m; col++) {
    let norm = 0;
    for (let i = col; i < n; i++) norm += r[i * m + col]! ** 2;
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = r[col * m + col]! > 0 ? -norm : norm;
    const v = new Float64Array(n - col);
    for (let i = col; i < n; i++) v[i - col] = r[i * m + col]!;
    v[0] = v[0]! - alpha;
    const vNorm2 = v.reduce((s, x) => s + x * x, 0);
    if (vNorm2 === 0) continue;
    const reflect = (mat: Float64Array, width: number) => {
      for (let j = 0; j < width; j++) {
        let dot = 0;
        for (let i = col; i < n; i++) dot += v[i - col]! * mat[i * width + j]!;
        const f = (2 * dot) / vNorm2;
        for (let i = col; i < n; i++) mat[i * width + j] = mat[i * width + j]! - f * v[i - col]!;
      }
    };
    reflect(r, m);
    reflect(q, k);
  }
  const x = new Float64Array(m * k);
  const scale = Math.max(...Array.from({ length: m }, (_, i) => Math.abs(r[i * m + i]!)));
  for (let i = m - 1; i >= 0; i--) {
    const diag = r[i * m + i]!;
    if (Math.abs(diag) <= 1e-12 * scale) {
      throw new EngineError(EngineErrorCode.Internal, 'least squares: the queries do not span the input space');
    }
    for (let j = 0; j < k; j++) {
      let s = q[i * k + j]!;
      for (let p = i + 1; p < m; p++) s -= r[i * m + p]! * x[p * k + j]!;
      x[i * k + j] = s / diag;
    }
  }
  return x;
}

/**
 * Solves (A^T A) x = A^T b given the m x m normal matrix (row-major, symmetric positive definite) and A^T b, by
 * Cholesky in double precision: for large sparse systems whose normal matrix is cheap to accumulate.
 */
export function solveNormalEquations(ata: Float64Array, atb: Float64Array, m: number): Float64Array {
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = ata[i * m + j]!;
      for (let k = 0; k < j; k++) s -= l[i * m + k]! * l[j * m + k]!;
      if (i === j) {
        if (!(s > 0)) throw new EngineError(EngineErrorCode.Internal, 'least squares: the normal matrix is singular');
        l[i * m + i] = Math.sqrt(s);
      } else {
        l[i * m + j] = s / l[j * m + j]!;
      }
    }
  }
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = atb[i]!;
    for (let k = 0; k < i; k++) s -= l[i * m + k]! * y[k]!;
    y[i] = s / l[i * m + i]!;
  }
  const x = new Float64Array(m);
  for (let i = m - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < m; k++) s -= l[k * m + i]! * x[k]!;
    x[i] = s / l[i * m + i]!;
  }
  return x;
}
