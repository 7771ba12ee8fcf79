import { Chunk, Effect, Schema, Stream } from "effect"
import { InvalidArgument } from "../errors.js"
import { TransformFailed } from "./errors.js"
import { type DataRecord, DatasetVersionRef, type DataValue, TransformStep, type VersionKey } from "./model.js"
import { hash64, Moments } from "./sketches.js"

/** Why a transform stopped: a record it cannot process, or invalid parameters. */
export type TransformError = TransformFailed | InvalidArgument

/**
 * A composable, describable operation on a stream of records. `apply` is
 * lazy and streaming (one record at a time, nothing buffered), and
 * `describe()` is the JSON-serialisable description recorded with a version
 * derived through it.
 *
 * @example
 * ```ts
 * const clean = Transform.select(["age", "income", "city"])
 *   .andThen(Transform.fillMissing({ city: "unknown" }))
 *   .andThen(Transform.filter("adults", (r) => typeof r.age === "number" && r.age >= 18))
 * clean.describe() // [{ op: "select", ... }, { op: "fillMissing", ... }, { op: "filter", ... }]
 * ```
 */
export interface Transform {
  readonly describe: () => ReadonlyArray<TransformStep>
  readonly apply: <E>(records: Stream.Stream<DataRecord, E>) => Stream.Stream<DataRecord, E | TransformError>
  /** This transform, then `next`. */
  readonly andThen: (next: Transform) => Transform
}

const make = (
  steps: ReadonlyArray<TransformStep>,
  apply: <E>(records: Stream.Stream<DataRecord, E>) => Stream.Stream<DataRecord, E | TransformError>
): Transform => {
  const self: Transform = { describe: () => steps, apply, andThen: (next) => sequence(self, next) }
  return self
}

/** Transforms applied one after the other; with none, records pass unchanged. */
const sequence = (...transforms: ReadonlyArray<Transform>): Transform =>
  make(
    transforms.flatMap((t) => t.describe()),
    <E>(records: Stream.Stream<DataRecord, E>) =>
      transforms.reduce<Stream.Stream<DataRecord, E | TransformError>>((stream, t) => t.apply(stream), records)
  )

/**
 * A step that maps each record (with its 0-based position in the step's
 * input) to a new record, `undefined` to drop it, or a failure. Works a chunk
 * at a time so no effect is allocated per record.
 */
const perRecord = (
  step: TransformStep,
  f: (record: DataRecord, row: number) => DataRecord | undefined | TransformError
): Transform =>
  make([step], (records) =>
    Stream.suspend(() => {
      let row = 0
      return Stream.mapChunksEffect(records, (chunk) => {
        const out: Array<DataRecord> = []
        for (const record of chunk) {
          const result = f(record, row++)
          if (result instanceof TransformFailed || result instanceof InvalidArgument) return Effect.fail(result)
          if (result !== undefined) out.push(result)
        }
        return Effect.succeed(Chunk.unsafeFromArray(out))
      })
    })
  )

const failing = (step: TransformStep, error: InvalidArgument): Transform => make([step], () => Stream.fail(error))

const isMissing = (value: DataValue | undefined): value is null | undefined => value === null || value === undefined

/** Keeps the listed columns, in that order; a column a record lacks becomes `null`. */
const select = (columns: ReadonlyArray<string>): Transform =>
  perRecord(new TransformStep({ op: "select", args: { columns } }), (record) =>
    Object.fromEntries(columns.map((column) => [column, record[column] ?? null]))
  )

/** Renames columns (`{ old: "new" }`), keeping their order. Renaming onto a column that stays is refused. */
const rename = (mapping: Readonly<Record<string, string>>): Transform => {
  const step = new TransformStep({ op: "rename", args: { mapping } })
  const targets = Object.values(mapping)
  if (new Set(targets).size !== targets.length) {
    return failing(
      step,
      new InvalidArgument({ field: "rename.mapping", reason: "two columns are renamed to the same name" })
    )
  }
  return perRecord(step, (record, row) => {
    const entries = Object.entries(record).map(([key, value]) => [mapping[key] ?? key, value] as const)
    const renamed = Object.fromEntries(entries)
    return Object.keys(renamed).length === entries.length
      ? renamed
      : new TransformFailed({ op: "rename", row, reason: "a column is renamed onto a column that is kept" })
  })
}

/**
 * Keeps the records for which `predicate` holds. A function cannot be
 * serialised, so `description` stands for it in `describe()`.
 */
const filter = (description: string, predicate: (record: DataRecord) => boolean): Transform =>
  perRecord(new TransformStep({ op: "filter", args: { description } }), (record) =>
    predicate(record) ? record : undefined
  )

/** Replaces missing values (`null` or absent) of the given columns with constants. */
const fillMissing = (values: Readonly<Record<string, DataValue>>): Transform => {
  const columns = Object.entries(values)
  return perRecord(new TransformStep({ op: "fillMissing", args: { values } }), (record) => {
    if (columns.every(([column]) => !isMissing(record[column]))) return record
    const filled: Record<string, DataValue> = { ...record }
    for (const [column, value] of columns) if (isMissing(record[column])) filled[column] = value
    return filled
  })
}

/** Mean and population standard deviation of a column, as fitted. */
export class ColumnStatistics extends Schema.Class<ColumnStatistics>("ColumnStatistics")({
  mean: Schema.Number,
  stddev: Schema.Number
}) {}

/**
 * Statistics fitted on one split (see {@link fitStandardizer}) and applied to
 * any split with {@link Transform.standardize}, so validation and test data
 * are scaled exactly as the training data was.
 */
export class Standardizer extends Schema.Class<Standardizer>("Standardizer")({
  columns: Schema.Record({ key: Schema.String, value: ColumnStatistics }),
  /** The version the statistics were fitted on, when known. */
  fittedOn: Schema.NullOr(DatasetVersionRef)
}) {}

/**
 * Fits a {@link Standardizer} in one pass (Welford): every non-missing value
 * of the columns must be a number.
 *
 * @example
 * ```ts
 * const scaler = yield* fitStandardizer(datasets.records(DataSource.version("train", 1)), ["age"], {
 *   fittedOn: { name: "train", version: 1 }
 * })
 * ```
 */
export const fitStandardizer = <E>(
  records: Stream.Stream<DataRecord, E>,
  columns: ReadonlyArray<string>,
  options: { readonly fittedOn?: VersionKey } = {}
): Effect.Effect<Standardizer, E | TransformError> =>
  Effect.suspend(() => {
    const moments = columns.map(() => new Moments())
    let row = 0
    return Stream.runForEachChunk(records, (chunk) => {
      for (const record of chunk) {
        for (let i = 0; i < columns.length; i++) {
          const value = record[columns[i]!]
          if (isMissing(value)) continue
          if (typeof value !== "number") {
            return Effect.fail(
              new TransformFailed({
                op: "fitStandardizer",
                row,
                reason: `column "${columns[i]}" has the non-numeric value ${JSON.stringify(value)}`
              })
            )
          }
          moments[i]!.add(value)
        }
        row++
      }
      return Effect.void
    }).pipe(
      Effect.flatMap(() => {
        const empty = columns.findIndex((_, i) => moments[i]!.count === 0)
        if (empty !== -1) {
          return Effect.fail(
            new InvalidArgument({ field: `columns.${columns[empty]}`, reason: "has no numeric values to fit" })
          )
        }
        return Effect.succeed(
          new Standardizer({
            columns: Object.fromEntries(
              columns.map((column, i) => [
                column,
                new ColumnStatistics({ mean: moments[i]!.mean, stddev: moments[i]!.stddev })
              ])
            ),
            fittedOn:
              options.fittedOn === undefined
                ? null
                : new DatasetVersionRef({ name: options.fittedOn.name, version: options.fittedOn.version })
          })
        )
      })
    )
  })

/**
 * `(x − mean) / stddev` with the fitted statistics (a column with `stddev` 0
 * is only centred, as scikit-learn does). Missing values stay missing; any
 * other non-number fails.
 */
const standardize = (standardizer: Standardizer): Transform => {
  const columns = Object.entries(standardizer.columns)
  const step = new TransformStep({ op: "standardize", args: Schema.encodeSync(Standardizer)(standardizer) })
  return perRecord(step, (record, row) => {
    const scaled: Record<string, DataValue> = { ...record }
    for (const [column, { mean, stddev }] of columns) {
      const value = record[column]
      if (isMissing(value)) continue
      if (typeof value !== "number") {
        return new TransformFailed({
          op: "standardize",
          row,
          reason: `column "${column}" has the non-numeric value ${JSON.stringify(value)}`
        })
      }
      scaled[column] = (value - mean) / (stddev === 0 ? 1 : stddev)
    }
    return scaled
  })
}

/** Options of {@link Transform.split}. */
export interface SplitOptions<K extends string> {
  readonly seed: number
  /** Fraction of records per split, e.g. `{ train: 0.8, validation: 0.1, test: 0.1 }`; they must sum to 1. */
  readonly fractions: Readonly<Record<K, number>>
  /**
   * Assign by this column's value instead of by record position, so a record
   * keeps its split when the file is reordered or grows.
   */
  readonly by?: string
}

/**
 * A seeded split into disjoint parts: one transform per part. Each record is
 * assigned by hashing `(seed, position or key)` to `[0, 1)`, so the parts
 * are reproducible, streaming (no shuffle buffer) and disjoint, and together
 * they cover every record. Part sizes are binomial around the fractions
 * (±√(n·f·(1−f)) records), not exact.
 *
 * @example
 * ```ts
 * const { train, validation, test } = Transform.split({ seed: 42, fractions: { train: 0.8, validation: 0.1, test: 0.1 } })
 * yield* datasets.derive({ name: "customers-train", from: v1, transform: train })
 * ```
 */
const split = <const K extends string>(options: SplitOptions<K>): Readonly<Record<K, Transform>> => {
  const parts = Object.entries(options.fractions) as Array<[K, number]>
  const total = parts.reduce((sum, [, fraction]) => sum + fraction, 0)
  const invalid = parts.some(([, fraction]) => !Number.isFinite(fraction) || fraction < 0) || Math.abs(total - 1) > 1e-9
  // Upper bound of each part on [0, 1): the running sum of the fractions.
  const bounds = parts.map((_, i) => parts.slice(0, i + 1).reduce((sum, [, fraction]) => sum + fraction, 0))
  const partOf = (unit: number): number => {
    const at = bounds.findIndex((bound) => unit < bound)
    return at === -1 ? parts.length - 1 : at
  }
  return Object.fromEntries(
    parts.map(([name], index) => {
      const step = new TransformStep({
        op: "split",
        args: {
          seed: options.seed,
          fractions: options.fractions,
          take: name,
          ...(options.by ? { by: options.by } : {})
        }
      })
      if (invalid) {
        return [
          name,
          failing(step, new InvalidArgument({ field: "split.fractions", reason: "must be non-negative and sum to 1" }))
        ]
      }
      const transform = perRecord(step, (record, row) => {
        const key = options.by === undefined ? String(row) : JSON.stringify(record[options.by] ?? null)
        const unit = hash64(`${options.seed}\u0000${key}`)[0] / 2 ** 32
        return partOf(unit) === index ? record : undefined
      })
      return [name, transform]
    })
  ) as Record<K, Transform>
}

/**
 * Constructors of {@link Transform}s.
 *
 * @example
 * ```ts
 * const prepare = Transform.sequence(
 *   Transform.rename({ Age: "age" }),
 *   Transform.fillMissing({ age: 0 }),
 *   Transform.standardize(scaler)
 * )
 * ```
 */
export const Transform = {
  select,
  rename,
  filter,
  fillMissing,
  standardize,
  split,
  sequence
} as const
