import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Tracer } from "effect"
import { makeBasicLayer } from "../../../layers/Basic.js"
import { withTelemetry } from "../../../layers/Telemetry.js"
import { CurrentTenant, TenantId } from "../../../src/core/context.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { signalUrls } from "../../../src/operations/telemetry/config.js"
import { datadogConfig } from "../../../src/operations/telemetry/presets/datadog.js"
import { newRelicConfig } from "../../../src/operations/telemetry/presets/newrelic.js"
import { layer, layerConfig } from "../../../src/operations/telemetry/Telemetry.js"
import { type OtlpReceiver, startOtlpReceiver } from "../../support/otlpReceiver.js"
import { tempDir } from "../../support/sqlite.js"

const points = Array.from({ length: 25 }, (_, step) => ({ key: "loss", value: 1 / (step + 1), step }))

/** Logs a batch to a new run on SQLite with `telemetry` installed, then releases everything (which flushes). */
const ingest = <E>(telemetry: Layer.Layer<never, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const dir = yield* tempDir("effect-mlops-telemetry")
      return yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        const { experimentId } = yield* tracker.createExperiment({ name: "telemetry" })
        const run = yield* tracker.createRun({ experimentId })
        yield* tracker.logBatch(run.info.runId, { metrics: points })
        yield* tracker.searchRuns({ experimentIds: [experimentId] })
        yield* Effect.logInfo("batch stored").pipe(Effect.withSpan("training step"))
        return run.info.runId
      }).pipe(Effect.provide(withTelemetry(makeBasicLayer({ dataPath: path.join(dir, "data") }), telemetry)))
    })
  )

const withReceiver = <A, E>(f: (receiver: OtlpReceiver) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(startOtlpReceiver, (receiver) => Effect.as(f(receiver), receiver)))

const env = (values: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromJson(values))

describe("OTLP export", () => {
  it.live("delivers spans with the resource's attributes and the run id on ExperimentTracker.logBatch", () =>
    Effect.gen(function* () {
      let runId = ""
      const receiver = yield* withReceiver((receiver) =>
        Effect.map(
          ingest(
            layer({
              serviceName: "tracking-test",
              serviceVersion: "1.2.3",
              resourceAttributes: { "deployment.environment": "ci" },
              endpoints: signalUrls(receiver.url)
            })
          ).pipe(Effect.provideService(CurrentTenant, TenantId.make("acme"))),
          (id) => {
            runId = id
          }
        )
      )
      const logBatch = receiver.spans.find((span) => span.name === "ExperimentTracker.logBatch")
      expect(logBatch?.attributes).toMatchObject({ "mlops.run.id": runId, "mlops.tenant.id": "acme" })
      expect(logBatch?.resource).toMatchObject({
        "service.name": "tracking-test",
        "service.version": "1.2.3",
        "deployment.environment": "ci"
      })
      expect(receiver.undecodable).toEqual([])
    })
  )

  it.live("delivers the ingest counters, search and database latencies as metrics", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layer({ serviceName: "tracking-test", endpoints: signalUrls(receiver.url) }))
      )
      // Effect metrics are process-global and cumulative: other tests in this file add to them.
      const ingested = receiver.points.filter((point) => point.name === "mlops_ingest_points_total")
      expect(ingested.at(-1)?.value).toBeGreaterThanOrEqual(points.length)
      expect(ingested.at(-1)?.resource["service.name"]).toBe("tracking-test")
      expect(receiver.points.some((point) => point.name === "mlops_db_query_duration_seconds")).toBe(true)
      expect(
        receiver.points.some(
          (point) => point.name === "mlops_search_duration_seconds" && point.attributes.operation === "searchRuns"
        )
      ).toBe(true)
    })
  )

  it.live("delivers logs carrying the trace id of the span they were written in", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layer({ serviceName: "tracking-test", endpoints: signalUrls(receiver.url) }))
      )
      const record = receiver.logs.find((log) => log.body === "batch stored")
      const span = receiver.spans.find((span) => span.name === "training step")
      expect(record?.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(record?.traceId).toBe(span?.traceId)
    })
  )

  it.live("exports only the signals that have an endpoint", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layer({ serviceName: "tracking-test", endpoints: { traces: `${receiver.url}/v1/traces` } }))
      )
      expect(new Set(receiver.requests.map((request) => request.path))).toEqual(new Set(["/v1/traces"]))
    })
  )
})

describe("trace sampling", () => {
  it.live("with a ratio of 0 exports no span, while metrics and logs still flow", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layer({ serviceName: "tracking-test", endpoints: signalUrls(receiver.url), traceSampleRatio: 0 }))
      )
      expect(receiver.spans).toEqual([])
      expect(receiver.points.some((point) => point.name === "mlops_ingest_points_total")).toBe(true)
      expect(receiver.logs.some((log) => log.body === "batch stored")).toBe(true)
    })
  )

  it.live("follows a remote parent that was not sampled, whatever the ratio", () =>
    Effect.gen(function* () {
      const remote = Tracer.externalSpan({
        traceId: "0af7651916cd43dd8448eb211c80319c",
        spanId: "b7ad6b7169203331",
        sampled: false
      })
      const receiver = yield* withReceiver((receiver) =>
        Effect.gen(function* () {
          yield* Effect.void.pipe(Effect.withSpan("unsampled request"), Effect.withParentSpan(remote))
          yield* Effect.void.pipe(Effect.withSpan("new trace"))
        }).pipe(
          Effect.provide(
            layer({ serviceName: "tracking-test", endpoints: signalUrls(receiver.url), traceSampleRatio: 1 })
          )
        )
      )
      expect(receiver.spans.map((span) => span.name)).toEqual(["new trace"])
    })
  )
})

describe("Datadog preset", () => {
  it.live("sends every signal to the Agent's OTLP paths without an API key", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layerConfig(datadogConfig({ baseUrl: receiver.url }))).pipe(
          Effect.provide(env({ DD_SERVICE: "dd-tracking", DD_ENV: "staging", DD_VERSION: "2.0.0" }))
        )
      )
      expect(new Set(receiver.requests.map((request) => request.path))).toEqual(
        new Set(["/v1/traces", "/v1/metrics", "/v1/logs"])
      )
      expect(receiver.requests.every((request) => request.headers["dd-api-key"] === undefined)).toBe(true)
      expect(receiver.spans[0]?.resource).toMatchObject({
        "service.name": "dd-tracking",
        "service.version": "2.0.0",
        "deployment.environment": "staging"
      })
    })
  )

  it.live("agentless: sends the API key in dd-api-key on every request", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layerConfig(datadogConfig({ baseUrl: receiver.url }))).pipe(
          Effect.provide(env({ DD_API_KEY: "dd-secret", DD_SITE: "datadoghq.eu" }))
        )
      )
      expect(receiver.requests.length).toBeGreaterThanOrEqual(3)
      for (const request of receiver.requests) {
        expect(request.headers).toMatchObject({ "dd-api-key": "dd-secret", "dd-protocol": "otlp" })
      }
    })
  )
})

describe("New Relic preset", () => {
  it.live("sends the license key in the api-key header with every signal", () =>
    Effect.gen(function* () {
      const receiver = yield* withReceiver((receiver) =>
        ingest(layerConfig(newRelicConfig({ baseUrl: receiver.url }))).pipe(
          Effect.provide(env({ NEW_RELIC_LICENSE_KEY: "eu01xxlicense", NEW_RELIC_APP_NAME: "nr-tracking" }))
        )
      )
      expect(new Set(receiver.requests.map((request) => request.path))).toEqual(
        new Set(["/v1/traces", "/v1/metrics", "/v1/logs"])
      )
      for (const request of receiver.requests) expect(request.headers["api-key"]).toBe("eu01xxlicense")
      expect(receiver.spans[0]?.resource["service.name"]).toBe("nr-tracking")
    })
  )
})
