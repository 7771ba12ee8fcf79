import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { ArtifactNotFound, ArtifactStorageError, InvalidArtifactPath } from "../../core/artifacts/errors.js"
import { ArtifactInfo, FileEntry } from "../../core/artifacts/model.js"
import { status } from "./status.js"

const PathParam = Schema.Struct({ path: Schema.String })

/** Raw bytes, documented as `application/octet-stream`; both directions are streamed by the server. */
export const Bytes = Schema.Uint8ArrayFromSelf.pipe(
  HttpApiSchema.withEncoding({ kind: "Uint8Array", contentType: "application/octet-stream" })
)

/** Artifact files: streamed upload and download, stat, listing and deletion. */
export class ArtifactsGroup extends HttpApiGroup.make("artifacts")
  .add(
    HttpApiEndpoint.put("put", "/artifacts/file")
      .setUrlParams(PathParam)
      .setPayload(Bytes)
      .addSuccess(ArtifactInfo)
      .addError(InvalidArtifactPath, status.invalid)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .add(
    // Lets a client refuse a misplaced upload before it reads (and sends) its stream.
    HttpApiEndpoint.get("checkPlacement", "/artifacts/placement")
      .setUrlParams(PathParam)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(InvalidArtifactPath, status.invalid)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .add(
    HttpApiEndpoint.get("get", "/artifacts/file")
      .setUrlParams(PathParam)
      .addSuccess(Bytes)
      .addError(ArtifactNotFound, status.notFound)
      .addError(InvalidArtifactPath, status.invalid)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .add(
    HttpApiEndpoint.get("stat", "/artifacts/stat")
      .setUrlParams(PathParam)
      .addSuccess(ArtifactInfo)
      .addError(ArtifactNotFound, status.notFound)
      .addError(InvalidArtifactPath, status.invalid)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .add(
    HttpApiEndpoint.get("list", "/artifacts/list")
      .setUrlParams(Schema.Struct({ prefix: Schema.optionalWith(Schema.String, { default: () => "" }) }))
      .addSuccess(Schema.Array(FileEntry))
      .addError(InvalidArtifactPath, status.invalid)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .add(
    HttpApiEndpoint.del("delete", "/artifacts/file")
      .setUrlParams(PathParam)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ArtifactNotFound, status.notFound)
      .addError(InvalidArtifactPath, status.invalid)
      .addError(ArtifactStorageError, status.unavailable)
  )
  .annotate(OpenApi.Description, "Artifact files: streamed upload and download, stat, listing and deletion.") {}
