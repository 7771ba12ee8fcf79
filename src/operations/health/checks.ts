import { randomUUID } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { Clock, Duration, Effect, Layer, Option, Ref } from "effect"
import { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import { currentSchemaVersion } from "../../storage/migrate.js"
import { latestSchemaVersion } from "../../storage/migrations.js"
import { HealthCheckFailed } from "./errors.js"
import { type Check, HealthCheck } from "./HealthCheck.js"

const databaseDown = (cause: unknown) => new HealthCheckFailed({ reason: "the database does not answer", cause })

/** `SELECT 1` through the store's client. */
export const databaseCheck: Effect.Effect<Check, never, SqlClient.SqlClient> = Effect.map(SqlClient.SqlClient, (sql) =>
  sql`SELECT 1`.pipe(Effect.as(undefined), Effect.mapError(databaseDown))
)

/**
 * The store's schema version against the one this release migrates to
 * ({@link latestSchemaVersion}): behind means another process is still
 * migrating, ahead means a newer release owns the store.
 */
export const migrationsCheck: Effect.Effect<Check, never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) =>
    Effect.flatMap(
      currentSchemaVersion.pipe(Effect.provideService(SqlClient.SqlClient, sql), Effect.mapError(databaseDown)),
      (version) => {
        const detail = `schema version ${version} of ${latestSchemaVersion}`
        return version === latestSchemaVersion
          ? Effect.succeed(detail)
          : Effect.fail(
              new HealthCheckFailed({
                reason:
                  version < latestSchemaVersion
                    ? `${detail}: migrations pending`
                    : `${detail}: the store is newer than this release`
              })
            )
      }
    )
)

/**
 * How long {@link artifactStoreCheck} reuses its last success: `/readyz` is
 * public, and each probe is a PUT and a DELETE (billed requests on S3), so
 * clients polling it cannot drive the store at their request rate.
 */
export const artifactProbeTtl: Duration.Duration = Duration.seconds(10)

/**
 * Writes and deletes a small probe file in the store. A success is reused
 * for {@link artifactProbeTtl}; a failure is not, so a store that comes back
 * is reported ready at once. Concurrent calls wait for the probe running,
 * so a healthy store sees at most one probe per TTL and a failing one at
 * most one probe at a time. Give it the store as
 * configured below any guard or tenant prefix: the probe lives at the root,
 * `.health-probe-<random>`, one key per built check (a file, not a directory
 * several processes sharing the store would create and prune under each
 * other). A probe that fails or is interrupted after its write still deletes it.
 *
 * @example
 * ```ts
 * const check = yield* artifactStoreCheck
 * yield* check // writes and deletes the probe
 * yield* check // within artifactProbeTtl of that success: succeeds without a request
 * ```
 */
export const artifactStoreCheck: Effect.Effect<Check, never, ArtifactStore> = Effect.gen(function* () {
  const store = yield* ArtifactStore
  const probe = `.health-probe-${randomUUID()}`
  const probeOnce = Effect.zipRight(store.putBytes(probe, "ok"), store.delete(probe)).pipe(
    Effect.onError(() => Effect.ignore(store.delete(probe))),
    Effect.as(undefined),
    Effect.mapError((cause) => new HealthCheckFailed({ reason: "the artifact store is not writable", cause }))
  )
  const lastSuccess = yield* Ref.make(Option.none<number>())
  const lock = yield* Effect.makeSemaphore(1)
  return lock.withPermits(1)(
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const fresh = Option.exists(yield* Ref.get(lastSuccess), (at) => now - at < Duration.toMillis(artifactProbeTtl))
      if (!fresh) {
        yield* probeOnce
        yield* Ref.set(lastSuccess, Option.some(now))
      }
      return undefined
    })
  )
})

const registering = <R>(
  name: string,
  check: Effect.Effect<Check, never, R>
): Layer.Layer<never, never, HealthCheck | R> =>
  Layer.scopedDiscard(
    Effect.flatMap(Effect.all([HealthCheck, check]), ([health, registered]) => health.register(name, registered))
  )

/** Registers {@link databaseCheck} as `database`. */
export const layerDatabaseCheck = registering("database", databaseCheck)

/** Registers {@link migrationsCheck} as `migrations`. */
export const layerMigrationsCheck = registering("migrations", migrationsCheck)

/** Registers {@link artifactStoreCheck} as `artifacts`. */
export const layerArtifactStoreCheck = registering("artifacts", artifactStoreCheck)

/**
 * The checks of a store: `database`, `migrations` and `artifacts`.
 *
 * @example
 * ```ts
 * const Health = layerStoreChecks.pipe(
 *   Layer.provideMerge(HealthCheck.layer),
 *   Layer.provide([SqlLive, RawArtifacts])
 * )
 * ```
 */
export const layerStoreChecks: Layer.Layer<never, never, HealthCheck | SqlClient.SqlClient | ArtifactStore> =
  Layer.mergeAll(layerDatabaseCheck, layerMigrationsCheck, layerArtifactStoreCheck)
