import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Layer } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import {
  layerArtifactStoreCheck,
  layerDatabaseCheck,
  layerMigrationsCheck
} from "../../../src/operations/health/checks.js"
import { HealthCheck } from "../../../src/operations/health/HealthCheck.js"
import { latestSchemaVersion } from "../../../src/storage/migrations.js"
import { SqliteTest, tempDir } from "../../support/sqlite.js"

const report = Effect.flatMap(HealthCheck, (health) => health.run)

/** `checks` registered in a fresh HealthCheck, over `dependencies`. */
const withChecks = <E, R>(checks: Layer.Layer<never, never, HealthCheck | R>, dependencies: Layer.Layer<R, E>) =>
  checks.pipe(Layer.provideMerge(HealthCheck.layer), Layer.provide(dependencies))

describe("standard health checks", () => {
  it.effect("database: SELECT 1 answers", () =>
    Effect.gen(function* () {
      const { checks } = yield* report
      assert.strictEqual(checks.database?.status, "ok")
    }).pipe(Effect.provide(withChecks(layerDatabaseCheck, SqliteTest)))
  )

  it.effect("migrations: a migrated store is at this release's schema version", () =>
    Effect.gen(function* () {
      const { checks, status } = yield* report
      assert.strictEqual(status, "ok")
      assert.strictEqual(checks.migrations?.detail, `schema version ${latestSchemaVersion} of ${latestSchemaVersion}`)
    }).pipe(Effect.provide(withChecks(layerMigrationsCheck, SqliteTest)))
  )

  it.effect("migrations: a store not migrated yet fails, with its version", () =>
    Effect.gen(function* () {
      const { checks } = yield* report
      assert.deepInclude(checks.migrations, {
        status: "failed",
        detail: `schema version 0 of ${latestSchemaVersion}: migrations pending`
      })
    }).pipe(Effect.provide(withChecks(layerMigrationsCheck, SqliteClient.layer({ filename: ":memory:" }))))
  )

  it.scoped("artifacts: writes and deletes a probe, leaving the store as it was", () =>
    Effect.gen(function* () {
      const root = yield* tempDir("effect-mlops-health")
      const Store = ArtifactStore.layer(root).pipe(Layer.provide(NodeContext.layer))
      const [{ checks }, entries] = yield* Effect.all([report, Effect.flatMap(ArtifactStore, (s) => s.list(""))]).pipe(
        Effect.provide(withChecks(layerArtifactStoreCheck, Store).pipe(Layer.provideMerge(Store)))
      )
      assert.strictEqual(checks.artifacts?.status, "ok")
      assert.deepStrictEqual(entries, [])
    })
  )
})
