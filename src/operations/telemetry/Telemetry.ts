import * as OtlpLogger from "@effect/opentelemetry/OtlpLogger"
import * as OtlpMetrics from "@effect/opentelemetry/OtlpMetrics"
import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
import * as OtlpTracer from "@effect/opentelemetry/OtlpTracer"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import { type Config, type ConfigError, Effect, Layer, Option, Redacted } from "effect"
import { constTrue } from "effect/Function"
import { layerWithoutMethodSpans } from "../../core/spans.js"
import { type TelemetryOptions, telemetryFromEnv } from "./config.js"
import { layerMetricsTemporality } from "./temporality.js"
import { instrumentTracer } from "./tracer.js"

/**
 * Database statement and route-naming instrumentation over whatever tracer
 * is installed (Effect's in-process tracer when nothing exports): feeds
 * `mlops_db_query_duration_seconds` for Prometheus without exporting spans.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { makeBasicLayer } from "effect-mlops/layers"
 * import { layerSpanMetrics } from "effect-mlops/telemetry"
 *
 * const Services = Layer.merge(makeBasicLayer({ dataPath: "./mlops-data" }), layerSpanMetrics)
 * ```
 */
export const layerSpanMetrics: Layer.Layer<never> = Layer.unwrapEffect(
  Effect.map(Effect.tracer, (tracer) => Layer.setTracer(instrumentTracer(tracer)))
)

/**
 * Servers built over this layer open no span per HTTP request, for
 * configurations that export no traces: the span would only be timed and
 * dropped, and it cost about 0.1 ms of server CPU per run creation (two
 * requests; 7.5–9% of throughput in alternated passes). Request metrics still
 * label requests by route, which the server records itself. Part of
 * {@link layerWithoutSpans}.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { layerSpanMetrics, layerWithoutServerSpans } from "effect-mlops/telemetry"
 *
 * const InProcessOnly = Layer.merge(layerSpanMetrics, layerWithoutServerSpans)
 * ```
 */
export const layerWithoutServerSpans: Layer.Layer<never> = Layer.locallyScoped(
  HttpMiddleware.currentTracerDisabledWhen,
  constTrue
)

/**
 * For configurations that export no traces: no span per HTTP request
 * ({@link layerWithoutServerSpans}) and none per core service method
 * (`layerWithoutMethodSpans`), as they would only be opened, timed and
 * dropped. SQL statements still open theirs, which feed
 * `mlops_db_query_duration_seconds` ({@link layerSpanMetrics}).
 * {@link layer} without a trace endpoint and {@link layerConfig} without
 * options use it.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { layerSpanMetrics, layerWithoutSpans } from "effect-mlops/telemetry"
 *
 * const InProcessOnly = Layer.merge(layerSpanMetrics, layerWithoutSpans)
 * ```
 */
export const layerWithoutSpans: Layer.Layer<never> = Layer.merge(layerWithoutServerSpans, layerWithoutMethodSpans)

/**
 * Exports traces, metrics and logs over OTLP/HTTP (protobuf) as `options`
 * say; a signal without an endpoint is not exported. Spans are batched and
 * pushed every 5 s (logs every second, metrics every
 * `metricExportInterval`, cumulative or delta as `metricsTemporality`
 * says), in the background: the traced code never waits for the network,
 * and a failing collector only drops telemetry. Releasing the layer flushes
 * what is buffered.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { layer } from "effect-mlops/telemetry"
 *
 * const Telemetry = layer({
 *   serviceName: "tracking-server",
 *   endpoints: { traces: "http://localhost:4318/v1/traces", metrics: "http://localhost:4318/v1/metrics" },
 *   metricsTemporality: "delta"
 * })
 * ```
 */
export const layer = (options: TelemetryOptions): Layer.Layer<never> => {
  const resource = {
    serviceName: options.serviceName,
    serviceVersion: options.serviceVersion,
    attributes: { ...options.resourceAttributes }
  }
  const headers = Object.fromEntries(
    Object.entries(options.headers ?? {}).map(([name, value]) => [name, Redacted.value(value)])
  )
  const { logs, metrics, traces } = options.endpoints
  const tracer =
    traces === undefined
      ? Layer.merge(layerSpanMetrics, layerWithoutSpans)
      : Layer.unwrapScoped(
          Effect.gen(function* () {
            const inProcess = yield* Effect.tracer
            const otlp = yield* OtlpTracer.make({
              url: traces,
              resource,
              headers,
              exportInterval: options.exportInterval
            })
            const ratio = options.traceSampleRatio
            return Layer.setTracer(
              instrumentTracer(otlp, ratio === undefined ? undefined : { ratio, unsampled: inProcess })
            )
          })
        )
  return Layer.mergeAll(
    tracer,
    metrics === undefined
      ? Layer.empty
      : OtlpMetrics.layer({ url: metrics, resource, headers, exportInterval: options.metricExportInterval }).pipe(
          Layer.provide(layerMetricsTemporality(options.metricsTemporality ?? "cumulative"))
        ),
    logs === undefined
      ? Layer.empty
      : OtlpLogger.layer({ url: logs, resource, headers, exportInterval: options.exportInterval })
  ).pipe(Layer.provide(OtlpSerialization.layerProtobuf), Layer.provide(FetchHttpClient.layer))
}

/**
 * {@link layer} with options read from `config` when the layer is built, so
 * a bad setting fails at startup; `None` exports nothing (and turns HTTP
 * server and method spans off, {@link layerWithoutSpans}).
 *
 * @example
 * ```ts
 * import { layerConfig, newRelicConfig } from "effect-mlops/telemetry"
 *
 * const NewRelicTelemetry = layerConfig(newRelicConfig())
 * ```
 */
export const layerConfig = (
  config: Config.Config<TelemetryOptions | Option.Option<TelemetryOptions>>
): Layer.Layer<never, ConfigError.ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(config, (options) =>
      Option.isOption(options)
        ? Option.match(options, { onNone: () => layerWithoutSpans, onSome: layer })
        : layer(options)
    )
  )

/**
 * {@link layer} configured by the standard `OTEL_*` environment variables
 * ({@link telemetryFromEnv}); with no OTLP endpoint set, or
 * `OTEL_SDK_DISABLED=true`, it exports nothing and only turns HTTP server
 * and method spans off ({@link layerWithoutSpans}).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { makeBasicLayer } from "effect-mlops/layers"
 * import { layerFromEnv } from "effect-mlops/telemetry"
 *
 * const Services = Layer.merge(makeBasicLayer({ dataPath: "./mlops-data" }), layerFromEnv)
 * ```
 */
export const layerFromEnv: Layer.Layer<never, ConfigError.ConfigError> = layerConfig(telemetryFromEnv)
