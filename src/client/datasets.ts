import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Option, Schema } from "effect"
import { ArtifactStorageError } from "../core/artifacts/errors.js"
import type { ArtifactStoreShape } from "../core/artifacts/ArtifactStore.js"
import type { DatasetsShape } from "../core/data/Datasets.js"
import { DatasetNotFound, DatasetReadError, DatasetVersionNotFound, InvalidDatasetFile } from "../core/data/errors.js"
import { DatasetVersion, DataSource, DerivedFrom, type RegisterDataset } from "../core/data/model.js"
import { type DatasetCatalog, makeDatasetReads, makeDerive, openUpload } from "../core/data/service.js"
import { Forbidden, InvalidArgument, LimitExceeded } from "../core/errors.js"
import { uploadStream } from "./streaming.js"
import { type ApiClient, orDieTransport } from "./transport.js"

const RegisterFailure = Schema.Union(
  InvalidArgument,
  LimitExceeded,
  InvalidDatasetFile,
  DatasetReadError,
  ArtifactStorageError,
  DatasetNotFound,
  DatasetVersionNotFound,
  Forbidden
)

/**
 * `Datasets` over the native API. Registration streams the file to the
 * server, which parses and profiles it as it stores it. Reading records,
 * validation and `derive` run here, over the stored bytes streamed from the
 * server's artifact store; a derived version is uploaded with its lineage.
 */
export const makeRemoteDatasets = (
  client: ApiClient,
  http: HttpClient.HttpClient,
  baseUrl: string,
  artifacts: ArtifactStoreShape
): DatasetsShape => {
  const api = client.datasets
  // The catalog answers "absent" where the API answers 404.
  const absent = <A, E>(effect: Effect.Effect<A, E>) =>
    Effect.catchIf(
      Effect.map(orDieTransport(effect), Option.some),
      (error) => error instanceof DatasetNotFound || error instanceof DatasetVersionNotFound,
      () => Effect.succeedNone
    )
  // A refusal is the caller's answer; anything else the lookup cannot fail with is a defect.
  const refusedOrDie = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, Forbidden> =>
    Effect.catchIf(
      effect,
      (error): error is Exclude<E, Forbidden> => !(error instanceof Forbidden),
      Effect.die
    ) as Effect.Effect<A, Forbidden>
  const catalog: DatasetCatalog = {
    find: (name, version) => refusedOrDie(absent(api.version({ urlParams: { name, version } }))),
    latest: (name) => refusedOrDie(absent(api.latest({ urlParams: { name } }))),
    versions: (name) =>
      orDieTransport(
        Effect.catchTag(api.versions({ urlParams: { name } }), "DatasetNotFound", () => Effect.succeed([]))
      ),
    names: orDieTransport(api.list())
  }
  const reads = makeDatasetReads(catalog, artifacts)

  const register = <E = never>(input: RegisterDataset<E>) =>
    Effect.gen(function* () {
      const upload = yield* openUpload(input.source)
      const params: Record<string, string> = {
        name: input.name,
        format: upload.format,
        uri: upload.source,
        sourceType: upload.sourceType,
        ...(input.context === undefined ? {} : { context: input.context }),
        ...(input.derivedFrom === undefined
          ? {}
          : { derivedFrom: JSON.stringify(Schema.encodeSync(DerivedFrom)(input.derivedFrom)) })
      }
      const request = HttpClientRequest.post(`${baseUrl}/api/v1/datasets/versions`).pipe(
        HttpClientRequest.setUrlParams(params)
      )
      return yield* uploadStream(http, request, upload.bytes, DatasetVersion, RegisterFailure)
    }).pipe(Effect.withSpan("Datasets.register", { attributes: { name: input.name } }))

  return {
    ...reads,
    register,
    registerMetadata: (input) => orDieTransport(api.registerMetadata({ payload: input })),
    derive: makeDerive(reads, (content) =>
      register({
        name: content.name,
        source: DataSource.bytes(content.bytes, content.format, { uri: content.source, sourceType: "transform" }),
        ...(content.context === undefined ? {} : { context: content.context }),
        derivedFrom: { parents: content.parents, transform: content.transform }
      })
    )
  }
}
