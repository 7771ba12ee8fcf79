/**
 * Ingest benchmark: metric points per second through `ExperimentTracker.logBatch`
 * on BasicLayer (SQLite), against the raw baseline a user could write by hand —
 * better-sqlite3 prepared 500-row multi-VALUES INSERTs into the same tables,
 * with the same latest-metric upsert, pragmas and one transaction per batch.
 *
 * Run with `npm run bench`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { makeBasicLayer } from "../layers/index.js"
import { ExperimentTracker, type MetricInput, type RunId } from "../src/index.js"
import type { Figure } from "./report.js"

const batchSize = 1000
const keys = ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]

const makeBatch = (batch: number): Array<Required<MetricInput>> => {
  const points: Array<Required<MetricInput>> = new Array(batchSize)
  const base = batch * (batchSize / keys.length)
  for (let i = 0; i < batchSize; i++) {
    const step = base + Math.floor(i / keys.length)
    points[i] = {
      key: keys[i % keys.length]!,
      value: Math.sin(step) + i * 1e-6,
      timestamp: 1_700_000_000_000 + step,
      step
    }
  }
  return points
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-"))

/** The service path: `logBatch` on BasicLayer, `runs` runs written round-robin. */
const serviceRate = async (totalBatches: number, runCount: number) => {
  const dir = tempDir()
  const program = Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const experiment = yield* tracker.createExperiment({ name: "bench" })
    const runIds: Array<RunId> = []
    for (let r = 0; r < runCount; r++) {
      runIds.push((yield* tracker.createRun({ experimentId: experiment.experimentId })).info.runId)
    }
    const batches = Array.from({ length: totalBatches }, (_, b) => makeBatch(b))
    const started = performance.now()
    for (let b = 0; b < totalBatches; b++) {
      yield* tracker.logBatch(runIds[b % runCount]!, { metrics: batches[b]! })
    }
    return performance.now() - started
  })
  const elapsed = await Effect.runPromise(program.pipe(Effect.provide(makeBasicLayer({ dataPath: dir }))))
  fs.rmSync(dir, { recursive: true, force: true })
  return (totalBatches * batchSize) / (elapsed / 1000)
}

/** The raw baseline on the same schema (migrated by the service layer first). */
const rawRate = async (totalBatches: number, runCount: number) => {
  const dir = tempDir()
  // Let the service create and migrate the store so both paths write identical tables.
  const runIds = await Effect.runPromise(
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const experiment = yield* tracker.createExperiment({ name: "bench" })
      const ids: Array<string> = []
      for (let r = 0; r < runCount; r++) {
        ids.push((yield* tracker.createRun({ experimentId: experiment.experimentId })).info.runId)
      }
      return ids
    }).pipe(Effect.provide(makeBasicLayer({ dataPath: dir })))
  )
  const db = new Database(path.join(dir, "mlops.db"))
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("busy_timeout = 30000")
  const chunk = 500
  const placeholders = Array.from({ length: chunk }, () => "(?, ?, ?, ?, ?, ?)").join(", ")
  const insert = db.prepare(`INSERT INTO metrics (run_id, key, step, timestamp, value, is_nan) VALUES ${placeholders}`)
  const upsert =
    db.prepare(`INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp,
      value = excluded.value, is_nan = excluded.is_nan
    WHERE excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step
      AND (excluded.timestamp > latest_metrics.timestamp OR (excluded.timestamp = latest_metrics.timestamp
        AND excluded.is_nan = 0 AND (latest_metrics.is_nan = 1 OR excluded.value > latest_metrics.value))))`)
  const writeBatch = db.transaction((runId: string, points: ReadonlyArray<Required<MetricInput>>) => {
    const params: Array<unknown> = []
    for (let start = 0; start < points.length; start += chunk) {
      params.length = 0
      for (let i = start; i < start + chunk; i++) {
        const p = points[i]!
        params.push(
          runId,
          p.key,
          p.step,
          p.timestamp,
          Number.isNaN(p.value) ? 0 : p.value,
          Number.isNaN(p.value) ? 1 : 0
        )
      }
      insert.run(params)
    }
    const latest = new Map<string, Required<MetricInput>>()
    for (const p of points) {
      const current = latest.get(p.key)
      if (!current || p.step > current.step || (p.step === current.step && p.timestamp > current.timestamp)) {
        latest.set(p.key, p)
      }
    }
    for (const p of latest.values()) upsert.run(runId, p.key, p.step, p.timestamp, p.value, 0)
  })
  const batches = Array.from({ length: totalBatches }, (_, b) => makeBatch(b))
  const started = performance.now()
  for (let b = 0; b < totalBatches; b++) writeBatch(runIds[b % runCount]!, batches[b]!)
  const elapsed = performance.now() - started
  db.close()
  fs.rmSync(dir, { recursive: true, force: true })
  return (totalBatches * batchSize) / (elapsed / 1000)
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export const runIngest = async (): Promise<ReadonlyArray<Figure>> => {
  const totalBatches = 400
  const repeats = 5
  const figures: Array<Figure> = []
  for (const runCount of [1, 50]) {
    // Warm up both paths (JIT, page cache), then alternate them so that drift
    // on a shared machine hits both alike; report medians.
    await serviceRate(20, runCount)
    await rawRate(20, runCount)
    const services: Array<number> = []
    const raws: Array<number> = []
    for (let r = 0; r < repeats; r++) {
      services.push(await serviceRate(totalBatches, runCount))
      raws.push(await rawRate(totalBatches, runCount))
    }
    const service = median(services)
    const raw = median(raws)
    figures.push({
      name: `ingest logBatch(${batchSize}) ${runCount === 1 ? "one run" : `${runCount} runs`}, incl. chart tiers`,
      unit: "points/s",
      value: Math.round(service),
      baseline: { name: "raw better-sqlite3, 500-row INSERTs", value: Math.round(raw) },
      ratio: service / raw
    })
  }
  return figures
}
