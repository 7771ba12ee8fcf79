import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { ExperimentTracker } from "effect-mlops"
import { RemoteLayer, TestLayer } from "effect-mlops/layers"
import { startServer } from "../test/support/server.js"
import { trainOnServer } from "./remote-layer.js"

it.live("the training program logs to a server through RemoteLayer", () =>
  Effect.gen(function* () {
    const url = yield* startServer(TestLayer)
    const runId = yield* trainOnServer(url)
    const run = yield* Effect.flatMap(ExperimentTracker, (tracker) => tracker.getRun(runId)).pipe(
      Effect.provide(RemoteLayer({ url }))
    )
    assert.strictEqual(run.info.status, "FINISHED")
    assert.deepStrictEqual(
      run.data.metrics.map((m) => [m.key, m.step]),
      [
        ["accuracy", 3],
        ["loss", 3]
      ]
    )
  }).pipe(Effect.scoped)
)
