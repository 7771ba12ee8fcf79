import * as Metrics from "@effect/opentelemetry/Metrics"
import * as Resource from "@effect/opentelemetry/Resource"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Effect, Layer } from "effect"

/** The Prometheus text exposition format's content type. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8"

/**
 * `GET /metrics`: every Effect metric of the process (the server's request
 * metrics, ingest and search counters, database latency) in the Prometheus
 * text format, for a Prometheus server to scrape. Public like `/healthz`: it
 * holds counts and latencies, no tenant data.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { makeServerLayer } from "effect-mlops/server"
 * import { PrometheusRoutes } from "effect-mlops/telemetry"
 *
 * const Server = makeServerLayer({ port: 5000 }, PrometheusRoutes)
 * ```
 */
export const PrometheusRoutes: Layer.Layer<never, never, HttpLayerRouter.HttpRouter> = Layer.scopedDiscard(
  Effect.gen(function* () {
    // The exporter is only a metric reader here: we serve its output on our own route.
    const exporter = new PrometheusExporter({ preventServerStart: true })
    const serializer = new PrometheusSerializer()
    const producer = yield* Metrics.makeProducer
    yield* Metrics.registerProducer(producer, () => exporter)
    const router = yield* HttpLayerRouter.HttpRouter
    yield* router.add(
      "GET",
      "/metrics",
      Effect.map(
        Effect.promise(() => exporter.collect()),
        ({ resourceMetrics }) =>
          HttpServerResponse.text(serializer.serialize(resourceMetrics), { contentType: prometheusContentType })
      )
    )
  })
).pipe(Layer.provide(HttpLayerRouter.disableLogger), Layer.provide(Resource.layer({ serviceName: "effect-mlops" })))
