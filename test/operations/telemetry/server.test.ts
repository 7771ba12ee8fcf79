import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Tracer } from "effect"
import { makeBasicLayer } from "../../../layers/Basic.js"
import { TelemetryLive, TelemetryRoutes, withTelemetry } from "../../../layers/Telemetry.js"
import { makeServerLayer } from "../../../src/http/server/Server.js"
import { datadogConfig } from "../../../src/operations/telemetry/presets/datadog.js"
import { newRelicConfig } from "../../../src/operations/telemetry/presets/newrelic.js"
import { prometheusContentType } from "../../../src/operations/telemetry/prometheus.js"
import { layerConfig } from "../../../src/operations/telemetry/Telemetry.js"
import { freePort } from "../../support/freePort.js"
import { jsonRequest } from "../../support/jsonHttp.js"
import { type OtlpReceiver, startOtlpReceiver } from "../../support/otlpReceiver.js"
import { tempDir } from "../../support/sqlite.js"

const logBatchRoute = "/api/2.0/mlflow/runs/log-batch"

/**
 * Runs the tracking server (`makeServerLayer` with the telemetry routes, as
 * the CLI does) over BasicLayer with `telemetry`, logs a batch through the
 * MLflow API, reads `/metrics`, then stops the server (which flushes).
 */
const serveAndIngest = <E>(telemetry: Layer.Layer<never, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const dir = yield* tempDir("effect-mlops-telemetry-server")
      const port = yield* freePort
      yield* Layer.build(
        makeServerLayer({ port, ui: false }, TelemetryRoutes).pipe(
          Layer.provide(withTelemetry(makeBasicLayer({ dataPath: path.join(dir, "data") }), telemetry))
        )
      )
      const url = `http://127.0.0.1:${port}`
      const experiment = yield* jsonRequest(url, "/api/2.0/mlflow/experiments/create", { json: { name: "served" } })
      const run = yield* jsonRequest(url, "/api/2.0/mlflow/runs/create", {
        json: { experiment_id: experiment.body.experiment_id }
      })
      const runId = (run.body.run as { info: { run_id: string } }).info.run_id
      const batch = yield* jsonRequest(url, logBatchRoute, {
        json: { run_id: runId, metrics: [{ key: "loss", value: 0.5, timestamp: 1, step: 1 }] }
      })
      expect(batch.status).toBe(200)
      expect((yield* jsonRequest(url, "/no-such-route/42")).status).toBe(404)
      return yield* jsonRequest(url, "/metrics")
    })
  )

const withReceiver = <A, E>(f: (receiver: OtlpReceiver) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(startOtlpReceiver, (receiver) => Effect.map(f(receiver), (a) => [receiver, a] as const)))

const env = (values: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromJson(values))

describe("the server with telemetry", () => {
  it.live("with the Datadog preset delivers route-named spans, request metrics and correlated logs", () =>
    Effect.gen(function* () {
      const [receiver] = yield* withReceiver((receiver) =>
        serveAndIngest(layerConfig(datadogConfig({ baseUrl: receiver.url }))).pipe(
          Effect.provide(env({ DD_API_KEY: "dd-secret", DD_SERVICE: "tracking-server" }))
        )
      )
      const request = receiver.spans.find((span) => span.name === `POST ${logBatchRoute}`)
      expect(request?.attributes).toMatchObject({ "http.route": logBatchRoute, "http.response.status_code": 200 })
      expect(request?.resource["service.name"]).toBe("tracking-server")
      expect(
        receiver.points.some(
          (point) => point.name === "http_server_requests_total" && point.attributes.route === logBatchRoute
        )
      ).toBe(true)
      const serverTraces = new Set(receiver.spans.map((span) => span.traceId))
      expect(receiver.logs.some((log) => serverTraces.has(log.traceId))).toBe(true)
      expect(receiver.requests.every((received) => received.headers["dd-api-key"] === "dd-secret")).toBe(true)
      expect(receiver.undecodable).toEqual([])
    })
  )

  it.live("with the New Relic preset delivers traces, metrics and logs with the api-key header", () =>
    Effect.gen(function* () {
      const [receiver] = yield* withReceiver((receiver) =>
        serveAndIngest(layerConfig(newRelicConfig({ baseUrl: receiver.url }))).pipe(
          Effect.provide(env({ NEW_RELIC_LICENSE_KEY: "nr-license" }))
        )
      )
      expect(new Set(receiver.requests.map((received) => received.path))).toEqual(
        new Set(["/v1/traces", "/v1/metrics", "/v1/logs"])
      )
      expect(receiver.requests.every((received) => received.headers["api-key"] === "nr-license")).toBe(true)
    })
  )

  it.live("exporting no traces, opens no server or method span and still labels requests by route", () =>
    Effect.gen(function* () {
      const opened: Array<{ readonly name: string; readonly kind: Tracer.SpanKind }> = []
      const inProcess = yield* Effect.tracer
      const recording = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          opened.push({ name, kind })
          return inProcess.span(name, parent, context, links, startTime, kind, options)
        },
        context: inProcess.context
      })
      const metrics = yield* serveAndIngest(TelemetryLive).pipe(
        Effect.withTracer(recording),
        Effect.provide(env({ OTEL_SERVICE_NAME: "no-endpoint" }))
      )
      expect(opened.filter((span) => span.kind === "server")).toEqual([])
      expect(opened.map((span) => span.name).filter((name) => name.startsWith("ExperimentTracker."))).toEqual([])
      expect(metrics.text).toMatch(
        /^http_server_requests_total\{method="POST",route="\/api\/2\.0\/mlflow\/runs\/log-batch",status="200",status_class="2xx"\} \d+$/m
      )
    })
  )

  it.live("serves Prometheus metrics on /metrics, the request counter labelled by route pattern", () =>
    Effect.gen(function* () {
      const metrics = yield* serveAndIngest(Layer.empty)
      expect(metrics.status).toBe(200)
      expect(metrics.headers.get("content-type")).toBe(prometheusContentType)
      expect(metrics.text).toMatch(/^mlops_ingest_points_total \d+$/m)
      expect(metrics.text).toMatch(/^mlops_db_query_duration_seconds_count\{statement="INSERT"\} \d+$/m)
      expect(metrics.text).toContain(`route="${logBatchRoute}"`)
      // Unmatched paths share one label value, so scanners cannot grow the series count.
      expect(metrics.text).toMatch(
        /^http_server_requests_total\{method="GET",route="unmatched",status="404",status_class="4xx"\} \d+$/m
      )
      expect(metrics.text).toMatch(/^# TYPE http_server_request_duration_seconds histogram$/m)
    })
  )
})
