/**
 * Chart-history benchmark: `getMetricHistory` of a 1,000,000-point series
 * downsampled to 1,000 points (target p50 under 100 ms), against the naive
 * baseline of reading every point with the raw driver (every stored block of
 * the series, decoded) and running LTTB.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { makeBasicLayer } from "../layers/index.js"
import { decodeChunk } from "../src/core/tracking/chunks.js"
import { lttb } from "../src/core/tracking/downsample.js"
import { ExperimentTracker } from "../src/index.js"
import type { Figure } from "./report.js"
import { percentile, round } from "./stats.js"

const points = 1_000_000
const batch = 1000
const iterations = 30

export const runHistory = async (): Promise<ReadonlyArray<Figure>> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-history-"))
  try {
    const { runId, samples } = await Effect.runPromise(
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const { experimentId } = yield* tracker.createExperiment({ name: "history-bench" })
        const run = yield* tracker.createRun({ experimentId })
        const runId = run.info.runId
        for (let from = 0; from < points; from += batch) {
          yield* tracker.logBatch(runId, {
            metrics: Array.from({ length: batch }, (_, i) => {
              const step = from + i
              return {
                key: "loss",
                value: Math.exp(-step / 200_000) + 0.05 * Math.sin(step / 37),
                step,
                timestamp: step
              }
            })
          })
        }
        const samples: Array<number> = []
        for (let i = 0; i < iterations + 3; i++) {
          const started = performance.now()
          const page = yield* tracker.getMetricHistory({ runId, key: "loss", maxPoints: 1000 })
          if (i >= 3) samples.push(performance.now() - started)
          if (page.items.length > 1000) throw new Error("downsampling returned too many points")
        }
        return { runId, samples }
      }).pipe(Effect.provide(makeBasicLayer({ dataPath: dir })))
    )
    const db = new Database(path.join(dir, "mlops.db"), { readonly: true })
    const select = db
      .prepare("SELECT points FROM metric_chunks WHERE run_id = ? AND key = ? ORDER BY min_step, chunk_id")
      .pluck()
    const naive: Array<number> = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      const blocks = select.all(runId, "loss") as Array<Buffer>
      lttb(
        blocks.flatMap((block) => decodeChunk("loss", block)),
        1000
      )
      naive.push(performance.now() - started)
    }
    db.close()
    return [
      {
        name: "getMetricHistory 1M points → 1000 (tiers) p50",
        unit: "ms",
        value: round(percentile(samples, 50)),
        baseline: { name: "raw driver read of every point + LTTB, p50", value: round(percentile(naive, 50)) },
        ratio: percentile(samples, 50) / percentile(naive, 50)
      },
      { name: "getMetricHistory 1M points → 1000 (tiers) p95", unit: "ms", value: round(percentile(samples, 95)) }
    ]
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
