import { Chunk, Effect, Stream } from "effect"
import type { DataRecord, DataValue } from "../../core/data/model.js"
import type { Columns } from "./compare.js"
import { DriftColumnTypeMismatch, DriftFeatureMissing, type DriftSide } from "./errors.js"
import type { DriftFeature } from "./model.js"

/** A `Float64Array` that doubles its capacity, so a column of unknown length is copied O(log n) times. */
class NumberBuffer {
  private values = new Float64Array(1024)
  length = 0
  push(x: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2)
      grown.set(this.values)
      this.values = grown
    }
    this.values[this.length++] = x
  }
  toArray(): Float64Array {
    return this.values.slice(0, this.length)
  }
}

const typeName = (value: DataValue): string => (Array.isArray(value) ? "array" : typeof value)

/**
 * Reads the configured features of a record stream (e.g. `Datasets.records`
 * of a registered version) into columns: numbers stay numbers and a missing
 * or null value is `NaN`; categories are strings, numbers and booleans
 * rendered as text, and `null` when missing.
 */
export const columnsFromRecords = <E>(
  features: ReadonlyArray<DriftFeature>,
  side: DriftSide,
  records: Stream.Stream<DataRecord, E>
): Effect.Effect<Columns, E | DriftFeatureMissing | DriftColumnTypeMismatch> => {
  const numeric = features.map((f) => (f.kind === "numeric" ? new NumberBuffer() : undefined))
  const categorical = features.map((f) => (f.kind === "categorical" ? ([] as (string | null)[]) : undefined))
  const present = features.map(() => false)
  let row = 0
  const read = (record: DataRecord): DriftColumnTypeMismatch | undefined => {
    for (let i = 0; i < features.length; i++) {
      const value = record[features[i]!.name]
      if (value !== undefined) present[i] = true
      const numbers = numeric[i]
      const categories = categorical[i]
      if (numbers !== undefined) {
        if (typeof value === "number") numbers.push(value)
        else if (value === null || value === undefined) numbers.push(Number.NaN)
        else return mismatch(features[i]!, value)
      } else if (categories !== undefined) {
        if (value === null || value === undefined) categories.push(null)
        else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
          categories.push(String(value))
        } else return mismatch(features[i]!, value)
      }
    }
    row++
    return undefined
  }
  const mismatch = (feature: DriftFeature, value: DataValue) =>
    new DriftColumnTypeMismatch({
      feature: feature.name,
      side,
      expected: feature.kind,
      actual: `a ${typeName(value)} at record ${row}`
    })
  return records.pipe(
    Stream.runForEachChunk((chunk) =>
      Effect.suspend(() => {
        for (const record of Chunk.toReadonlyArray(chunk)) {
          const error = read(record)
          if (error !== undefined) return Effect.fail(error)
        }
        return Effect.void
      })
    ),
    Effect.flatMap(() => {
      const absent = features.findIndex((_, i) => !present[i])
      if (absent !== -1) return Effect.fail(new DriftFeatureMissing({ feature: features[absent]!.name, side }))
      const columns: Record<string, Float64Array | ReadonlyArray<string | null>> = {}
      features.forEach((feature, i) => {
        columns[feature.name] = numeric[i]?.toArray() ?? categorical[i] ?? []
      })
      return Effect.succeed(columns)
    })
  )
}
