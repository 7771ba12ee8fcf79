/**
 * The drift statistics on plain columns (no Effect): a numeric reference is
 * sorted once into a {@link NumericReference}; each production batch is then
 * compared in one O(n · log(bucket)) pass without sorting it.
 *
 * - **PSI** (population stability index) over bins cut at the reference's
 *   quantiles: edge i (1 ≤ i < bins) is the smallest reference value whose
 *   cumulative share reaches i/bins (the inverted-CDF rule, Hyndman–Fan type
 *   1); equal edges — a value holding more than one bin's share, such as a
 *   point mass at 0 — are kept once, so there may be fewer bins. Bins are
 *   right-closed: (−∞, e₁], (e₁, e₂], …, (e_last, ∞). A bin's share is
 *   floored at {@link PSI_EPSILON} on either side so an empty bin contributes
 *   a large but finite term instead of an infinite one.
 *   PSI = Σ (q − p) · ln(q / p), p the reference share and q the batch's.
 * - **Kolmogorov–Smirnov** two-sample statistic D = sup |F_ref − F_batch| and
 *   its p-value as SciPy's `ks_2samp(method="asymp")`.
 * - **Chi-square test of homogeneity** of two category counts (no Yates
 *   correction), its p-value, and Cramér's V as the effect size.
 *
 * `NaN` is a missing value: counted, and left out of every statistic.
 *
 * @module
 */
import { chiSquareSf, kolmogorovSf } from "./distributions.js"

/** Floor of a bin's share in the PSI, on both sides (1e-4 = one hundredth of a percent). */
export const PSI_EPSILON = 1e-4

/**
 * A numeric reference column prepared for repeated comparisons: its sorted
 * distinct values with cumulative counts, the PSI bins, and a lookup grid
 * that narrows the search for a value to the distinct values of one bucket.
 */
export interface NumericReference {
  /** Non-missing values. */
  readonly count: number
  readonly missing: number
  /** Sorted distinct values u₀ < u₁ < … */
  readonly distinct: Float64Array
  /** `cumulative[j]` = number of reference values ≤ uⱼ. */
  readonly cumulative: Float64Array
  /** PSI bin edges (sorted, distinct). */
  readonly edges: Float64Array
  /** Reference count per PSI bin (`edges.length + 1` bins). */
  readonly binCounts: Float64Array
  /** PSI bin of each value interval j (values ≤ uⱼ and > uⱼ₋₁); index `distinct.length` is above the maximum. */
  readonly binOfInterval: Uint32Array
  readonly grid: Grid
}

/** Buckets of equal width over the finite distinct values; `start[b]` is the first distinct value in bucket b. */
interface Grid {
  readonly low: number
  readonly high: number
  readonly scale: number
  readonly buckets: number
  readonly start: Uint32Array
}

/** Non-missing values of a column, sorted ascending, and how many were `NaN`. */
const sortedValues = (column: Float64Array): { readonly sorted: Float64Array; readonly missing: number } => {
  let missing = 0
  for (let i = 0; i < column.length; i++) if (Number.isNaN(column[i]!)) missing++
  const sorted = new Float64Array(column.length - missing)
  let next = 0
  for (let i = 0; i < column.length; i++) {
    const x = column[i]!
    if (!Number.isNaN(x)) sorted[next++] = x
  }
  sorted.sort()
  return { sorted, missing }
}

/** PSI edges of a sorted, non-empty column by the inverted-CDF rule, duplicates dropped. */
const quantileEdges = (sorted: Float64Array, bins: number): Float64Array => {
  const edges: Array<number> = []
  for (let i = 1; i < bins; i++) {
    const edge = sorted[Math.ceil((i * sorted.length) / bins) - 1]!
    if (edges.length === 0 || edges[edges.length - 1]! < edge) edges.push(edge)
  }
  return Float64Array.from(edges)
}

/** Number of elements of `values[from, to)` strictly below `x` plus `from`: the lower bound of `x`. */
const lowerBound = (values: Float64Array, x: number, from: number, to: number): number => {
  let lo = from
  let hi = to
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid]! < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

// The bucket function is monotone in x (subtraction, a positive scale and floor all are),
// so the lower bound of any x in bucket b lies in [start[b], start[b + 1]]: exact, not approximate.
const bucketOf = (grid: Grid, x: number): number => {
  const b = Math.floor((x - grid.low) * grid.scale)
  return b < grid.buckets ? b : grid.buckets - 1
}

const makeGrid = (distinct: Float64Array): Grid => {
  let first = 0
  while (first < distinct.length && !Number.isFinite(distinct[first]!)) first++
  let last = distinct.length - 1
  while (last >= first && !Number.isFinite(distinct[last]!)) last--
  if (last < first) return { low: 0, high: -1, scale: 0, buckets: 1, start: new Uint32Array([0, 0]) }
  const low = distinct[first]!
  const high = distinct[last]!
  const buckets = last - first + 1
  const grid = {
    low,
    high,
    scale: high > low ? buckets / (high - low) : 0,
    buckets,
    start: new Uint32Array(buckets + 1)
  }
  let j = first
  for (let b = 0; b <= buckets; b++) {
    while (j <= last && bucketOf(grid, distinct[j]!) < b) j++
    grid.start[b] = j
  }
  grid.start[buckets] = last + 1
  return grid
}

/**
 * Prepares a numeric reference column: one sort of the reference, then every
 * batch is compared against it without sorting the batch.
 *
 * @example
 * ```ts
 * const reference = numericReference(Float64Array.from([1, 2, 2, 3]), 10)
 * reference.distinct // Float64Array [1, 2, 3]
 * ```
 */
export const numericReference = (column: Float64Array, bins: number): NumericReference => {
  const { sorted, missing } = sortedValues(column)
  const distinctValues: Array<number> = []
  const cumulativeCounts: Array<number> = []
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!
    if (i + 1 < sorted.length && sorted[i + 1] === x) continue
    distinctValues.push(x)
    cumulativeCounts.push(i + 1)
  }
  const distinct = Float64Array.from(distinctValues)
  const cumulative = Float64Array.from(cumulativeCounts)
  const edges = sorted.length === 0 ? new Float64Array(0) : quantileEdges(sorted, bins)
  const binOfInterval = new Uint32Array(distinct.length + 1)
  const binCounts = new Float64Array(edges.length + 1)
  let bin = 0
  for (let j = 0; j < distinct.length; j++) {
    while (bin < edges.length && edges[bin]! < distinct[j]!) bin++
    binOfInterval[j] = bin
    binCounts[bin]! += cumulative[j]! - (j === 0 ? 0 : cumulative[j - 1]!)
  }
  binOfInterval[distinct.length] = edges.length
  return {
    count: sorted.length,
    missing,
    distinct,
    cumulative,
    edges,
    binCounts,
    binOfInterval,
    grid: makeGrid(distinct)
  }
}

/**
 * Counts of a batch against a reference's distinct values u₀ < … < u_{k−1}:
 * `counts[2j]` values strictly between uⱼ₋₁ and uⱼ, `counts[2j + 1]` values
 * equal to uⱼ, `counts[2k]` values above u_{k−1}. Ties are thus counted
 * exactly, and both ECDFs are known at every point where their difference
 * can peak.
 */
export interface BatchCounts {
  readonly counts: Float64Array
  readonly count: number
  readonly missing: number
}

/**
 * One pass over a batch column: each value is placed among the reference's
 * distinct values through the lookup grid and a binary search within one
 * bucket.
 */
export const countBatch = (reference: NumericReference, column: Float64Array): BatchCounts => {
  const { distinct, grid } = reference
  // Locals rather than property reads: this loop runs once per value of every batch column.
  const { low, high, start } = grid
  const k = distinct.length
  const counts = new Float64Array(2 * k + 1)
  let missing = 0
  for (let i = 0; i < column.length; i++) {
    const x = column[i]!
    if (Number.isNaN(x)) {
      missing++
      continue
    }
    let j: number
    if (x >= low && x <= high) {
      const b = bucketOf(grid, x)
      j = lowerBound(distinct, x, start[b]!, start[b + 1]!)
    } else {
      j = lowerBound(distinct, x, 0, k)
    }
    counts[j < k && distinct[j] === x ? 2 * j + 1 : 2 * j]!++
  }
  return { counts, count: column.length - missing, missing }
}

/** The two-sided two-sample KS statistic D and its p-value. */
export interface KsResult {
  readonly statistic: number
  readonly pValue: number
}

/**
 * The two-sample Kolmogorov–Smirnov test from batch counts: D is the largest
 * gap between the ECDFs, checked at each reference value and just below it
 * (where the batch's ECDF has risen through a gap while the reference's has
 * not). The p-value is SciPy's `ks_2samp(method="asymp")`:
 * `kstwo.sf(D, round(n·m / (n + m)))`.
 *
 * @example
 * ```ts
 * const reference = numericReference(Float64Array.from([1, 2, 3, 4]), 10)
 * ksTest(reference, countBatch(reference, Float64Array.from([3, 4, 5, 6]))).statistic // 0.5
 * ```
 */
export const ksTest = (reference: NumericReference, batch: BatchCounts): KsResult => {
  const m = reference.count
  const n = batch.count
  const { cumulative } = reference
  const { counts } = batch
  let below = 0
  let statistic = 0
  let referenceShare = 0
  for (let j = 0; j < cumulative.length; j++) {
    below += counts[2 * j]!
    const gapDiff = Math.abs(referenceShare - below / n)
    if (gapDiff > statistic) statistic = gapDiff
    below += counts[2 * j + 1]!
    referenceShare = cumulative[j]! / m
    const atDiff = Math.abs(referenceShare - below / n)
    if (atDiff > statistic) statistic = atDiff
  }
  const big = Math.max(m, n)
  const small = Math.min(m, n)
  return { statistic, pValue: kolmogorovSf(roundHalfEven((big * small) / (big + small)), statistic) }
}

// numpy's rounding, which SciPy applies to the effective sample size: 2.5 → 2, 3.5 → 4.
const roundHalfEven = (x: number): number => {
  const floor = Math.floor(x)
  const fraction = x - floor
  return fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor
}

/** Population stability index of two count vectors over the same bins; shares are floored at {@link PSI_EPSILON}. */
export const psiOfCounts = (
  reference: ArrayLike<number>,
  referenceTotal: number,
  batch: ArrayLike<number>,
  batchTotal: number
): number => {
  let psi = 0
  for (let b = 0; b < reference.length; b++) {
    const p = Math.max(reference[b]! / referenceTotal, PSI_EPSILON)
    const q = Math.max((batch[b] ?? 0) / batchTotal, PSI_EPSILON)
    psi += (q - p) * Math.log(q / p)
  }
  return psi
}

/**
 * PSI of a batch over the reference's quantile bins, from its counts.
 *
 * @example
 * ```ts
 * const reference = numericReference(Float64Array.from([1, 2, 3, 4]), 4)
 * psi(reference, countBatch(reference, Float64Array.from([1, 2, 3, 4]))) // 0
 * ```
 */
export const psi = (reference: NumericReference, batch: BatchCounts): number => {
  const binned = new Float64Array(reference.binCounts.length)
  const k = reference.distinct.length
  for (let j = 0; j <= k; j++) {
    const inInterval = batch.counts[2 * j]! + (j < k ? batch.counts[2 * j + 1]! : 0)
    binned[reference.binOfInterval[j]!]! += inInterval
  }
  return psiOfCounts(reference.binCounts, reference.count, binned, batch.count)
}

/** Category counts of a categorical column; `null` is missing. */
export interface CategoryCounts {
  readonly counts: ReadonlyMap<string, number>
  readonly count: number
  readonly missing: number
}

/** Counts each category of a column. */
export const countCategories = (column: ReadonlyArray<string | null>): CategoryCounts => {
  const counts = new Map<string, number>()
  let missing = 0
  for (const value of column) {
    if (value === null) missing++
    else counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  return { counts, count: column.length - missing, missing }
}

/** The chi-square test of homogeneity of a reference and a batch, with Cramér's V and a categorical PSI. */
export interface ChiSquareResult {
  readonly statistic: number
  readonly dof: number
  readonly pValue: number
  /** √(χ² / (N · min(rows − 1, columns − 1))); 0 with a single category. */
  readonly cramersV: number
  /** PSI over the categories (union of both sides), shares floored at {@link PSI_EPSILON}. */
  readonly psi: number
  /** Categories of the batch absent from the reference, sorted. */
  readonly unseen: ReadonlyArray<string>
}

/**
 * The 2 × c chi-square test of homogeneity (SciPy's `chi2_contingency` with
 * `correction=False`) over the union of categories; a category the
 * reference never saw is a column with a reference count of 0 — it raises
 * χ² as any other difference does, and is also listed in `unseen`.
 *
 * @example
 * ```ts
 * chiSquareTest(countCategories(["a", "b"]), countCategories(["a", "c"])).unseen // ["c"]
 * ```
 */
export const chiSquareTest = (reference: CategoryCounts, batch: CategoryCounts): ChiSquareResult => {
  const categories = [...new Set([...reference.counts.keys(), ...batch.counts.keys()])].sort()
  const total = reference.count + batch.count
  let statistic = 0
  const referenceCounts: Array<number> = []
  const batchCounts: Array<number> = []
  for (const category of categories) {
    const r = reference.counts.get(category) ?? 0
    const b = batch.counts.get(category) ?? 0
    referenceCounts.push(r)
    batchCounts.push(b)
    const columnTotal = r + b
    const expectedR = (reference.count * columnTotal) / total
    const expectedB = (batch.count * columnTotal) / total
    statistic += (r - expectedR) ** 2 / expectedR + (b - expectedB) ** 2 / expectedB
  }
  const dof = categories.length - 1
  return {
    statistic,
    dof,
    pValue: chiSquareSf(statistic, dof),
    cramersV: dof === 0 ? 0 : Math.sqrt(statistic / total),
    psi: psiOfCounts(referenceCounts, reference.count, batchCounts, batch.count),
    unseen: categories.filter((category) => !reference.counts.has(category))
  }
}
