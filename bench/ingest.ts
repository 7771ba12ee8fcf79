/**
 * Ingest benchmark: metric points per second through `ExperimentTracker.logBatch`
 * on BasicLayer (SQLite, chart tiers included), against the raw baseline a
 * user could write by hand — better-sqlite3 prepared 500-row multi-VALUES
 * INSERTs into a table of one row per point, indexed for history reads as
 * such a table must be, with the same latest-metric upsert, pragmas and one
 * transaction per batch of 1000 points.
 *
 * Throughput on a shared machine drifts by ±15% from one second to the next,
 * so the two paths write in alternating slices of 20 batches into two stores
 * and each rate sums only its own slices: drift hits both alike.
 *
 * Run with `npm run bench`.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import Database from "better-sqlite3"
import { Effect, ManagedRuntime } from "effect"
import { makeBasicLayer } from "../layers/index.js"
import { ExperimentTracker, type MetricInput, type RunId } from "../src/index.js"
import type { Figure } from "./report.js"

const batchSize = 1000
const slices = 30
const batchesPerSlice = 20
const keys = ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]

type Point = Required<MetricInput>

export const makeBatch = (batch: number): Array<Point> => {
  const points: Array<Point> = new Array(batchSize)
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

const createRuns = (experimentName: string, runCount: number) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const { experimentId } = yield* tracker.createExperiment({ name: experimentName })
    const runIds: Array<RunId> = []
    for (let r = 0; r < runCount; r++) runIds.push((yield* tracker.createRun({ experimentId })).info.runId)
    return { experimentId, runIds }
  })

/** The raw baseline: a hand-written writer over the same tables, created by the service's migrations. */
const rawWriter = (file: string) => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.pragma("busy_timeout = 30000")
  db.exec(`CREATE TABLE raw_metrics (run_id TEXT NOT NULL, key TEXT NOT NULL, step INTEGER NOT NULL,
      timestamp INTEGER NOT NULL, value REAL NOT NULL, is_nan INTEGER NOT NULL);
    CREATE INDEX raw_metrics_history ON raw_metrics (run_id, key, step, timestamp)`)
  const chunk = 500
  const placeholders = Array.from({ length: chunk }, () => "(?, ?, ?, ?, ?, ?)").join(", ")
  const insert = db.prepare(
    `INSERT INTO raw_metrics (run_id, key, step, timestamp, value, is_nan) VALUES ${placeholders}`
  )
  const upsert =
    db.prepare(`INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, timestamp = excluded.timestamp,
      value = excluded.value, is_nan = excluded.is_nan
    WHERE excluded.step > latest_metrics.step OR (excluded.step = latest_metrics.step
      AND (excluded.timestamp > latest_metrics.timestamp OR (excluded.timestamp = latest_metrics.timestamp
        AND excluded.is_nan = 0 AND (latest_metrics.is_nan = 1 OR excluded.value > latest_metrics.value))))`)
  const write = db.transaction((runId: string, points: ReadonlyArray<Point>) => {
    const params: Array<unknown> = []
    for (let start = 0; start < points.length; start += chunk) {
      params.length = 0
      for (let i = start; i < start + chunk; i++) {
        const p = points[i]!
        const nan = Number.isNaN(p.value)
        params.push(runId, p.key, p.step, p.timestamp, nan ? 0 : p.value, nan ? 1 : 0)
      }
      insert.run(params)
    }
    const latest = new Map<string, Point>()
    for (const p of points) {
      const current = latest.get(p.key)
      if (!current || p.step > current.step || (p.step === current.step && p.timestamp > current.timestamp)) {
        latest.set(p.key, p)
      }
    }
    for (const p of latest.values()) upsert.run(runId, p.key, p.step, p.timestamp, p.value, 0)
  })
  return { write, close: () => db.close() }
}

const measure = async (runCount: number): Promise<{ readonly service: number; readonly raw: number }> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-ingest-"))
  const service = ManagedRuntime.make(makeBasicLayer({ dataPath: path.join(dir, "service") }))
  const rawStore = ManagedRuntime.make(makeBasicLayer({ dataPath: path.join(dir, "raw") }))
  try {
    const { runIds } = await service.runPromise(createRuns("bench", runCount))
    const rawRuns = await rawStore.runPromise(createRuns("bench", runCount))
    await rawStore.dispose()
    const raw = rawWriter(path.join(dir, "raw", "mlops.db"))
    const batches = Array.from({ length: slices * batchesPerSlice }, (_, b) => makeBatch(b))
    const logSlice = (from: number) =>
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        for (let b = from; b < from + batchesPerSlice; b++) {
          yield* tracker.logBatch(runIds[b % runCount]!, { metrics: batches[b]! })
        }
      })
    // Warm up both paths (JIT, page cache) outside the measurement.
    await service.runPromise(logSlice(0))
    for (let b = 0; b < batchesPerSlice; b++) raw.write(rawRuns.runIds[b % runCount]!, batches[b]!)
    let serviceMs = 0
    let rawMs = 0
    for (let s = 1; s < slices; s++) {
      const from = s * batchesPerSlice
      let started = performance.now()
      await service.runPromise(logSlice(from))
      serviceMs += performance.now() - started
      started = performance.now()
      for (let b = from; b < from + batchesPerSlice; b++) raw.write(rawRuns.runIds[b % runCount]!, batches[b]!)
      rawMs += performance.now() - started
    }
    raw.close()
    const points = (slices - 1) * batchesPerSlice * batchSize
    return { service: points / (serviceMs / 1000), raw: points / (rawMs / 1000) }
  } finally {
    await service.dispose()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export const runIngest = async (): Promise<ReadonlyArray<Figure>> => {
  const figures: Array<Figure> = []
  for (const runCount of [1, 50]) {
    const { service, raw } = await measure(runCount)
    figures.push({
      name: `ingest logBatch(${batchSize}) ${runCount === 1 ? "one run" : `${runCount} runs`}, incl. chart tiers`,
      unit: "points/s",
      value: Math.round(service),
      baseline: { name: "raw better-sqlite3, row per point, 500-row INSERTs", value: Math.round(raw) },
      ratio: service / raw
    })
  }
  return figures
}
