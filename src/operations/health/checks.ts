import { randomUUID } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { Effect, Layer } from "effect"
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
 * Writes and deletes a small probe file in the store. Give it the store as
 * configured below any guard or tenant prefix: the probe lives at the root,
 * `.health-probe-<random>` (a file, not a directory several processes
 * sharing the store would create and prune under each other).
 */
export const artifactStoreCheck: Effect.Effect<Check, never, ArtifactStore> = Effect.map(ArtifactStore, (store) =>
  Effect.suspend(() => {
    const probe = `.health-probe-${randomUUID()}`
    return Effect.zipRight(store.putBytes(probe, "ok"), store.delete(probe))
  }).pipe(
    Effect.as(undefined),
    Effect.mapError((cause) => new HealthCheckFailed({ reason: "the artifact store is not writable", cause }))
  )
)

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
