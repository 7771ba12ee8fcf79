import * as fs from "node:fs"

interface NumericCase {
  readonly name: string
  readonly reference: ReadonlyArray<number>
  readonly batch: ReadonlyArray<number>
  readonly ksStatistic: number
  readonly ksPValue: number
  readonly psi: number
  readonly psiEdges: ReadonlyArray<number>
}

interface CategoricalCase {
  readonly name: string
  readonly referenceCounts: Readonly<Record<string, number>>
  readonly batchCounts: Readonly<Record<string, number>>
  readonly chi2: number
  readonly pValue: number
  readonly dof: number
  readonly cramersV: number
}

/** SciPy's values, written by scripts/drift-reference.py. */
export interface DriftFixtures {
  readonly psiEpsilon: number
  readonly numeric: ReadonlyArray<NumericCase>
  readonly categorical: ReadonlyArray<CategoricalCase>
  readonly kolmogorovSf: ReadonlyArray<{ readonly n: number; readonly x: number; readonly sf: number }>
  readonly smirnovSf: ReadonlyArray<{ readonly n: number; readonly x: number; readonly sf: number }>
  readonly chi2Sf: ReadonlyArray<{ readonly x: number; readonly df: number; readonly sf: number }>
}

export const fixtures: DriftFixtures = JSON.parse(
  fs.readFileSync(new URL("../../fixtures/drift/reference.json", import.meta.url), "utf8")
)

/** A categorical column holding each category `count` times. */
export const expand = (counts: Readonly<Record<string, number>>): Array<string> =>
  Object.entries(counts).flatMap(([category, count]) => Array.from({ length: count }, () => category))

/** |actual − expected| within an absolute or a relative tolerance (p-values span many orders of magnitude). */
export const close = (actual: number, expected: number, absolute: number, relative: number): boolean =>
  Math.abs(actual - expected) <= Math.max(absolute, relative * Math.abs(expected))
