import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer, type Schema, type Stream } from "effect"
import type { ArtifactStore } from "../artifacts/ArtifactStore.js"
import type { ArtifactStorageError } from "../artifacts/errors.js"
import type { Forbidden, InvalidArgument, LimitExceeded } from "../errors.js"
import type {
  DatasetHasNoContent,
  DatasetNotFound,
  DatasetReadError,
  DatasetVersionNotFound,
  InvalidDatasetFile
} from "./errors.js"
import { make as makeMemory } from "./memory.js"
import type {
  DataRecord,
  DataSource,
  DatasetLineage,
  DatasetVersion,
  DeriveDataset,
  RegisterDataset,
  RegisterDatasetMetadata,
  ValidationIssue,
  ValidationSummary
} from "./model.js"
import { make as makeSql } from "./sql.js"
import type { TransformError } from "./transforms.js"

type Invalid = InvalidArgument | LimitExceeded

/** Why records could not be read from a {@link DataSource}; `Forbidden` when an authorization layer refuses the caller. */
export type ReadError =
  | Forbidden
  | InvalidArgument
  | InvalidDatasetFile
  | DatasetReadError
  | DatasetNotFound
  | DatasetVersionNotFound
  | DatasetHasNoContent

/** Why new content could not be registered; nothing is registered in any case. */
export type RegisterError =
  | Invalid
  | InvalidDatasetFile
  | DatasetReadError
  | ArtifactStorageError
  /** Only with `derivedFrom`: a parent that does not exist. */
  | DatasetNotFound
  | DatasetVersionNotFound

/**
 * Versioned datasets: content with a digest, an inferred schema and a
 * streaming profile, metadata-only versions (as MLflow clients log them),
 * validation against an Effect `Schema`, derivation through transforms, and
 * lineage. Every method needs nothing (`R = never`). Content is streamed in
 * one pass with memory bounded by the number of columns, whatever the size.
 */
export interface DatasetsShape {
  /**
   * Stores the bytes under `datasets/<name>/v<version>/data.<csv|jsonl>` and
   * registers the next version with its SHA-256 digest, schema and profile.
   * Content whose digest a version of the name already has returns that
   * version. A malformed record fails with `InvalidDatasetFile` naming the
   * line, and leaves nothing behind.
   */
  readonly register: <E = never>(
    input: RegisterDataset<E>
  ) => Effect.Effect<DatasetVersion, E | RegisterError | Forbidden>
  /** Registers a version known only by reference (no content); a known digest returns the existing version. */
  readonly registerMetadata: (input: RegisterDatasetMetadata) => Effect.Effect<DatasetVersion, Invalid | Forbidden>
  /**
   * Applies a transform to the records of the parent version(s) and
   * registers the result as a version of `name` recording its parents and
   * the transform's description. Streamed end to end. Written as CSV, values
   * read back as CSV cells do (see `DataValue`).
   */
  readonly derive: (
    input: DeriveDataset
  ) => Effect.Effect<
    DatasetVersion,
    | Invalid
    | DatasetNotFound
    | DatasetVersionNotFound
    | DatasetHasNoContent
    | InvalidDatasetFile
    | DatasetReadError
    | TransformError
    | ArtifactStorageError
    | Forbidden
  >
  readonly getVersion: (
    name: string,
    version: number
  ) => Effect.Effect<DatasetVersion, DatasetNotFound | DatasetVersionNotFound | Forbidden>
  readonly getLatestVersion: (name: string) => Effect.Effect<DatasetVersion, DatasetNotFound | Forbidden>
  /** Every version of `name`, oldest first. */
  readonly listVersions: (name: string) => Effect.Effect<ReadonlyArray<DatasetVersion>, DatasetNotFound | Forbidden>
  /** Names of the registered datasets, sorted. */
  readonly listDatasets: () => Effect.Effect<ReadonlyArray<string>, Forbidden>
  /** The records of a file, a stream or a registered version, streamed. */
  readonly records: <E = never>(source: DataSource<E>) => Stream.Stream<DataRecord, E | ReadError | Forbidden>
  /**
   * Every record that does not decode with `schema`, with its line and every
   * reason, in file order. Streamed: the report may be larger than memory.
   * A record that cannot be parsed at all fails the stream with `InvalidDatasetFile`.
   */
  readonly validate: <A, I, E = never>(
    source: DataSource<E>,
    schema: Schema.Schema<A, I>
  ) => Stream.Stream<ValidationIssue, E | ReadError | Forbidden>
  /** {@link validate} folded into counts and the first `maxIssues` (default 100) issues. */
  readonly validateSummary: <A, I, E = never>(
    source: DataSource<E>,
    schema: Schema.Schema<A, I>,
    options?: { readonly maxIssues?: number }
  ) => Effect.Effect<ValidationSummary, E | ReadError | Forbidden>
  /** The version and every version it derives from, nearest first. */
  readonly getLineage: (
    name: string,
    version: number
  ) => Effect.Effect<DatasetLineage, DatasetNotFound | DatasetVersionNotFound | Forbidden>
}

/**
 * The datasets service.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { DataSource, Datasets, Transform } from "effect-mlops"
 *
 * const program = Effect.gen(function* () {
 *   const datasets = yield* Datasets
 *   const v1 = yield* datasets.register({ name: "customers", source: DataSource.file("data/customers.csv") })
 *   console.log(v1.profile?.rowCount, v1.schema?.columns)
 *
 *   const Customer = Schema.Struct({ age: Schema.Number, city: Schema.String })
 *   const report = yield* datasets.validateSummary(DataSource.version("customers", v1.version), Customer)
 *
 *   const { train } = Transform.split({ seed: 7, fractions: { train: 0.8, test: 0.2 } })
 *   yield* datasets.derive({ name: "customers-train", from: v1, transform: train })
 * })
 * ```
 */
export class Datasets extends Context.Tag("effect-mlops/core/Datasets")<Datasets, DatasetsShape>() {
  /** Metadata over `SqlClient` (SQLite or PostgreSQL), bytes in the `ArtifactStore`. */
  static readonly layer: Layer.Layer<Datasets, never, SqlClient.SqlClient | ArtifactStore> = Layer.effect(this, makeSql)
  /** Metadata in memory (each build starts empty), bytes in the `ArtifactStore`. */
  static readonly layerMemory: Layer.Layer<Datasets, never, ArtifactStore> = Layer.effect(this, makeMemory)
}
