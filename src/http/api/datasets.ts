import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { ArtifactStorageError } from "../../core/artifacts/errors.js"
import {
  DatasetNotFound,
  DatasetReadError,
  DatasetVersionNotFound,
  InvalidDatasetFile
} from "../../core/data/errors.js"
import { DatasetFormat, DatasetLineage, DatasetVersion, DerivedFrom } from "../../core/data/model.js"
import { Bytes } from "./artifacts.js"
import { status, validatesInput } from "./status.js"
import { IntFromString, optional } from "./wire.js"

const VersionKey = Schema.Struct({ name: Schema.String, version: IntFromString })

/** Query of `register`: the body is the CSV or JSONL file itself. */
export const RegisterParams = Schema.Struct({
  name: Schema.String,
  format: DatasetFormat,
  context: optional(Schema.String),
  /** Recorded as the version's `source`; defaults to `"stream"`. */
  uri: optional(Schema.String),
  /** Recorded as the version's `sourceType`; defaults to `"stream"`. */
  sourceType: optional(Schema.String),
  /**
   * JSON of the content's lineage (`{ parents, transform }`) when it was
   * derived outside the server, as `RemoteLayer`'s `derive` uploads it.
   */
  derivedFrom: optional(Schema.parseJson(DerivedFrom))
})

/** Request body of `registerMetadata`: a dataset known only by reference. */
export const RegisterMetadataBody = Schema.Struct({
  name: Schema.String,
  digest: Schema.String,
  source: Schema.String,
  sourceType: Schema.String,
  schema: optional(Schema.String),
  profile: optional(Schema.String),
  context: optional(Schema.String)
})

/** Versioned datasets: streamed registration with profiling, metadata-only versions and lineage. */
export class DatasetsGroup extends HttpApiGroup.make("datasets")
  .add(HttpApiEndpoint.get("list", "/datasets").addSuccess(Schema.Array(Schema.String)))
  .add(
    HttpApiEndpoint.post("register", "/datasets/versions")
      .setUrlParams(RegisterParams)
      .setPayload(Bytes)
      .addSuccess(DatasetVersion, { status: 201 })
      .addError(DatasetNotFound, status.notFound)
      .addError(DatasetVersionNotFound, status.notFound)
      .addError(InvalidDatasetFile, status.unprocessable)
      .addError(DatasetReadError, status.invalid)
      .pipe(validatesInput)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .add(
    HttpApiEndpoint.post("registerMetadata", "/datasets/metadata")
      .setPayload(RegisterMetadataBody)
      .addSuccess(DatasetVersion, { status: 201 })
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.get("versions", "/datasets/versions")
      .setUrlParams(Schema.Struct({ name: Schema.String }))
      .addSuccess(Schema.Array(DatasetVersion))
      .addError(DatasetNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("latest", "/datasets/latest")
      .setUrlParams(Schema.Struct({ name: Schema.String }))
      .addSuccess(DatasetVersion)
      .addError(DatasetNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("version", "/datasets/version")
      .setUrlParams(VersionKey)
      .addSuccess(DatasetVersion)
      .addError(DatasetNotFound, status.notFound)
      .addError(DatasetVersionNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("lineage", "/datasets/lineage")
      .setUrlParams(VersionKey)
      .addSuccess(DatasetLineage)
      .addError(DatasetNotFound, status.notFound)
      .addError(DatasetVersionNotFound, status.notFound)
  )
  .annotate(
    OpenApi.Description,
    "Versioned datasets: streamed registration with profiling, metadata-only versions and lineage."
  ) {}
