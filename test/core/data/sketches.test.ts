import { assert, describe, it } from "@effect/vitest"
import { HyperLogLog, Moments, SpaceSaving, StreamingHistogram } from "../../../src/core/data/sketches.js"

/** mulberry32: a small seeded PRNG, so every run checks the same streams. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
}

/** Standard normal values (Box–Muller). */
const normals = (count: number, seed: number): Array<number> => {
  const next = random(seed)
  return Array.from({ length: count }, () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()))
}

describe("HyperLogLog", () => {
  for (const distinct of [100_000, 1_000, 10]) {
    it(`estimates ${distinct} distinct values within 3 standard errors`, () => {
      const hll = new HyperLogLog()
      for (let i = 0; i < distinct; i++) hll.add(`user-${i}`)
      const relativeError = Math.abs(hll.estimate() - distinct) / distinct
      assert.isBelow(relativeError, 3 * hll.relativeStandardError)
    })
  }

  it("is not moved by repeated values", () => {
    const once = new HyperLogLog()
    const thrice = new HyperLogLog()
    for (let i = 0; i < 20_000; i++) once.add(String(i))
    for (let round = 0; round < 3; round++) for (let i = 0; i < 20_000; i++) thrice.add(String(i))
    assert.strictEqual(thrice.estimate(), once.estimate())
  })

  it("documents its relative standard error as 1.04 / √m", () => {
    assert.closeTo(new HyperLogLog(14).relativeStandardError, 1.04 / 128, 1e-15)
    assert.closeTo(new HyperLogLog(10).relativeStandardError, 1.04 / 32, 1e-15)
    assert.throws(() => new HyperLogLog(3), RangeError)
  })
})

describe("SpaceSaving", () => {
  // A Zipf(1.1) stream over 10,000 values: the shape of real categorical columns.
  const n = 200_000
  const next = random(7)
  const weights = Array.from({ length: 10_000 }, (_, i) => 1 / (i + 1) ** 1.1)
  const total = weights.reduce((a, b) => a + b, 0)
  const cumulative: Array<number> = []
  let running = 0
  for (const weight of weights) {
    running += weight / total
    cumulative.push(running)
  }
  const draw = (): string => {
    const u = next()
    let lo = 0
    let hi = cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (cumulative[mid]! < u) lo = mid + 1
      else hi = mid
    }
    return `v${lo}`
  }
  const stream = Array.from({ length: n }, draw)
  const truth = new Map<string, number>()
  for (const value of stream) truth.set(value, (truth.get(value) ?? 0) + 1)
  const trueTop = Array.from(truth).sort((a, b) => b[1] - a[1])

  it("finds the true top 10 of a skewed stream, in order", () => {
    const summary = new SpaceSaving(64)
    for (const value of stream) summary.add(value)
    assert.deepStrictEqual(
      summary.top(10).map((hit) => hit.value),
      trueTop.slice(0, 10).map(([value]) => value)
    )
    assert.strictEqual(summary.total, n)
  })

  it("brackets every true count: count − error ≤ true ≤ count, with error ≤ n / capacity", () => {
    const summary = new SpaceSaving(64)
    for (const value of stream) summary.add(value)
    for (const hit of summary.top(64)) {
      const actual = truth.get(hit.value) ?? 0
      assert.isAtMost(hit.count - hit.error, actual, hit.value)
      assert.isAtLeast(hit.count, actual, hit.value)
      assert.isAtMost(hit.error, n / 64)
    }
  })

  it("tracks every value more frequent than n / capacity", () => {
    const summary = new SpaceSaving(64)
    for (const value of stream) summary.add(value)
    const tracked = new Set(summary.top(64).map((hit) => hit.value))
    for (const [value, count] of trueTop.filter(([, count]) => count > n / 64)) {
      assert.isTrue(tracked.has(value), `${value} (${count}) was lost`)
    }
  })

  it("is exact while the distinct values fit in its capacity", () => {
    const summary = new SpaceSaving(8)
    for (const value of ["b", "a", "b", "c", "b", "a"]) summary.add(value)
    assert.deepStrictEqual(summary.top(5), [
      { value: "b", count: 3, error: 0 },
      { value: "a", count: 2, error: 0 },
      { value: "c", count: 1, error: 0 }
    ])
  })
})

describe("Moments", () => {
  it("matches a two-pass computation, even far from zero", () => {
    const values = normals(10_000, 3).map((x) => 1e9 + x)
    const moments = new Moments()
    for (const x of values) moments.add(x)
    // The reference works on the offsets, which subtract exactly, so it is accurate to well below the tolerance.
    const offsets = values.map((x) => x - 1e9)
    const offsetMean = offsets.reduce((a, b) => a + b, 0) / offsets.length
    const stddev = Math.sqrt(offsets.reduce((a, b) => a + (b - offsetMean) ** 2, 0) / offsets.length)
    // Running means of values near 1e9 (ulp 1.2e-7) drift by a few dozen ulps; the spread stays exact.
    assert.closeTo(moments.mean - 1e9, offsetMean, 1e-5)
    assert.closeTo(moments.stddev, stddev, 1e-6)
    assert.strictEqual(moments.min, Math.min(...values))
    assert.strictEqual(moments.max, Math.max(...values))
  })
})

describe("StreamingHistogram", () => {
  const check = (values: ReadonlyArray<number>, maxBins = 64) => {
    const histogram = new StreamingHistogram(maxBins)
    for (const x of values) histogram.add(x)
    const bins = histogram.bins()
    const min = Math.min(...values)
    const max = Math.max(...values)
    assert.isAtMost(bins.length, maxBins)
    // Contiguous, and every count exact: recount the values against the reported edges.
    for (let i = 1; i < bins.length; i++) assert.strictEqual(bins[i]!.lower, bins[i - 1]!.upper)
    for (const bin of bins) {
      assert.strictEqual(
        bin.count,
        values.filter((x) => bin.lower <= x && x < bin.upper).length,
        `[${bin.lower}, ${bin.upper})`
      )
    }
    assert.isAtMost(bins[0]!.lower, min)
    assert.isAbove(bins.at(-1)!.upper, max)
    // The documented resolution bound.
    assert.isBelow(bins[0]!.upper - bins[0]!.lower, (2 * (max - min)) / (maxBins - 1))
    return bins
  }

  it("keeps exact counts and the width bound on 50,000 normal values", () => {
    const bins = check(normals(50_000, 11))
    assert.isAtLeast(bins.length, 16)
  })

  it("keeps them when the range only grows late in the stream", () => {
    check([...normals(5_000, 5), 1e4, -3e4])
  })

  it("keeps them for a few distinct integers", () => {
    check([3, 3, 4, 10, 10, 10, 7])
  })

  it("gives one degenerate bin for a single value, and none for no value", () => {
    const histogram = new StreamingHistogram()
    for (let i = 0; i < 5; i++) histogram.add(2.5)
    assert.deepStrictEqual(histogram.bins(), [{ lower: 2.5, upper: 2.5, count: 5 }])
    assert.deepStrictEqual(new StreamingHistogram().bins(), [])
  })
})
