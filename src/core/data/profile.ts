import {
  ColumnProfile,
  ColumnSchema,
  type ColumnType,
  type DataRecord,
  DatasetProfile,
  DatasetSchema,
  type DataValue,
  DistinctEstimate,
  HistogramBin,
  NumericSummary,
  TopValue
} from "./model.js"
import { HyperLogLog, Moments, SpaceSaving, StreamingHistogram } from "./sketches.js"

/** Columns beyond this are refused, so a JSONL file with ever-new keys cannot grow the profile without bound. */
export const maxColumns = 1000

const topValuesCapacity = 64
const topValuesReported = 10
const histogramBins = 64

const datetimePattern =
  /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)?)?$/

// Observed kinds of values, as bits, so a column's type is a bitwise OR per value.
const INTEGER = 1
const NUMBER = 2
const BOOLEAN = 4
const DATETIME = 8
const STRING = 16
const JSON_VALUE = 32

const typeOfKinds = (kinds: number): ColumnType => {
  if (kinds === 0) return "null"
  if ((kinds & ~(INTEGER | NUMBER)) === 0) return kinds === INTEGER ? "integer" : "number"
  if (kinds === BOOLEAN) return "boolean"
  if (kinds === DATETIME) return "datetime"
  if (kinds === JSON_VALUE) return "json"
  return "string"
}

class ColumnAccumulator {
  kinds = 0
  count = 0
  readonly distinct = new HyperLogLog()
  readonly moments = new Moments()
  readonly histogram = new StreamingHistogram(histogramBins)
  /**
   * Started at the first non-numeric value: numeric columns report no top
   * values, so they skip its cost (an eviction per value on unique numbers).
   */
  private top: SpaceSaving<string | number> | undefined
  /** Numbers seen before `top` started. */
  private numbersBeforeTop = 0

  constructor(readonly name: string) {}

  add(value: Exclude<DataValue, null>): void {
    this.count++
    if (typeof value === "number") {
      this.kinds |= Number.isInteger(value) ? INTEGER : NUMBER
      this.moments.add(value)
      this.histogram.add(value)
      this.distinct.add(value)
      if (this.top === undefined) this.numbersBeforeTop++
      else this.top.add(value)
      return
    }
    let key: string
    if (typeof value === "string") {
      this.kinds |= datetimePattern.test(value) ? DATETIME : STRING
      key = value
    } else if (typeof value === "boolean") {
      this.kinds |= BOOLEAN
      key = value ? "true" : "false"
    } else {
      this.kinds |= JSON_VALUE
      key = JSON.stringify(value)
    }
    this.distinct.add(key)
    this.top ??= new SpaceSaving(topValuesCapacity)
    this.top.add(key)
  }

  private topValues(): ReadonlyArray<TopValue> {
    if (this.top === undefined) return []
    return this.top
      .top(this.top.capacity)
      .map((hit) => {
        // A number may also be among those counted before the summary started: its bounds widen by them.
        const unseen = typeof hit.value === "number" ? this.numbersBeforeTop : 0
        return new TopValue({ value: String(hit.value), count: hit.count + unseen, error: hit.error + unseen })
      })
      .sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .slice(0, topValuesReported)
  }

  result(rowCount: number): { readonly schema: ColumnSchema; readonly profile: ColumnProfile } {
    const type = typeOfKinds(this.kinds)
    const count = this.count
    const numeric = type === "integer" || type === "number"
    return {
      schema: new ColumnSchema({ name: this.name, type, nullable: count < rowCount }),
      profile: new ColumnProfile({
        name: this.name,
        type,
        count,
        nullCount: rowCount - count,
        distinct: new DistinctEstimate({
          // Never more than the values seen: the estimate's error cannot exceed what is known exactly.
          estimate: Math.min(count, Math.round(this.distinct.estimate())),
          relativeStandardError: this.distinct.relativeStandardError
        }),
        topValues: numeric ? [] : this.topValues(),
        numeric: numeric
          ? new NumericSummary({
              min: this.moments.min,
              max: this.moments.max,
              mean: this.moments.mean,
              stddev: this.moments.stddev,
              histogram: this.histogram.bins().map((bin) => new HistogramBin(bin))
            })
          : null
      })
    }
  }
}

/**
 * Infers the schema and computes the profile of records seen one at a time.
 * Memory is bounded by the number of columns (at most {@link maxColumns}).
 *
 * @example
 * ```ts
 * const profiler = new Profiler()
 * for (const record of records) profiler.add(record)
 * const { schema, profile } = profiler.result()
 * ```
 */
export class Profiler {
  private rows = 0
  private readonly columns = new Map<string, ColumnAccumulator>()

  /** Adds one record; returns why it was refused (too many columns), or `undefined`. */
  add(record: DataRecord): string | undefined {
    this.rows++
    for (const name in record) {
      let column = this.columns.get(name)
      if (column === undefined) {
        if (this.columns.size >= maxColumns) return `more than ${maxColumns} distinct columns`
        column = new ColumnAccumulator(name)
        this.columns.set(name, column)
      }
      const value = record[name]
      if (value !== null && value !== undefined) column.add(value)
    }
    return undefined
  }

  result(): { readonly schema: DatasetSchema; readonly profile: DatasetProfile } {
    const results = Array.from(this.columns.values(), (column) => column.result(this.rows))
    return {
      schema: new DatasetSchema({ columns: results.map((r) => r.schema) }),
      profile: new DatasetProfile({ rowCount: this.rows, columns: results.map((r) => r.profile) })
    }
  }
}
