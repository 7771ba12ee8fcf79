import * as path from "node:path"
import { freePort } from "../support/freePort.js"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Scope } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { RemoteLayer, RemoteSession } from "../../src/client/RemoteLayer.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { tempDir } from "../support/sqlite.js"
import { spawnServer } from "../support/serverProcess.js"

const points = 20_000

describe("RemoteLayer against a server that crashes", () => {
  it.live(
    "a SIGKILLed server loses no acknowledged point, and the session resumes without duplicates",
    () =>
      Effect.gen(function* () {
        const dir = yield* tempDir("effect-mlops-crash")
        const dataDir = path.join(dir, "data")
        const port = yield* freePort
        const url = `http://127.0.0.1:${port}`

        const firstLife = yield* Scope.make()
        const first = yield* Scope.extend(spawnServer(dataDir, port), firstLife)

        const { runId, stored } = yield* Effect.gen(function* () {
          const tracker = yield* ExperimentTracker
          const session = yield* RemoteSession
          const experiment = yield* tracker.createExperiment({ name: "crash" })
          const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
          const runId = run.info.runId
          const writer = yield* Effect.fork(
            Effect.forEach(
              Array.from({ length: points }, (_, step) => step),
              (step) =>
                Effect.zipRight(
                  tracker.logMetric(runId, { key: "loss", value: step, step, timestamp: 1 }),
                  step % 500 === 0 ? Effect.sleep("5 millis") : Effect.void
                ),
              { discard: true }
            )
          )
          // Kill mid-ingest, after some batches were acknowledged.
          yield* Effect.sleep("300 millis")
          assert.isNull(writer.unsafePoll(), "the kill lands while points are still being logged")
          assert.isAbove(yield* session.pendingPoints, 0, "and while some are not yet acknowledged")
          first.child.kill("SIGKILL")
          yield* Effect.promise(() => first.exited)
          yield* Scope.close(firstLife, Exit.void)
          yield* Effect.sleep("500 millis")
          const secondLife = yield* Scope.make()
          yield* Scope.extend(spawnServer(dataDir, port), secondLife)
          yield* Fiber.join(writer)
          yield* session.flush
          const history = yield* tracker.getMetricHistory({ runId, key: "loss", maxResults: points + 10 })
          yield* Scope.close(secondLife, Exit.void)
          return { runId, stored: history.items.map((point) => point.step) }
        }).pipe(Effect.provide(RemoteLayer({ url, metrics: { flushInterval: "20 millis" } })))

        assert.strictEqual(stored.length, points, `run ${runId}: every point once`)
        assert.deepStrictEqual(
          stored,
          Array.from({ length: points }, (_, step) => step)
        )
        // The store is intact for an embedded reader too.
        const reread = yield* Effect.flatMap(ExperimentTracker, (tracker) =>
          tracker.getMetricHistory({ runId, key: "loss", maxResults: points + 10 })
        ).pipe(Effect.provide(makeBasicLayer({ dataPath: dataDir }).pipe(Layer.orDie)))
        assert.strictEqual(reread.items.length, points)
      }).pipe(Effect.scoped),
    120_000
  )
})
