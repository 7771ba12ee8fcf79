/**
 * Telemetry overhead: metric points per second through `ExperimentTracker.logBatch`
 * on BasicLayer (SQLite), with everything on — the instrumented tracker
 * (ingest counters, ids on spans), spans, metrics and logs exported over
 * OTLP/HTTP protobuf to a local receiver — against the same store with
 * telemetry off. Target: at least 90% of the untraced rate.
 *
 * The receiver only drains the requests (a collector runs elsewhere in
 * production, so decoding here would bill its CPU to the traced path). As
 * in `ingest.ts`, the two paths write in alternating slices into two stores
 * so the machine's drift hits both alike; the figure is the median of the
 * per-slice ratios.
 *
 * Run with `npx tsx bench/telemetry.ts`.
 */
import * as fs from "node:fs"
import { createServer } from "node:http"
import * as os from "node:os"
import * as path from "node:path"
import { Effect, type Layer, ManagedRuntime } from "effect"
import { makeBasicLayer } from "../layers/index.js"
import { withTelemetry } from "../layers/Telemetry.js"
import { ExperimentTracker, type RunId } from "../src/index.js"
import { signalUrls } from "../src/operations/telemetry/config.js"
import { layer as otlpLayer } from "../src/operations/telemetry/Telemetry.js"
import { makeBatch } from "./ingest.js"
import { type Figure, report } from "./report.js"

const batchSize = 1000
const slices = 30
const batchesPerSlice = 20
const runCount = 10

/** An OTLP endpoint that accepts and discards every export; its URL and how many bytes it took. */
const startSink = async () => {
  let bytes = 0
  const server = createServer((request, response) => {
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length
    })
    request.on("end", () => response.writeHead(200).end())
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => bytes,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const store = <E>(services: Layer.Layer<ExperimentTracker, E>) => {
  const runtime = ManagedRuntime.make(services)
  const runIds = runtime.runPromise(
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const { experimentId } = yield* tracker.createExperiment({ name: "bench-telemetry" })
      const ids: Array<RunId> = []
      for (let r = 0; r < runCount; r++) ids.push((yield* tracker.createRun({ experimentId })).info.runId)
      return ids
    })
  )
  /** Milliseconds to log batches `from` … `from + batchesPerSlice`. */
  const logSlice = async (batches: ReadonlyArray<ReturnType<typeof makeBatch>>, from: number) => {
    const ids = await runIds
    const started = performance.now()
    await runtime.runPromise(
      Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        for (let b = from; b < from + batchesPerSlice; b++) {
          yield* tracker.logBatch(ids[b % runCount]!, { metrics: batches[b]! })
        }
      })
    )
    return performance.now() - started
  }
  return { logSlice, dispose: () => runtime.dispose() }
}

export const runTelemetry = async (): Promise<ReadonlyArray<Figure>> => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "effect-mlops-bench-telemetry-"))
  const sink = await startSink()
  const off = store(makeBasicLayer({ dataPath: path.join(dir, "off") }))
  const on = store(
    withTelemetry(
      makeBasicLayer({ dataPath: path.join(dir, "on") }),
      otlpLayer({ serviceName: "bench", endpoints: signalUrls(sink.url), metricExportInterval: "1 second" })
    )
  )
  try {
    const batches = Array.from({ length: slices * batchesPerSlice }, (_, b) => makeBatch(b))
    // Warm up both paths (JIT, page cache) outside the measurement.
    await off.logSlice(batches, 0)
    await on.logSlice(batches, 0)
    const ratios: Array<number> = []
    let offMs = 0
    let onMs = 0
    for (let s = 1; s < slices; s++) {
      const from = s * batchesPerSlice
      // Alternate which path goes first, so neither always runs on a just-warmed cache.
      const [untraced, traced] =
        s % 2 === 0
          ? [await off.logSlice(batches, from), await on.logSlice(batches, from)]
          : await on.logSlice(batches, from).then(async (t) => [await off.logSlice(batches, from), t] as const)
      offMs += untraced
      onMs += traced
      ratios.push(untraced / traced)
    }
    const points = (slices - 1) * batchesPerSlice * batchSize
    return [
      {
        name: `ingest logBatch(${batchSize}) with OTLP traces, metrics and logs (median of ${slices - 1} slice ratios)`,
        unit: "points/s",
        value: Math.round(points / (onMs / 1000)),
        baseline: { name: "telemetry off", value: Math.round(points / (offMs / 1000)) },
        ratio: median(ratios)
      }
    ]
  } finally {
    await on.dispose()
    await off.dispose()
    console.log(`the receiver took ${(sink.received() / 1024).toFixed(0)} KiB of OTLP`)
    await sink.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  report("telemetry", await runTelemetry())
}
