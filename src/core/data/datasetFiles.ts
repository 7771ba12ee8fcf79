import { Effect, Either, Layer } from "effect"
import { ArtifactStore, type ArtifactStoreShape } from "../artifacts/ArtifactStore.js"
import { InvalidArtifactPath } from "../artifacts/errors.js"
import { normalizeArtifactPath } from "../artifacts/path.js"

/** The top-level folders of the artifact store where `Datasets` keeps its files (`tenants/` for tenants other than the default). */
const datasetAreas = new Set(["datasets", "tenants"])

/** Fails when `path` lies in (or is) an area the dataset catalog owns. */
const refuseDatasetArea = (path: string): Effect.Effect<void, InvalidArtifactPath> =>
  Either.match(normalizeArtifactPath(path), {
    onLeft: () => Effect.void, // the store itself refuses a malformed path, with its own reason
    onRight: (normalized) =>
      datasetAreas.has(normalized.split("/", 1)[0] ?? "")
        ? Effect.fail(
            new InvalidArtifactPath({
              path,
              reason: "is kept by the dataset catalog; register and delete datasets through Datasets"
            })
          )
        : Effect.void
  })

/**
 * The artifact store as programs and the server's artifact routes see it
 * beside {@link Datasets}: files under `datasets/` and `tenants/` belong to
 * the dataset catalog, which records each version's digest, so `put` and
 * `delete` there fail with `InvalidArtifactPath` (a file changed behind the
 * catalog would no longer be the version it records). Reads pass. Give the
 * dataset catalog the store below this one.
 *
 * @example
 * ```ts
 * const Artifacts = ArtifactStore.layer("./data/artifacts")
 * const Data = Datasets.layer.pipe(Layer.provide(Artifacts))
 * const Exposed = layerGuardDatasetFiles.pipe(Layer.provide(Artifacts))
 * ```
 */
export const guardDatasetFiles = (store: ArtifactStoreShape): ArtifactStoreShape => ({
  ...store,
  put: (path, data) => Effect.zipRight(refuseDatasetArea(path), store.put(path, data)),
  putBytes: (path, data) => Effect.zipRight(refuseDatasetArea(path), store.putBytes(path, data)),
  delete: (path) => Effect.zipRight(refuseDatasetArea(path), store.delete(path))
})

/** {@link guardDatasetFiles} as a layer over the `ArtifactStore` below it. */
export const layerGuardDatasetFiles: Layer.Layer<ArtifactStore, never, ArtifactStore> = Layer.effect(
  ArtifactStore,
  Effect.map(ArtifactStore, guardDatasetFiles)
)
