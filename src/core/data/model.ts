import { Schema, type Stream } from "effect"
import type { Transform } from "./transforms.js"

/** The file formats a dataset version can be registered from. Parquet may follow. */
export const DatasetFormat = Schema.Literal("csv", "jsonl")
export type DatasetFormat = typeof DatasetFormat.Type

/**
 * A value of a record. CSV cells are typed one by one: an empty cell is
 * `null`; `true`/`false` (any case) are booleans; decimal numbers without a
 * leading zero (`42`, `-0.5`, `1e3`) are numbers; everything else, including
 * identifiers such as `007`, stays a string. JSONL values are kept as parsed,
 * nested arrays and objects included.
 */
export type DataValue = null | boolean | number | string | ReadonlyArray<DataValue> | DataObject

/** A nested JSON object inside a record (JSONL only). */
export interface DataObject {
  readonly [key: string]: DataValue
}

/** One record (a CSV row or a JSONL line), keyed by column name. */
export type DataRecord = DataObject

/**
 * The inferred type of a column, from its non-null values: `integer` and
 * `number` (any mix of the two is `number`), `boolean`, `datetime` (ISO 8601
 * dates and date-times, kept as strings in records), `string`, `json` (nested
 * arrays or objects), `null` when every value is missing. Values of otherwise
 * incompatible types widen to `string`.
 */
export const ColumnType = Schema.Literal("integer", "number", "boolean", "datetime", "string", "json", "null")
export type ColumnType = typeof ColumnType.Type

export class ColumnSchema extends Schema.Class<ColumnSchema>("ColumnSchema")({
  name: Schema.String,
  type: ColumnType,
  /** Whether at least one record lacks a value for the column. */
  nullable: Schema.Boolean
}) {}

/** Inferred column schema, in column order (CSV header order, or order of first appearance in JSONL). */
export class DatasetSchema extends Schema.Class<DatasetSchema>("DatasetSchema")({
  columns: Schema.Array(ColumnSchema)
}) {}

/** One histogram bin: `count` values in `[lower, upper)` (`lower = upper` for a single-valued column). */
export class HistogramBin extends Schema.Class<HistogramBin>("HistogramBin")({
  lower: Schema.Number,
  upper: Schema.Number,
  count: Schema.NonNegativeInt
}) {}

/**
 * Summary of a numeric column. `min`, `max`, `mean` and `stddev` are exact
 * (one-pass Welford; `stddev` is the population standard deviation).
 *
 * The histogram has exact counts on power-of-two-aligned bins, fitted in one
 * pass without knowing the range in advance: its bin width is less than
 * `2 · (max − min) / 63`, at most about twice that of 64 equal bins over
 * `[min, max]`, so it has between about 32 and 64 bins. The first and last
 * bins may extend beyond `min` and `max` to the aligned edges.
 */
export class NumericSummary extends Schema.Class<NumericSummary>("NumericSummary")({
  min: Schema.Number,
  max: Schema.Number,
  mean: Schema.Number,
  stddev: Schema.Number,
  histogram: Schema.Array(HistogramBin)
}) {}

/**
 * HyperLogLog estimate of the number of distinct non-null values, with
 * 2^14 registers: relative standard error `1.04 / √16384 ≈ 0.81%`, so the
 * estimate is within ±2.4% of the truth about 99.7% of the time (linear
 * counting makes small cardinalities nearly exact).
 */
export class DistinctEstimate extends Schema.Class<DistinctEstimate>("DistinctEstimate")({
  estimate: Schema.NonNegativeInt,
  relativeStandardError: Schema.Number
}) {}

/**
 * A frequent value, from a Space-Saving summary of 64 counters:
 * `count − error ≤ true count ≤ count`, and `error ≤ n / 64` for a column
 * of `n` non-null values. Any value occurring more than `n / 64` times is
 * guaranteed to be tracked, so the top values of a skewed column are exact
 * whenever `error` is 0. (In a column mixing numbers with text, the numbers
 * before the first text value are not tracked one by one: a reported number's
 * `count` and `error` both include them, so the bracket still holds.)
 */
export class TopValue extends Schema.Class<TopValue>("TopValue")({
  /** The value as text (numbers and booleans as they print, nested JSON as JSON). */
  value: Schema.String,
  count: Schema.NonNegativeInt,
  error: Schema.NonNegativeInt
}) {}

/**
 * The profile of one column. `count` is the number of non-null values and
 * `nullCount` the records where the value is missing (`null`, an empty CSV
 * cell, or a key absent from a JSONL line), so `count + nullCount` is the
 * dataset's row count.
 */
export class ColumnProfile extends Schema.Class<ColumnProfile>("ColumnProfile")({
  name: Schema.String,
  type: ColumnType,
  count: Schema.NonNegativeInt,
  nullCount: Schema.NonNegativeInt,
  distinct: DistinctEstimate,
  /** Up to 10 most frequent values for non-numeric columns; `[]` for `integer` and `number` columns. */
  topValues: Schema.Array(TopValue),
  /** For `integer` and `number` columns; `null` otherwise. */
  numeric: Schema.NullOr(NumericSummary)
}) {}

/**
 * A dataset's profile, computed in one streaming pass with memory bounded by
 * the number of columns (about 30 KB per column), never by the number of rows:
 *
 * - row count, per-column null counts, min/max/mean/stddev: exact;
 * - distinct counts: HyperLogLog, relative standard error ≈ 0.81% (see {@link DistinctEstimate});
 * - top values: Space-Saving, overestimate ≤ n/64 per value (see {@link TopValue});
 * - histograms: exact counts, bin width < 2·range/63 (see {@link NumericSummary}).
 */
export class DatasetProfile extends Schema.Class<DatasetProfile>("DatasetProfile")({
  rowCount: Schema.NonNegativeInt,
  columns: Schema.Array(ColumnProfile)
}) {}

/** Where a version's bytes are stored in the ArtifactStore. */
export class DatasetContent extends Schema.Class<DatasetContent>("DatasetContent")({
  /** e.g. `datasets/customers/v3/data.csv`. */
  path: Schema.String,
  format: DatasetFormat,
  sizeBytes: Schema.NonNegativeInt
}) {}

/** Names a version; a {@link DatasetVersion} is one too. */
export interface VersionKey {
  readonly name: string
  readonly version: number
}

/** Names one dataset version. */
export class DatasetVersionRef extends Schema.Class<DatasetVersionRef>("DatasetVersionRef")({
  name: Schema.String,
  version: Schema.Int
}) {}

/** One step of a transform's serialisable description, e.g. `{ op: "select", args: { columns: ["a"] } }`. */
export class TransformStep extends Schema.Class<TransformStep>("TransformStep")({
  op: Schema.String,
  /** JSON-serialisable parameters of the step. */
  args: Schema.Unknown
}) {}

/**
 * A registered dataset version. Versions of a name are numbered 1, 2, 3...;
 * registering content (or metadata) whose digest an existing version already
 * has returns that version instead of creating a new one.
 */
export class DatasetVersion extends Schema.Class<DatasetVersion>("DatasetVersion")({
  name: Schema.String,
  version: Schema.Int,
  /** SHA-256 of the stored bytes as hex, or the digest a metadata-only registration supplied. */
  digest: Schema.String,
  /** Where the data came from: a file path, a stream URI, parent version URIs (`datasets:/name/1`), or a client's value. */
  source: Schema.String,
  /** `local`, `stream`, `transform`, or a client's value (MLflow uses `local`, `s3`, `http`, ...). */
  sourceType: Schema.String,
  /** The default role of the data when logged as a run input (MLflow's `mlflow.data.context`, e.g. `training`). */
  context: Schema.NullOr(Schema.String),
  /** The stored bytes; `null` for a metadata-only version. */
  content: Schema.NullOr(DatasetContent),
  /** Inferred from the content; `null` for a metadata-only version. */
  schema: Schema.NullOr(DatasetSchema),
  profile: Schema.NullOr(DatasetProfile),
  /** A metadata-only version's schema exactly as the client sent it (opaque, e.g. MLflow's `mlflow_colspec` JSON). */
  rawSchema: Schema.NullOr(Schema.String),
  /** A metadata-only version's profile exactly as the client sent it (opaque JSON). */
  rawProfile: Schema.NullOr(Schema.String),
  /** The versions this one was derived from, in input order; `[]` for registered data. */
  parents: Schema.Array(DatasetVersionRef),
  /** How it was derived from `parents`; `[]` for registered data. */
  transform: Schema.Array(TransformStep),
  /** Milliseconds since the epoch. */
  createdAt: Schema.Int,
  createdBy: Schema.String
}) {}

/**
 * A version and every version it was derived from, transitively: nearest
 * ancestors first, each once. Each ancestor carries its own `parents` and
 * `transform`, so the whole derivation graph can be rebuilt from this.
 */
export class DatasetLineage extends Schema.Class<DatasetLineage>("DatasetLineage")({
  version: DatasetVersion,
  ancestors: Schema.Array(DatasetVersion)
}) {}

/** One record that failed validation. */
export class ValidationIssue extends Schema.Class<ValidationIssue>("ValidationIssue")({
  /** 1-based line where the record starts (the header is line 1 of a CSV file). */
  line: Schema.Int,
  /** Every problem of the record, e.g. `age: Expected number, actual "x"`. */
  reason: Schema.String
}) {}

/** The outcome of validating every record, with the first issues. */
export class ValidationSummary extends Schema.Class<ValidationSummary>("ValidationSummary")({
  rows: Schema.NonNegativeInt,
  invalidRows: Schema.NonNegativeInt,
  /** The first `maxIssues` issues, in file order. */
  issues: Schema.Array(ValidationIssue)
}) {}

/** Bytes of a file on the local disk. The format defaults to the extension (`.csv`, `.jsonl`, `.ndjson`). */
export interface FileSource {
  readonly _tag: "File"
  readonly path: string
  readonly format?: DatasetFormat
}

/** Bytes from any stream, e.g. an HTTP upload. */
export interface BytesSource<E> {
  readonly _tag: "Bytes"
  readonly stream: Stream.Stream<Uint8Array, E>
  readonly format: DatasetFormat
  /** Recorded as the version's `source`; defaults to `"stream"`. */
  readonly uri?: string
  /** Recorded as the version's `sourceType`; defaults to `"stream"`. */
  readonly sourceType?: string
}

/** The stored content of a registered version. */
export interface VersionSource {
  readonly _tag: "Version"
  readonly name: string
  readonly version: number
}

/** Where new content comes from. */
export type UploadSource<E = never> = FileSource | BytesSource<E>

/** Anything records can be read from: new content or a registered version. */
export type DataSource<E = never> = UploadSource<E> | VersionSource

/**
 * Constructors of {@link DataSource}s.
 *
 * @example
 * ```ts
 * DataSource.file("data/customers.csv")
 * DataSource.bytes(upload, "jsonl", { uri: "https://example.com/events.jsonl" })
 * DataSource.version("customers", 3)
 * ```
 */
export const DataSource = {
  file: (path: string, options: { readonly format?: DatasetFormat } = {}): FileSource => ({
    _tag: "File",
    path,
    ...options
  }),
  bytes: <E>(
    stream: Stream.Stream<Uint8Array, E>,
    format: DatasetFormat,
    options: { readonly uri?: string; readonly sourceType?: string } = {}
  ): BytesSource<E> => ({ _tag: "Bytes", stream, format, ...options }),
  version: (name: string, version: number): VersionSource => ({ _tag: "Version", name, version })
} as const

/** Input of `Datasets.register`. */
export interface RegisterDataset<E = never> {
  /** Letters, digits, `_`, `-` and `.`, not starting with `.`; at most 250 characters. */
  readonly name: string
  readonly source: UploadSource<E>
  readonly context?: string
  /**
   * For content computed outside `derive` (a Spark job, a remote client):
   * the registered versions it came from and a description of how. They are
   * recorded as `parents` and `transform`, exactly as `derive` records them.
   */
  readonly derivedFrom?: DerivedFrom
}

/** The lineage of content registered with {@link RegisterDataset.derivedFrom}: parents and how. */
export const DerivedFrom = Schema.Struct({
  parents: Schema.Array(Schema.Struct({ name: Schema.String, version: Schema.Int })),
  transform: Schema.Array(TransformStep)
})
export interface DerivedFrom extends Schema.Schema.Type<typeof DerivedFrom> {}

/**
 * Input of `Datasets.registerMetadata`: a dataset known only by reference, as
 * MLflow clients describe one in `log-inputs`. Nothing is read or stored but
 * these fields.
 */
export interface RegisterDatasetMetadata {
  readonly name: string
  readonly digest: string
  readonly source: string
  readonly sourceType: string
  /** Opaque JSON, kept as given in `rawSchema`. */
  readonly schema?: string
  /** Opaque JSON, kept as given in `rawProfile`. */
  readonly profile?: string
  readonly context?: string
}

/** Input of `Datasets.derive`. */
export interface DeriveDataset {
  readonly name: string
  /** The parent version(s); several parents are read one after the other. */
  readonly from: VersionKey | ReadonlyArray<VersionKey>
  readonly transform: Transform
  /** Defaults to the first parent's format. */
  readonly format?: DatasetFormat
  readonly context?: string
}
