import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { Datasets } from "../../core/data/Datasets.js"
import { DatasetReadError } from "../../core/data/errors.js"
import { DataSource } from "../../core/data/model.js"
import { MlopsApi } from "../api/Api.js"
import { drainOnFailure, uploadBody } from "../upload.js"

/** Handlers of the `datasets` group; a registration streams the uploaded file through the profiler. */
export const DatasetsHandlers = HttpApiBuilder.group(MlopsApi, "datasets", (handlers) =>
  Effect.gen(function* () {
    const datasets = yield* Datasets
    return handlers
      .handle("list", () => datasets.listDatasets())
      .handleRaw("register", ({ request, urlParams: { name, format, context, uri, sourceType, derivedFrom } }) => {
        const source = uri ?? "stream"
        const body = uploadBody(
          request,
          (cause) => new DatasetReadError({ source, reason: `the upload ended early: ${String(cause)}` })
        )
        return drainOnFailure(request)(
          datasets.register({
            name,
            source: DataSource.bytes(body, format, {
              uri: source,
              ...(sourceType === undefined ? {} : { sourceType })
            }),
            ...(context === undefined ? {} : { context }),
            ...(derivedFrom === undefined ? {} : { derivedFrom })
          })
        )
      })
      .handle("registerMetadata", ({ payload }) => datasets.registerMetadata(payload))
      .handle("versions", ({ urlParams }) => datasets.listVersions(urlParams.name))
      .handle("latest", ({ urlParams }) => datasets.getLatestVersion(urlParams.name))
      .handle("version", ({ urlParams }) => datasets.getVersion(urlParams.name, urlParams.version))
      .handle("lineage", ({ urlParams }) => datasets.getLineage(urlParams.name, urlParams.version))
  })
)
