import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Schema } from "effect"
import fc from "fast-check"
import { Run } from "../../../src/core/tracking/model.js"
import { runJson } from "../../../src/http/api/runJson.js"

describe("runJson", () => {
  it("encodes every run exactly as Schema.encode(Run) does, non-finite metric values included", () => {
    const runs = Arbitrary.make(Run)
    const encode = Schema.encodeSync(Run)
    fc.assert(
      fc.property(runs, (run) => {
        assert.deepStrictEqual(runJson(run), encode(run))
      }),
      { numRuns: 300 }
    )
  })

  it("sends NaN and the infinities as the strings JSON can carry", () => {
    const run = Schema.decodeSync(Run)({
      info: {
        runId: "a".repeat(32),
        experimentId: "0",
        runName: "r",
        userId: "u",
        status: "RUNNING",
        startTime: 1,
        endTime: null,
        artifactUri: "mlflow-artifacts:/0/r",
        lifecycleStage: "active"
      },
      data: {
        metrics: [
          { key: "a", value: "NaN", timestamp: 1, step: 0 },
          { key: "b", value: "Infinity", timestamp: 1, step: 0 },
          { key: "c", value: "-Infinity", timestamp: 1, step: 0 }
        ],
        params: [],
        tags: []
      },
      inputs: []
    })
    assert.deepStrictEqual(
      runJson(run).data.metrics.map((m) => m.value),
      ["NaN", "Infinity", "-Infinity"]
    )
  })
})
