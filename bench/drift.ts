/**
 * Drift benchmark: a check of 1,000,000 rows × 20 numeric features held in
 * memory against a 100,000-row reference (PSI over deciles, KS D and its
 * p-value per feature) through `compareColumns`, against the baseline one
 * would write first — sort each batch column (`Float64Array.prototype.sort`)
 * and merge it with the sorted reference for D. The baseline computes less
 * (no PSI, no p-value), so the ratio flatters it.
 *
 * Each path runs `rounds` times, alternating, and keeps its fastest round:
 * the machine is shared, and the minimum is the least disturbed figure.
 * Half the features are shifted, so both drifted and stable paths are timed.
 *
 * Run with `npm run bench -- drift`.
 */
import { Effect } from "effect"
import { compareColumns, profileColumns } from "../src/operations/drift/compare.js"
import { DriftConfig, DriftFeature } from "../src/operations/drift/model.js"
import { normal } from "../test/support/synthetic.js"
import type { Figure } from "./report.js"

const features = 20
const batchRows = 1_000_000
const referenceRows = 100_000
const rounds = 3

const makeColumns = (seed: number, rows: number, shifted: boolean): Record<string, Float64Array> => {
  const columns: Record<string, Float64Array> = {}
  for (let f = 0; f < features; f++) {
    // Rounded to cents, as prices and amounts are: ties are part of the workload.
    const column = normal(seed + f, rows, 100, 15)
    const shift = shifted && f % 2 === 0 ? 15 : 0
    for (let i = 0; i < rows; i++) column[i] = Math.round((column[i]! + shift) * 100) / 100
    columns[`f${f}`] = column
  }
  return columns
}

/** The baseline: D from both columns sorted and walked together. */
const sortedKs = (sortedReference: Float64Array, batch: Float64Array): number => {
  const sorted = Float64Array.from(batch).sort()
  let i = 0
  let j = 0
  let d = 0
  while (i < sortedReference.length && j < sorted.length) {
    const v = Math.min(sortedReference[i]!, sorted[j]!)
    while (i < sortedReference.length && sortedReference[i] === v) i++
    while (j < sorted.length && sorted[j] === v) j++
    d = Math.max(d, Math.abs(i / sortedReference.length - j / sorted.length))
  }
  return d
}

const time = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now()
  await work()
  return performance.now() - started
}

export const runDrift = async (): Promise<ReadonlyArray<Figure>> => {
  const feature = (f: number) => new DriftFeature({ name: `f${f}`, kind: "numeric" })
  const config = new DriftConfig({
    features: [feature(0), ...Array.from({ length: features - 1 }, (_, f) => feature(f + 1))]
  })
  const reference = makeColumns(1, referenceRows, false)
  const batch = makeColumns(1000, batchRows, true)
  const profile = await Effect.runPromise(profileColumns(config, reference))
  const sortedReferences = Object.values(reference).map((column) => Float64Array.from(column).sort())

  let check = Number.POSITIVE_INFINITY
  let baseline = Number.POSITIVE_INFINITY
  let drifted = 0
  for (let round = 0; round < rounds; round++) {
    check = Math.min(
      check,
      await time(async () => {
        drifted = (await Effect.runPromise(compareColumns(profile, batch))).driftedFeatures
      })
    )
    baseline = Math.min(
      baseline,
      await time(async () => {
        for (let f = 0; f < features; f++) sortedKs(sortedReferences[f]!, batch[`f${f}`]!)
      })
    )
  }
  if (drifted !== features / 2) throw new Error(`expected ${features / 2} drifted features, found ${drifted}`)
  const profiling = await time(() => Effect.runPromise(profileColumns(config, reference)))
  return [
    {
      name: `drift check ${batchRows.toLocaleString("en-US")} rows × ${features} numeric features vs ${referenceRows.toLocaleString("en-US")}-row reference (PSI + KS + p-value)`,
      unit: "ms",
      value: Math.round(check),
      baseline: { name: "sort each batch column + merge KS", value: Math.round(baseline) },
      ratio: check / baseline
    },
    {
      name: `drift reference profile ${referenceRows.toLocaleString("en-US")} rows × ${features} features (once per reference)`,
      unit: "ms",
      value: Math.round(profiling)
    }
  ]
}
