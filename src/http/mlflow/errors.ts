import { Schema } from "effect"
import type { ArtifactNotFound, ArtifactStorageError, InvalidArtifactPath } from "../../core/artifacts/errors.js"
import type {
  DatasetHasNoContent,
  DatasetNotFound,
  DatasetReadError,
  DatasetVersionNotFound,
  InvalidDatasetFile,
  TransformFailed
} from "../../core/data/errors.js"
import type {
  Forbidden,
  InvalidArgument,
  InvalidPageToken,
  LimitExceeded,
  StoreVersionTooNew
} from "../../core/errors.js"
import type { LoggedModelNotFound } from "../../core/models/errors.js"
import type {
  AliasNotFound,
  ModelVersionNotFound,
  RegisteredModelAlreadyExists,
  RegisteredModelNotFound
} from "../../core/registry/errors.js"
import type {
  ExperimentAlreadyExists,
  ExperimentNotActive,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy,
  ParamAlreadyLogged,
  RunNotActive,
  RunNotFound,
  TagNotFound
} from "../../core/tracking/errors.js"

/** MLflow's `error_code` values (`databricks.proto` `ErrorCode`) that this API answers with. */
export const ErrorCode = Schema.Literal(
  "INTERNAL_ERROR",
  "TEMPORARILY_UNAVAILABLE",
  "BAD_REQUEST",
  "MALFORMED_REQUEST",
  "INVALID_PARAMETER_VALUE",
  "INVALID_STATE",
  "RESOURCE_ALREADY_EXISTS",
  "RESOURCE_DOES_NOT_EXIST",
  "ENDPOINT_NOT_FOUND",
  "UNAUTHENTICATED",
  "PERMISSION_DENIED",
  "NOT_IMPLEMENTED"
)
export type ErrorCode = typeof ErrorCode.Type

/** The HTTP status MLflow's server sends for each error code (`mlflow.exceptions`). */
const statusOf: Record<ErrorCode, number> = {
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
  BAD_REQUEST: 400,
  MALFORMED_REQUEST: 400,
  INVALID_PARAMETER_VALUE: 400,
  INVALID_STATE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_IMPLEMENTED: 501
}

/**
 * An MLflow REST error: answered as `{ "error_code", "message" }` with the
 * status MLflow uses for the code. Request decoding and endpoint-specific
 * refusals raise it directly; core errors are converted by {@link fromCoreError}.
 */
export class MlflowApiError extends Schema.TaggedError<MlflowApiError>()("MlflowApiError", {
  errorCode: ErrorCode,
  message: Schema.String
}) {
  /** The HTTP status of this error code. */
  get status(): number {
    return statusOf[this.errorCode]
  }

  /** The JSON body MLflow clients read. */
  get body(): { readonly error_code: ErrorCode; readonly message: string } {
    return { error_code: this.errorCode, message: this.message }
  }
}

/** Shorthand for the most common client error. */
export const invalidParameter = (message: string): MlflowApiError =>
  new MlflowApiError({ errorCode: "INVALID_PARAMETER_VALUE", message })

/** Every tagged error a core service (tracking, registry, logged models, artifacts, datasets) can fail with. */
export type CoreError =
  | InvalidArgument
  | LimitExceeded
  | InvalidPageToken
  | StoreVersionTooNew
  | ExperimentNotFound
  | ExperimentAlreadyExists
  | ExperimentNotActive
  | RunNotFound
  | RunNotActive
  | ParamAlreadyLogged
  | InvalidFilter
  | InvalidOrderBy
  | TagNotFound
  | RegisteredModelNotFound
  | RegisteredModelAlreadyExists
  | ModelVersionNotFound
  | AliasNotFound
  | LoggedModelNotFound
  | InvalidArtifactPath
  | ArtifactNotFound
  | ArtifactStorageError
  | DatasetNotFound
  | DatasetVersionNotFound
  | InvalidDatasetFile
  | DatasetReadError
  | DatasetHasNoContent
  | TransformFailed
  | Forbidden

/** Core field names are camelCase (`metrics[3].key`, `experimentId`); MLflow clients know snake_case. */
export const mlflowFieldName = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

const error = (errorCode: ErrorCode, message: string) => new MlflowApiError({ errorCode, message })

type Mapping = { readonly [K in CoreError["_tag"]]: (e: Extract<CoreError, { readonly _tag: K }>) => MlflowApiError }

/**
 * One row per core error. Messages follow MLflow's wording where clients or
 * users might recognise it, without leaking storage details (MLflow issue #2
 * puts raw SQL in the duplicate-name message; we never do).
 */
const mapping: Mapping = {
  InvalidArgument: (e) =>
    error("INVALID_PARAMETER_VALUE", `Invalid value for parameter '${mlflowFieldName(e.field)}': ${e.reason}`),
  LimitExceeded: (e) =>
    error(
      "INVALID_PARAMETER_VALUE",
      `Invalid value for parameter '${mlflowFieldName(e.field)}': ${e.actual} ${e.unit} exceeds the limit of ${e.limit}`
    ),
  InvalidPageToken: (e) => error("INVALID_PARAMETER_VALUE", `Invalid page token '${e.pageToken}'`),
  StoreVersionTooNew: (e) => error("INTERNAL_ERROR", e.message),
  ExperimentNotFound: (e) =>
    /^(0|[1-9]\d*)$/.test(e.experiment)
      ? error("RESOURCE_DOES_NOT_EXIST", `No Experiment with id=${e.experiment} exists`)
      : error("RESOURCE_DOES_NOT_EXIST", `Could not find experiment with name '${e.experiment}'`),
  ExperimentAlreadyExists: (e) => error("RESOURCE_ALREADY_EXISTS", `Experiment(name=${e.name}) already exists.`),
  ExperimentNotActive: (e) => error("INVALID_STATE", `The experiment ${e.experimentId} must be in the 'active' state.`),
  RunNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", `Run with id=${e.runId} not found`),
  RunNotActive: (e) =>
    error("INVALID_PARAMETER_VALUE", `The run ${e.runId} must be in the 'active' state. Current state is deleted.`),
  ParamAlreadyLogged: (e) =>
    error(
      "INVALID_PARAMETER_VALUE",
      `Changing param values is not allowed. Param with key='${e.key}' was already logged with value='${e.loggedValue}' for run ID='${e.runId}'. Attempted logging new value '${e.newValue}'.`
    ),
  InvalidFilter: (e) => error("INVALID_PARAMETER_VALUE", `Invalid filter '${e.filter}': ${e.message}`),
  InvalidOrderBy: (e) => error("INVALID_PARAMETER_VALUE", e.message),
  TagNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", `No tag with name: ${e.key} in run with id ${e.runId}`),
  RegisteredModelNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", `Registered Model with name=${e.name} not found`),
  RegisteredModelAlreadyExists: (e) =>
    error("RESOURCE_ALREADY_EXISTS", `Registered Model (name=${e.name}) already exists.`),
  ModelVersionNotFound: (e) =>
    error("RESOURCE_DOES_NOT_EXIST", `Model Version (name=${e.name}, version=${e.version}) not found`),
  // MLflow answers 400 INVALID_PARAMETER_VALUE here (issue #37); a missing resource is a 404.
  AliasNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", `Registered model alias ${e.alias} not found.`),
  LoggedModelNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", `Logged model with ID '${e.modelId}' not found.`),
  InvalidArtifactPath: (e) => error("INVALID_PARAMETER_VALUE", `Invalid path: ${e.reason}`),
  ArtifactNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", `Artifact '${e.path}' does not exist`),
  ArtifactStorageError: (e) => error("INTERNAL_ERROR", e.message),
  DatasetNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", e.message),
  DatasetVersionNotFound: (e) => error("RESOURCE_DOES_NOT_EXIST", e.message),
  InvalidDatasetFile: (e) => error("INVALID_PARAMETER_VALUE", e.message),
  DatasetReadError: (e) => error("INTERNAL_ERROR", e.message),
  DatasetHasNoContent: (e) => error("INVALID_STATE", e.message),
  TransformFailed: (e) => error("INVALID_PARAMETER_VALUE", e.message),
  // 403, as MLflow's basic-auth app answers a caller without the permission.
  Forbidden: (e) => error("PERMISSION_DENIED", e.message)
}

/**
 * The MLflow error for a core error: its `error_code`, hence its status.
 *
 * @example
 * ```ts
 * fromCoreError(new RunNotFound({ runId })).status // 404
 * ```
 */
export const fromCoreError = (e: CoreError | MlflowApiError): MlflowApiError =>
  e._tag === "MlflowApiError" ? e : (mapping[e._tag] as (e: CoreError) => MlflowApiError)(e)
