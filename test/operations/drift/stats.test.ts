import { assert, describe, it } from "@effect/vitest"
import {
  chiSquareTest,
  countBatch,
  countCategories,
  ksTest,
  numericReference,
  PSI_EPSILON,
  psi
} from "../../../src/operations/drift/stats.js"
import { close, expand, fixtures } from "./fixtures.js"
import { normal, random } from "../../support/synthetic.js"

/** The textbook statistic: sort both samples and walk them together. */
const naiveKs = (a: Float64Array, b: Float64Array): number => {
  const x = Float64Array.from(a).sort()
  const y = Float64Array.from(b).sort()
  let i = 0
  let j = 0
  let d = 0
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!)
    while (i < x.length && x[i] === v) i++
    while (j < y.length && y[j] === v) j++
    d = Math.max(d, Math.abs(i / x.length - j / y.length))
  }
  return d
}

describe("numeric drift statistics against SciPy", () => {
  it("uses the fixture's epsilon", () => assert.strictEqual(PSI_EPSILON, fixtures.psiEpsilon))

  for (const c of fixtures.numeric) {
    it(`${c.name}: KS D, KS p-value, PSI edges and PSI`, () => {
      const reference = numericReference(Float64Array.from(c.reference), 10)
      const counts = countBatch(reference, Float64Array.from(c.batch))
      const ks = ksTest(reference, counts)
      assert.closeTo(ks.statistic, c.ksStatistic, 1e-12)
      assert.isTrue(close(ks.pValue, c.ksPValue, 1e-10, 1e-6), `${ks.pValue} vs ${c.ksPValue}`)
      assert.deepStrictEqual(Array.from(reference.edges), c.psiEdges)
      assert.closeTo(psi(reference, counts), c.psi, 1e-9)
    })
  }
})

describe("KS without sorting the batch", () => {
  it("equals the sort-based statistic on seeded data with heavy ties and values outside the reference", () => {
    const uniform = random(11)
    const ties = (n: number, shift: number) =>
      Float64Array.from({ length: n }, () => Math.round(uniform() * 40 + shift) / 4)
    for (const [reference, batch] of [
      [ties(5000, 0), ties(7000, 3)],
      [normal(1, 3000), normal(2, 4000, 0.2, 1.3)]
    ] as const) {
      const profile = numericReference(reference, 10)
      assert.closeTo(ksTest(profile, countBatch(profile, batch)).statistic, naiveKs(reference, batch), 1e-12)
    }
  })

  it("orders infinities and leaves NaN out as missing", () => {
    const profile = numericReference(Float64Array.from([Number.NEGATIVE_INFINITY, 1, 2, 3, Number.NaN]), 4)
    const counts = countBatch(
      profile,
      Float64Array.from([Number.NEGATIVE_INFINITY, 2, Number.POSITIVE_INFINITY, Number.NaN])
    )
    assert.strictEqual(profile.missing, 1)
    assert.strictEqual(counts.missing, 1)
    assert.strictEqual(counts.count, 3)
    // the largest gap is just below +∞: F_ref(3) = 1, F_batch(3) = 2/3
    assert.closeTo(ksTest(profile, counts).statistic, 1 / 3, 1e-12)
  })

  it("a constant reference has one distinct value and still places every batch value", () => {
    const profile = numericReference(Float64Array.from([5, 5, 5]), 10)
    const counts = countBatch(profile, Float64Array.from([4, 5, 6, 6]))
    assert.deepStrictEqual(Array.from(counts.counts), [1, 1, 2])
    assert.closeTo(ksTest(profile, counts).statistic, 0.5, 1e-12)
  })
})

describe("categorical drift statistics against SciPy", () => {
  for (const c of fixtures.categorical) {
    it(`${c.name}: chi-square, p-value, dof and Cramér's V`, () => {
      const test = chiSquareTest(countCategories(expand(c.referenceCounts)), countCategories(expand(c.batchCounts)))
      assert.isTrue(close(test.statistic, c.chi2, 1e-12, 1e-12))
      assert.isTrue(close(test.pValue, c.pValue, 1e-14, 1e-9), `${test.pValue} vs ${c.pValue}`)
      assert.strictEqual(test.dof, c.dof)
      assert.closeTo(test.cramersV, c.cramersV, 1e-12)
    })
  }

  it("lists batch categories the reference never saw, and counts null as missing", () => {
    const test = chiSquareTest(countCategories(["a", "b", null]), countCategories(["a", "c", "d", null, null]))
    assert.deepStrictEqual(test.unseen, ["c", "d"])
    assert.strictEqual(countCategories(["a", null, null]).missing, 2)
  })

  it("a single category on both sides is no evidence of drift", () => {
    const test = chiSquareTest(countCategories(["a", "a"]), countCategories(["a"]))
    assert.deepStrictEqual([test.statistic, test.dof, test.pValue, test.cramersV, test.psi], [0, 0, 1, 0, 0])
  })
})
