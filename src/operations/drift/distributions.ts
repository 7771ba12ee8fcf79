/**
 * Tail probabilities the drift tests need, in plain numeric code (no Effect):
 * the chi-square survival function and the finite-n two-sided Kolmogorov
 * distribution SciPy's `ks_2samp(method="asymp")` evaluates. Each follows the
 * algorithm SciPy uses in the same region, and is checked against SciPy's
 * values in `test/fixtures/drift/reference.json`.
 *
 * @module
 */

const LANCZOS_G = 7
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
]

/**
 * `ln Γ(x)` for `x > 0` (Lanczos, g = 7), accurate to about 1e-15 relative.
 *
 * @example
 * ```ts
 * logGamma(5) // ln 24
 * ```
 */
export const logGamma = (x: number): number => {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  const z = x - 1
  let sum = LANCZOS[0]!
  for (let i = 1; i < LANCZOS_G + 2; i++) sum += LANCZOS[i]! / (z + i)
  const t = z + LANCZOS_G + 0.5
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum)
}

const EPSILON = 1e-16
const TINY = 1e-300
const MAX_ITERATIONS = 10_000

/** Regularized lower incomplete gamma P(a, x) by its power series (converges fast for x < a + 1). */
const lowerGammaSeries = (a: number, x: number): number => {
  let term = 1 / a
  let sum = term
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n)
    sum += term
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a))
}

/** Regularized upper incomplete gamma Q(a, x) by Lentz's continued fraction (for x ≥ a + 1, keeps tiny tails accurate). */
const upperGammaFraction = (a: number, x: number): number => {
  let b = x + 1 - a
  let c = 1 / TINY
  let d = 1 / b
  let h = d
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < TINY) d = TINY
    c = b + an / c
    if (Math.abs(c) < TINY) c = TINY
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < EPSILON) break
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h
}

/**
 * `P(X ≥ x)` for a chi-square variable with `df` degrees of freedom, as
 * SciPy's `chi2.sf`. `df = 0` is the point mass at 0.
 *
 * @example
 * ```ts
 * chiSquareSf(3.841458820694124, 1) // ≈ 0.05
 * ```
 */
export const chiSquareSf = (x: number, df: number): number => {
  if (Number.isNaN(x)) return Number.NaN
  if (x <= 0) return 1
  if (df <= 0) return 0
  const a = df / 2
  const half = x / 2
  return half < a + 1 ? 1 - lowerGammaSeries(a, half) : upperGammaFraction(a, half)
}

/**
 * `P(D⁺ₙ ≥ x)`, the one-sided Kolmogorov–Smirnov tail for a sample of `n`,
 * as SciPy's `special.smirnov`: the exact Birnbaum–Tingey sum, whose terms
 * are all positive, accumulated in log space so large `n` neither overflows
 * nor cancels.
 *
 * @example
 * ```ts
 * smirnovSf(100, 0.1) // ≈ 0.1248
 * ```
 */
export const smirnovSf = (n: number, x: number): number => {
  if (x <= 0) return 1
  if (x >= 1) return 0
  const last = Math.floor(n * (1 - x))
  const logs = new Float64Array(last + 1)
  let max = Number.NEGATIVE_INFINITY
  // ln C(n, j) built up term by term: a logarithm per term instead of three ln Γ calls.
  let logChoose = 0
  for (let j = 0; j <= last; j++) {
    if (j > 0) logChoose += Math.log((n - j + 1) / j)
    const rest = 1 - x - j / n
    const logTerm =
      rest <= 0 && n - j > 0
        ? Number.NEGATIVE_INFINITY
        : logChoose + (n - j) * Math.log(rest) + (j - 1) * Math.log(x + j / n)
    logs[j] = logTerm
    if (logTerm > max) max = logTerm
  }
  if (max === Number.NEGATIVE_INFINITY) return 0
  let sum = 0
  for (let j = 0; j <= last; j++) sum += Math.exp(logs[j]! - max)
  return clip(x * Math.exp(max) * sum)
}

const clip = (p: number): number => (p < 0 ? 0 : p > 1 ? 1 : p)

// Coefficients of Stirling's series for ln Γ, highest power first: B₂ₖ / (2k(2k−1)) for k = 8 … 1.
const STIRLING = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12]

/** `ln(n! / nⁿ)` by Stirling's series, as SciPy computes it for large `n`. */
const logFactorialOverPower = (n: number): number => {
  const rn = 1 / n
  let poly = 0
  for (const c of STIRLING) poly = poly * (rn / n) + c
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly
}

const SCALE = 2 ** 128

const multiply = (a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> => {
  const out = new Float64Array(m * m)
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < m; k++) {
      const aik = a[i * m + k]!
      if (aik === 0) continue
      for (let j = 0; j < m; j++) out[i * m + j]! += aik * b[k * m + j]!
    }
  }
  return out
}

/**
 * `P(Dₙ ≤ d)` exactly, by Durbin's matrix as Marsaglia, Tsang and Wang
 * compute it: the (k,k) entry of the n-th power of a (2k−1)² matrix,
 * rescaled by 2^128 to stay in range. SciPy uses it where `n·d^1.5 ≤ 1.4`
 * (and Pomeranz's recursion, an equally exact method, for some n ≤ 140).
 */
const durbinCdf = (n: number, d: number): number => {
  const nd = n * d
  if (nd <= 0.5) return 0
  const k = Math.ceil(nd)
  const h = k - nd
  const m = 2 * k - 1
  const v = new Float64Array(m)
  const w = new Float64Array(m)
  let factorial = 1
  for (let j = 1; j <= m; j++) {
    w[j - 1] = factorial
    factorial /= j
    v[j - 1] = (1 - h ** j) * factorial
  }
  v[m - 1] = (1 + Math.max(2 * h - 1, 0) ** m - 2 * h ** m) * factorial
  let matrix = new Float64Array(m * m)
  for (let i = 1; i < m; i++) {
    for (let row = i - 1; row < m; row++) matrix[row * m + i] = w[row - i + 1]!
  }
  for (let row = 0; row < m; row++) matrix[row * m] = v[row]!
  for (let col = 0; col < m; col++) matrix[(m - 1) * m + col] = v[m - 1 - col]!

  let power = new Float64Array(m * m)
  for (let i = 0; i < m; i++) power[i * m + i] = 1
  let exponent = 0
  let matrixExponent = 0
  const centre = (k - 1) * m + (k - 1)
  for (let remaining = n; remaining > 0; remaining = Math.floor(remaining / 2)) {
    if (remaining % 2 === 1) {
      power = multiply(power, matrix, m)
      exponent += matrixExponent
    }
    matrix = multiply(matrix, matrix, m)
    matrixExponent *= 2
    if (Math.abs(matrix[centre]!) > SCALE) {
      for (let i = 0; i < matrix.length; i++) matrix[i]! /= SCALE
      matrixExponent += 128
    }
  }
  let p = power[centre]!
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n
    if (Math.abs(p) < 1 / SCALE) {
      p *= SCALE
      exponent -= 128
    }
  }
  return clip(p * 2 ** exponent)
}

/** `P(Dₙ ≤ x)` by the Pelz–Good asymptotic series, as SciPy evaluates it for large `n`. */
const pelzGoodCdf = (n: number, x: number): number => {
  const z = Math.sqrt(n) * x
  const z2 = z * z
  const z4 = z2 * z2
  const z6 = z4 * z2
  const pi2 = Math.PI ** 2
  const pi4 = pi2 * pi2
  const pi6 = pi4 * pi2
  const qlog = -pi2 / 8 / z2
  if (qlog < -708) return 0
  let q = Math.exp(qlog)
  const k1a = -z2
  const k1b = pi2 / 4
  const k2a = 6 * z6 + 2 * z4
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4
  const k2c = (pi4 * (1 - 2 * z2)) / 16
  const k3d = (pi6 * (5 - 30 * z2)) / 64
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4
  const k3a = -30 * z6 - 90 * z ** 8
  const terms = [0, 0, 0, 0]
  const maxK = Math.ceil((16 * z) / Math.PI)
  for (let k = maxK; k > 0; k--) {
    const m = 2 * k - 1
    const m2 = m * m
    const qPower = q ** (8 * k)
    const coefficients = [
      1,
      k1a + k1b * m2,
      k2a + k2b * m2 + k2c * m2 * m2,
      k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 * m2 * m2
    ]
    for (let i = 0; i < 4; i++) terms[i] = terms[i]! * qPower + coefficients[i]!
  }
  const sqrt2pi = Math.sqrt(2 * Math.PI)
  const divisors = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10]
  for (let i = 0; i < 4; i++) terms[i] = (terms[i]! * q * sqrt2pi) / divisors[i]!
  q = Math.exp(-pi2 / 2 / z2)
  let k2extra = 0
  let k3extra = 0
  const sqrt3z = Math.sqrt(3) * z
  for (let k = maxK; k > 0; k--) {
    const weight = k * k * q ** (k * k)
    k2extra += weight
    k3extra += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * weight
  }
  terms[2] = terms[2]! + (k2extra * pi2 * sqrt2pi) / (-36 * z ** 3)
  terms[3] = terms[3]! + (k3extra * pi2 * sqrt2pi) / (216 * z6)
  let cdf = 0
  for (let i = 0; i < 4; i++) cdf += terms[i]! / n ** (i / 2)
  return cdf
}

/**
 * `P(Dₙ ≥ x)` for the two-sided one-sample Kolmogorov–Smirnov statistic
 * with `n` observations, as SciPy's `kstwo.sf` (Simard and L'Ecuyer's
 * choice of method per region). `ks_2samp(method="asymp")` evaluates it at
 * `n = round(n₁n₂ / (n₁ + n₂))`.
 *
 * @example
 * ```ts
 * kolmogorovSf(100, 0.1) // ≈ 0.2467
 * ```
 */
export const kolmogorovSf = (n: number, x: number): number => {
  if (x >= 1) return 0
  if (x <= 0) return 1
  const t = n * x
  if (t <= 1) {
    if (t <= 0.5) return 1
    let cdf: number
    if (n <= 140) {
      cdf = 1
      for (let i = 1; i <= n; i++) cdf *= (i / n) * (2 * t - 1)
    } else {
      cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1))
    }
    return clip(1 - cdf)
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n)
  if (x >= 0.5) return clip(2 * smirnovSf(n, x))
  const nx2 = t * x
  if (n <= 140) return nx2 <= 4 ? clip(1 - durbinCdf(n, x)) : clip(2 * smirnovSf(n, x))
  if (nx2 >= 370) return 0
  if (nx2 >= 2.2) return clip(2 * smirnovSf(n, x))
  const cdf = n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x)
  return clip(1 - cdf)
}
