/**
 * Streaming summaries used by the dataset profiler: each sees every value
 * once, in any order, and keeps memory bounded by its parameters, never by
 * the number of values. They are plain mutable objects so the profiler can
 * update them in a tight loop without allocating per value.
 */

// The two words of the last hash, so the hot paths allocate nothing per value.
const hashed = new Uint32Array(2)

const finish = (a: number, b: number): void => {
  let h1 = Math.imul(a ^ (a >>> 16), 2246822507)
  h1 ^= Math.imul(b ^ (b >>> 13), 3266489909)
  let h2 = Math.imul(b ^ (b >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  hashed[0] = h1
  hashed[1] = h2
}

/** cyrb53's mixing with both 32-bit words kept; FNV-1a alone is too weak in its high bits for HyperLogLog. */
const hashString = (value: string, seed: number): void => {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  finish(h1, h2)
}

const float = new Float64Array(1)
const floatWords = new Uint32Array(float.buffer)

/** The same mixing over a number's IEEE bits, so numbers are counted without becoming strings. */
const hashNumber = (value: number): void => {
  // 0 and -0 are one value.
  float[0] = value === 0 ? 0 : value
  const lo = floatWords[0]!
  const hi = floatWords[1]!
  finish(
    Math.imul(Math.imul(0xdeadbeef ^ lo, 2654435761) ^ hi, 2654435761),
    Math.imul(Math.imul(0x41c6ce57 ^ lo, 1597334677) ^ hi, 1597334677)
  )
}

/**
 * A 64-bit hash of a string as two unsigned 32-bit words.
 *
 * @example
 * ```ts
 * const [high, low] = hash64("user-42", 7)
 * ```
 */
export const hash64 = (value: string, seed = 0): readonly [number, number] => {
  hashString(value, seed)
  return [hashed[0]!, hashed[1]!]
}

/**
 * HyperLogLog distinct-count estimator (Flajolet et al. 2007) with the
 * linear-counting correction for small cardinalities.
 *
 * With `m = 2^precision` registers the estimate has a relative standard error
 * of about `1.04 / √m` (0.81% at the default precision 14, i.e. the estimate
 * is within ±2.4% of the true count about 99.7% of the time), using `m` bytes.
 * The register index comes from one 32-bit hash word and the rank from the
 * other, so the sketch does not saturate below ~2^32·m distinct values.
 *
 * @example
 * ```ts
 * const hll = new HyperLogLog()
 * for (const id of ids) hll.add(id)
 * hll.estimate() // ≈ number of distinct ids
 * ```
 */
export class HyperLogLog {
  readonly precision: number
  private readonly registers: Uint8Array

  constructor(precision = 14) {
    if (!Number.isInteger(precision) || precision < 4 || precision > 18) {
      throw new RangeError(`HyperLogLog precision must be an integer in [4, 18], got ${precision}`)
    }
    this.precision = precision
    this.registers = new Uint8Array(1 << precision)
  }

  /** The relative standard error of {@link estimate}: `1.04 / √m`. */
  get relativeStandardError(): number {
    return 1.04 / Math.sqrt(this.registers.length)
  }

  /** Adds a string, or a number by its bits (so `1` and `"1"` are distinct values). */
  add(value: string | number): void {
    if (typeof value === "number") hashNumber(value)
    else hashString(value, 0)
    const index = hashed[0]! >>> (32 - this.precision)
    const rank = Math.clz32(hashed[1]!) + 1
    if (rank > this.registers[index]!) this.registers[index] = rank
  }

  estimate(): number {
    const m = this.registers.length
    let sum = 0
    let zeros = 0
    for (let i = 0; i < m; i++) {
      const r = this.registers[i]!
      sum += 2 ** -r
      if (r === 0) zeros++
    }
    const alpha = 0.7213 / (1 + 1.079 / m)
    const raw = (alpha * m * m) / sum
    return raw <= 2.5 * m && zeros > 0 ? m * Math.log(m / zeros) : raw
  }
}

/** A value reported by {@link SpaceSaving.top}: `count - error ≤ true count ≤ count`. */
export interface HeavyHitter<A = string> {
  readonly value: A
  readonly count: number
  /** The most by which `count` may overestimate the true count. */
  readonly error: number
}

/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005) with a
 * min-heap over `capacity` counters: O(log capacity) per value.
 *
 * Guarantees after `n` values: every value whose true count exceeds
 * `n / capacity` is tracked; each tracked value's `count` overestimates its
 * true count by at most its `error`, and every `error` is at most
 * `n / capacity`. On skewed data (the case top values are for) the reported
 * top values and their order are exact whenever their counts differ by more
 * than the errors.
 *
 * @example
 * ```ts
 * const top = new SpaceSaving(64)
 * for (const city of cities) top.add(city)
 * top.top(10) // [{ value: "Paris", count: 9120, error: 0 }, ...]
 * ```
 */
export class SpaceSaving<A extends string | number = string> {
  readonly capacity: number
  /** A min-heap on count; each counter knows its index so moves need no map update. */
  private readonly heap: Array<Counter<A>> = []
  private readonly counters = new Map<A, Counter<A>>()
  private seen = 0

  constructor(capacity = 64) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`SpaceSaving capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
  }

  /** How many values have been added. */
  get total(): number {
    return this.seen
  }

  add(value: A): void {
    this.seen++
    const counter = this.counters.get(value)
    if (counter !== undefined) {
      counter.count++
      this.siftDown(counter)
    } else if (this.heap.length < this.capacity) {
      const added: Counter<A> = { value, count: 1, error: 0, index: this.heap.length }
      this.heap.push(added)
      this.counters.set(value, added)
      this.siftUp(added)
    } else {
      // Replaces the minimum: the newcomer inherits its count as the error bound.
      const min = this.heap[0]!
      this.counters.delete(min.value)
      min.value = value
      min.error = min.count
      min.count++
      this.counters.set(value, min)
      this.siftDown(min)
    }
  }

  /** The `k` largest counters, by count descending then value, for a deterministic order. */
  top(k: number): ReadonlyArray<HeavyHitter<A>> {
    return this.heap
      .map(({ count, error, value }) => ({ value, count, error }))
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, k)
  }

  private place(counter: Counter<A>, index: number): void {
    this.heap[index] = counter
    counter.index = index
  }

  private siftUp(counter: Counter<A>): void {
    while (counter.index > 0) {
      const parent = this.heap[(counter.index - 1) >> 1]!
      if (parent.count <= counter.count) return
      const at = counter.index
      this.place(counter, parent.index)
      this.place(parent, at)
    }
  }

  private siftDown(counter: Counter<A>): void {
    const heap = this.heap
    for (;;) {
      const left = 2 * counter.index + 1
      if (left >= heap.length) return
      const right = heap[left + 1]
      const child = right !== undefined && right.count < heap[left]!.count ? right : heap[left]!
      if (child.count >= counter.count) return
      const at = counter.index
      this.place(counter, child.index)
      this.place(child, at)
    }
  }
}

interface Counter<A> {
  value: A
  count: number
  error: number
  index: number
}

/**
 * Count, min, max, mean and population standard deviation in one pass
 * (Welford's update, numerically stable for large counts).
 */
export class Moments {
  count = 0
  min = Number.POSITIVE_INFINITY
  max = Number.NEGATIVE_INFINITY
  mean = 0
  private m2 = 0

  add(x: number): void {
    this.count++
    const delta = x - this.mean
    this.mean += delta / this.count
    this.m2 += delta * (x - this.mean)
    if (x < this.min) this.min = x
    if (x > this.max) this.max = x
  }

  /** Population standard deviation (divides by n); 0 for fewer than two values. */
  get stddev(): number {
    return this.count < 2 ? 0 : Math.sqrt(this.m2 / this.count)
  }
}

/** The exponent of the smallest positive double, so a bin width is never 0. */
const minExponent = -1074

/** One histogram bin: values in `[lower, upper)`; a single-valued column has one bin with `lower = upper`. */
export interface Bin {
  readonly lower: number
  readonly upper: number
  readonly count: number
}

/**
 * A one-pass histogram with exact counts on power-of-two-aligned bins.
 *
 * The first `maxBins * 4` distinct values are kept exactly; the bin width is
 * then fitted to their range, and whenever a later value would need more than
 * `maxBins` bins, adjacent bins are merged pairwise (the width doubles, bin
 * edges stay aligned, so no count is ever split or estimated).
 *
 * Error bound: counts are exact; only resolution is lost. The final bin width
 * is less than `2 · (max − min) / (maxBins − 1)`, i.e. at most about twice the
 * width of `maxBins` equal bins fitted to the true range after the fact, so
 * the histogram has between roughly `maxBins / 2` and `maxBins` bins. (Bins
 * are never narrower than 2⁻⁴⁹ of the largest magnitude, which only matters
 * for ranges that tiny.) Memory: `maxBins * 4` buffered values, then `maxBins`
 * counters.
 *
 * @example
 * ```ts
 * const histogram = new StreamingHistogram(64)
 * for (const x of values) histogram.add(x)
 * histogram.bins() // [{ lower: 0, upper: 0.5, count: 12 }, ...]
 * ```
 */
export class StreamingHistogram {
  readonly maxBins: number
  private exact: Map<number, number> | null = new Map()
  private exponent = 0
  /** `2^exponent`, and the magnitude from which indices would lose precision, cached off the hot path. */
  private width = 1
  private magnitudeLimit = 2 ** 49
  private low = 0
  private counts: Array<number> = []

  constructor(maxBins = 64) {
    if (!Number.isInteger(maxBins) || maxBins < 2) {
      throw new RangeError(`StreamingHistogram needs at least 2 bins, got ${maxBins}`)
    }
    this.maxBins = maxBins
  }

  add(x: number): void {
    if (this.exact === null) {
      this.insert(x, 1)
      return
    }
    this.exact.set(x, (this.exact.get(x) ?? 0) + 1)
    if (this.exact.size > this.maxBins * 4) this.fitWidth(this.exact)
  }

  /** The bins from the lowest to the highest occupied one, including empty bins in between. */
  bins(): ReadonlyArray<Bin> {
    if (this.exact !== null) {
      if (this.exact.size === 0) return []
      if (this.exact.size === 1) {
        const [value, count] = this.exact.entries().next().value!
        return [{ lower: value, upper: value, count }]
      }
      this.fitWidth(this.exact)
    }
    const width = this.width
    return this.counts.map((count, i) => ({
      lower: (this.low + i) * width,
      upper: (this.low + i + 1) * width,
      count
    }))
  }

  private fitWidth(exact: Map<number, number>): void {
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (const x of exact.keys()) {
      if (x < min) min = x
      if (x > max) max = x
    }
    // The widest power of two that is at most range / (maxBins − 1); insert coarsens as needed.
    this.setExponent(Math.max(minExponent, Math.floor(Math.log2((max - min) / (this.maxBins - 1)))))
    this.exact = null
    for (const [x, count] of exact) this.insert(x, count)
  }

  private insert(x: number, count: number): void {
    // Keeps bin indices below 2^50 so that they stay exact doubles (checked cheaply first: log2 is slow).
    if (Math.abs(x) >= this.magnitudeLimit) {
      const floorExponent = Math.max(minExponent, Math.floor(Math.log2(Math.abs(x))) - 49)
      if (floorExponent > this.exponent) this.coarsen(floorExponent - this.exponent)
    }
    let index = Math.floor(x / this.width)
    if (this.counts.length === 0) {
      this.low = index
      this.counts = [count]
      return
    }
    while (Math.max(index, this.low + this.counts.length - 1) - Math.min(index, this.low) + 1 > this.maxBins) {
      this.coarsen(1)
      index = Math.floor(index / 2)
    }
    if (index < this.low) {
      this.counts = [...new Array<number>(this.low - index).fill(0), ...this.counts]
      this.low = index
    }
    while (index >= this.low + this.counts.length) this.counts.push(0)
    this.counts[index - this.low]! += count
  }

  /** Merges bins `2^steps` at a time, aligned on the new width. */
  private coarsen(steps: number): void {
    const factor = 2 ** steps
    const newLow = Math.floor(this.low / factor)
    const merged: Array<number> = []
    this.counts.forEach((count, i) => {
      const at = Math.floor((this.low + i) / factor) - newLow
      merged[at] = (merged[at] ?? 0) + count
    })
    this.counts = Array.from(merged, (count) => count ?? 0)
    this.low = newLow
    this.setExponent(this.exponent + steps)
  }

  private setExponent(exponent: number): void {
    this.exponent = exponent
    this.width = 2 ** exponent
    this.magnitudeLimit = 2 ** (exponent + 49)
  }
}
