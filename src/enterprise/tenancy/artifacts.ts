import { Effect, Either, Layer, Stream } from "effect"
import { ArtifactStore, type ArtifactStoreShape } from "../../core/artifacts/ArtifactStore.js"
import { ArtifactNotFound, type InvalidArtifactPath } from "../../core/artifacts/errors.js"
import { ArtifactInfo, FileEntry } from "../../core/artifacts/model.js"
import { normalizeArtifactPath, normalizeArtifactPrefix } from "../../core/artifacts/path.js"
import { CurrentTenant } from "../../core/context.js"

const root = (tenant: string) => `tenants/${tenant}`

/**
 * Puts every tenant's artifacts under its own prefix, `tenants/<tenant>/`,
 * chosen from `CurrentTenant` on each call: the paths callers see are
 * unchanged, and no path a caller can name reaches another tenant's files
 * (paths are checked before the prefix is added, so `..` never climbs out).
 */
export const tenantPrefixed = (store: ArtifactStoreShape): ArtifactStoreShape => {
  const within = <A, E, R>(
    path: string,
    normalize: (path: string) => Either.Either<string, InvalidArtifactPath>,
    f: (stored: string, unprefix: (stored: string) => string) => Effect.Effect<A, E, R>
  ): Effect.Effect<A, E | InvalidArtifactPath, R> =>
    Effect.flatMap(
      CurrentTenant,
      (tenant): Effect.Effect<A, E | InvalidArtifactPath, R> =>
        Either.match(normalize(path), {
          onLeft: (invalid) => Effect.fail(invalid),
          onRight: (normalized) => {
            const prefix = root(tenant)
            const unprefix = (stored: string) => (stored === prefix ? "" : stored.slice(prefix.length + 1))
            return f(normalized === "" ? prefix : `${prefix}/${normalized}`, unprefix).pipe(
              Effect.catchIf(
                (error): error is E & ArtifactNotFound => error instanceof ArtifactNotFound,
                () => Effect.fail(new ArtifactNotFound({ path }) as E)
              )
            )
          }
        })
    )
  const info = (unprefix: (stored: string) => string) => (stored: ArtifactInfo) =>
    new ArtifactInfo({ ...stored, path: unprefix(stored.path) }, { disableValidation: true })

  return {
    put: (path, data) =>
      within(path, normalizeArtifactPath, (stored, unprefix) => Effect.map(store.put(stored, data), info(unprefix))),
    putBytes: (path, data) =>
      within(path, normalizeArtifactPath, (stored, unprefix) =>
        Effect.map(store.putBytes(stored, data), info(unprefix))
      ),
    get: (path) => Stream.unwrap(within(path, normalizeArtifactPath, (stored) => Effect.succeed(store.get(stored)))),
    getBytes: (path) => within(path, normalizeArtifactPath, (stored) => store.getBytes(stored)),
    stat: (path) =>
      within(path, normalizeArtifactPath, (stored, unprefix) => Effect.map(store.stat(stored), info(unprefix))),
    list: (prefix) =>
      within(prefix, normalizeArtifactPrefix, (stored, unprefix) =>
        Effect.map(store.list(stored), (entries) =>
          entries.map((entry) => new FileEntry({ ...entry, path: unprefix(entry.path) }, { disableValidation: true }))
        )
      ),
    delete: (path) => within(path, normalizeArtifactPath, (stored) => store.delete(stored))
  }
}

/** Wraps the `ArtifactStore` below it with {@link tenantPrefixed}. */
export const layerTenantArtifacts: Layer.Layer<ArtifactStore, never, ArtifactStore> = Layer.effect(
  ArtifactStore,
  Effect.map(ArtifactStore, tenantPrefixed)
)
