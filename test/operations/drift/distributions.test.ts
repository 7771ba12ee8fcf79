import { assert, describe, it } from "@effect/vitest"
import { chiSquareSf, kolmogorovSf, logGamma, smirnovSf } from "../../../src/operations/drift/distributions.js"
import { close, fixtures } from "./fixtures.js"

describe("drift distributions against SciPy", () => {
  it("kolmogorovSf matches kstwo.sf over every method region (Ruben–Gambino, Durbin, Smirnov, Pelz–Good)", () => {
    for (const { n, x, sf } of fixtures.kolmogorovSf) {
      const actual = kolmogorovSf(n, x)
      assert.isTrue(close(actual, sf, 1e-10, 1e-8), `n=${n} x=${x}: ${actual} vs ${sf}`)
    }
  })

  it("smirnovSf matches special.smirnov", () => {
    for (const { n, x, sf } of fixtures.smirnovSf) {
      const actual = smirnovSf(n, x)
      assert.isTrue(close(actual, sf, 1e-14, 1e-9), `n=${n} x=${x}: ${actual} vs ${sf}`)
    }
  })

  it("chiSquareSf matches chi2.sf, tiny tails included", () => {
    for (const { x, df, sf } of fixtures.chi2Sf) {
      const actual = chiSquareSf(x, df)
      assert.isTrue(close(actual, sf, 1e-15, 1e-10), `x=${x} df=${df}: ${actual} vs ${sf}`)
    }
  })

  it("logGamma is ln((n-1)!) on integers", () => {
    assert.closeTo(logGamma(1), 0, 1e-14)
    assert.closeTo(logGamma(11), Math.log(3628800), 1e-12)
  })

  it("tails are 1 at or below 0 and 0 at or above the support's end", () => {
    assert.strictEqual(kolmogorovSf(50, 0), 1)
    assert.strictEqual(kolmogorovSf(50, 1), 0)
    assert.strictEqual(chiSquareSf(0, 3), 1)
    assert.strictEqual(smirnovSf(10, 1), 0)
  })
})
