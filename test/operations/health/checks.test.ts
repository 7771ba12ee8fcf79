import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, describe, it } from "@effect/vitest"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { Effect, Fiber, Layer, Ref, TestClock } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import { ArtifactStorageError } from "../../../src/core/artifacts/errors.js"
import {
  artifactProbeTtl,
  artifactStoreCheck,
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

/** The in-memory store, recording the path of every `putBytes`, whose writes then take `afterWrite` to answer. */
const recordingStore = (afterWrite: Effect.Effect<void, ArtifactStorageError> = Effect.void) =>
  Effect.gen(function* () {
    const writes = yield* Ref.make<ReadonlyArray<string>>([])
    const store = yield* Effect.provide(ArtifactStore, ArtifactStore.layerMemory)
    const recording: ArtifactStore["Type"] = {
      ...store,
      putBytes: (path, data) =>
        Effect.zipLeft(
          Effect.zipLeft(
            store.putBytes(path, data),
            Ref.update(writes, (all) => [...all, path])
          ),
          afterWrite
        )
    }
    const check = yield* Effect.provideService(artifactStoreCheck, ArtifactStore, recording)
    return { check, store, writes }
  })

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

  it.effect("artifacts: reuses a success for artifactProbeTtl, then probes the same key again", () =>
    Effect.gen(function* () {
      const { check, writes } = yield* recordingStore()
      yield* check
      yield* TestClock.adjust("5 seconds")
      yield* check
      assert.lengthOf(yield* Ref.get(writes), 1)
      yield* TestClock.adjust(artifactProbeTtl)
      yield* check
      const [first, second] = yield* Ref.get(writes)
      assert.match(first ?? "", /^\.health-probe-/)
      assert.strictEqual(second, first)
    })
  )

  it.effect("artifacts: probes again after a failure", () =>
    Effect.gen(function* () {
      const failing = yield* Ref.make(true)
      const { check, writes } = yield* recordingStore(
        Effect.flatMap(Ref.get(failing), (fails) =>
          fails
            ? Effect.fail(new ArtifactStorageError({ path: "", operation: "put", cause: "disk full" }))
            : Effect.void
        )
      )
      assert.strictEqual((yield* Effect.flip(check)).reason, "the artifact store is not writable")
      yield* Ref.set(failing, false)
      assert.isUndefined(yield* check)
      assert.lengthOf(yield* Ref.get(writes), 2)
    })
  )

  it.effect("artifacts: concurrent checks share one probe", () =>
    Effect.gen(function* () {
      const { check, writes } = yield* recordingStore()
      yield* Effect.all([check, check, check], { concurrency: "unbounded" })
      assert.lengthOf(yield* Ref.get(writes), 1)
    })
  )

  it.effect("artifacts: a probe interrupted after its write deletes the probe file", () =>
    Effect.gen(function* () {
      const { check, store, writes } = yield* recordingStore(Effect.never)
      const probing = yield* Effect.fork(check)
      yield* TestClock.adjust("1 second")
      assert.lengthOf(yield* Ref.get(writes), 1)
      yield* Fiber.interrupt(probing)
      assert.deepStrictEqual(yield* store.list(""), [])
    })
  )
})
