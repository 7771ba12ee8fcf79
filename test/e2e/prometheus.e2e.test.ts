import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schedule, Schema } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { TelemetryLive, TelemetryRoutes, withTelemetry } from "../../layers/Telemetry.js"
import { makeServerLayer } from "../../src/http/server/Server.js"
import { freePort } from "../support/freePort.js"
import { jsonRequest } from "../support/jsonHttp.js"
import { tempDir } from "../support/sqlite.js"

/*
 * A real Prometheus (Debian's `prometheus`, which `.ci/run` installs)
 * scrapes the tracking server's `/metrics`, and PromQL sees the points the
 * server ingested.
 */

const prometheusBinary = "/usr/bin/prometheus"

/** The tracking server over BasicLayer with `/metrics`, on a free port, for the scope. */
const startServer = Effect.gen(function* () {
  const dir = yield* tempDir("effect-mlops-prometheus-data")
  const port = yield* freePort
  yield* Layer.build(
    makeServerLayer({ port, ui: false }, TelemetryRoutes).pipe(
      Layer.provide(withTelemetry(makeBasicLayer({ dataPath: path.join(dir, "data") }), TelemetryLive))
    )
  )
  return port
})

/** Prometheus scraping `127.0.0.1:<target>` every second, killed with the scope; its HTTP API's URL. */
const startPrometheus = (target: number) =>
  Effect.gen(function* () {
    const dir = yield* tempDir("effect-mlops-prometheus")
    const port = yield* freePort
    fs.writeFileSync(
      path.join(dir, "prometheus.yml"),
      [
        "global:",
        "  scrape_interval: 1s",
        "scrape_configs:",
        "  - job_name: effect-mlops",
        "    static_configs:",
        `      - targets: ["127.0.0.1:${target}"]`
      ].join("\n")
    )
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        spawn(
          prometheusBinary,
          [
            `--config.file=${path.join(dir, "prometheus.yml")}`,
            `--storage.tsdb.path=${path.join(dir, "data")}`,
            `--web.listen-address=127.0.0.1:${port}`
          ],
          { stdio: "ignore" }
        )
      ),
      (child) => Effect.sync(() => child.kill("SIGTERM"))
    )
    return `http://127.0.0.1:${port}`
  })

const QueryResult = Schema.Struct({
  status: Schema.Literal("success"),
  data: Schema.Struct({
    result: Schema.Array(Schema.Struct({ value: Schema.Tuple(Schema.Number, Schema.NumberFromString) }))
  })
})

/** The value of an instant PromQL query with one series, failing while there is none yet. */
const queryValue = (prometheus: string, query: string) =>
  Effect.gen(function* () {
    // Refused connections are expected until Prometheus listens: a failure to retry, not a defect.
    const body = yield* Effect.tryPromise(() =>
      fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`).then((response) => response.json())
    )
    const { data } = yield* Schema.decodeUnknown(QueryResult)(body)
    const first = data.result[0]
    if (first === undefined) return yield* Effect.fail("no sample yet")
    return first.value[1]
  })

describe("Prometheus", () => {
  it.scopedLive(
    "scrapes /metrics and answers PromQL with the ingest counter",
    () =>
      Effect.gen(function* () {
        const port = yield* startServer
        const url = `http://127.0.0.1:${port}`
        const experiment = yield* jsonRequest(url, "/api/2.0/mlflow/experiments/create", { json: { name: "scraped" } })
        const run = yield* jsonRequest(url, "/api/2.0/mlflow/runs/create", {
          json: { experiment_id: experiment.body.experiment_id }
        })
        const runId = (run.body.run as { info: { run_id: string } }).info.run_id
        const metrics = Array.from({ length: 40 }, (_, step) => ({
          key: "loss",
          value: 1 / (step + 1),
          timestamp: 1,
          step
        }))
        const batch = yield* jsonRequest(url, "/api/2.0/mlflow/runs/log-batch", { json: { run_id: runId, metrics } })
        expect(batch.status).toBe(200)
        // The counter is process-wide, so compare with what the server itself exposes.
        const exposed = yield* jsonRequest(url, "/metrics")
        const expected = Number(/^mlops_ingest_points_total (\d+)$/m.exec(exposed.text)?.[1])
        expect(expected).toBeGreaterThanOrEqual(metrics.length)

        const prometheus = yield* startPrometheus(port)
        // Prometheus starts, then takes its first scrape: seconds, so poll.
        const value = yield* queryValue(prometheus, 'mlops_ingest_points_total{job="effect-mlops"}').pipe(
          Effect.retry(Schedule.spaced("500 millis").pipe(Schedule.upTo("20 seconds")))
        )
        expect(value).toBe(expected)
      }),
    60_000
  )
})
