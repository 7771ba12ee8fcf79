/**
 * Telemetry configurations (the future subpath `effect-mlops/telemetry`):
 * OTLP export from the standard `OTEL_*` environment or a vendor preset,
 * over services instrumented with ingest and search metrics. The only
 * `layers/` module that pulls `@effect/opentelemetry` and `@opentelemetry/*`.
 */
import type * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Config, Layer } from "effect"
import type { ConfigError } from "effect/ConfigError"
import { layerRequestMetrics } from "../src/operations/telemetry/http.js"
import { datadogConfig } from "../src/operations/telemetry/presets/datadog.js"
import { newRelicConfig } from "../src/operations/telemetry/presets/newrelic.js"
import { PrometheusRoutes } from "../src/operations/telemetry/prometheus.js"
import { layerConfig, layerFromEnv, layerSpanMetrics } from "../src/operations/telemetry/Telemetry.js"
import { layerInstrumentedTracker } from "../src/operations/telemetry/tracker.js"
import type { ExperimentTracker } from "../src/core/tracking/ExperimentTracker.js"

export * from "../src/operations/telemetry/index.js"

/** OTLP export configured by the `OTEL_*` environment; with no endpoint set, nothing is exported and HTTP server spans are off. */
export const TelemetryLive: Layer.Layer<never, ConfigError> = layerFromEnv

/** The Datadog preset: to the Agent, or agentless with `DD_API_KEY` and `DD_SITE`. */
export const DatadogTelemetry: Layer.Layer<never, ConfigError> = layerConfig(datadogConfig())

/** The New Relic preset: `NEW_RELIC_LICENSE_KEY`, US or EU. */
export const NewRelicTelemetry: Layer.Layer<never, ConfigError> = layerConfig(newRelicConfig())

/** The telemetry configurations by name, as `MLOPS_TELEMETRY` and the CLI's `--telemetry` choose them. */
export const telemetryPresets = {
  otel: TelemetryLive,
  datadog: DatadogTelemetry,
  newrelic: NewRelicTelemetry
} as const satisfies Record<string, Layer.Layer<never, ConfigError>>

/** The name of a {@link telemetryPresets} entry. */
export type TelemetryPreset = keyof typeof telemetryPresets

/** `MLOPS_TELEMETRY`: `otel` (default: the `OTEL_*` environment), `datadog` or `newrelic`. */
export const telemetryPresetConfig: Config.Config<TelemetryPreset> = Config.literal(
  "otel",
  "datadog",
  "newrelic"
)("MLOPS_TELEMETRY").pipe(Config.withDefault("otel" as const))

/** `/metrics` for Prometheus and the request metrics of every route, to merge into a server's routes. */
export const TelemetryRoutes: Layer.Layer<never, never, HttpLayerRouter.HttpRouter> = Layer.mergeAll(
  PrometheusRoutes,
  layerRequestMetrics
)

/**
 * `services` (e.g. `BasicLayer`'s core services) with the tracker instrumented (ingest and search metrics, ids
 * on spans) and `telemetry` installed first, so its tracer and logger see
 * everything built after it. Database latency is recorded from SQL spans
 * even when `telemetry` exports nothing (for `/metrics`).
 *
 * @example
 * ```ts
 * import { Config, Layer } from "effect"
 * import { makeBasicLayer } from "effect-mlops/layers"
 * import { makeServerLayer } from "effect-mlops/server"
 * import { DatadogTelemetry, TelemetryRoutes, withTelemetry } from "effect-mlops/telemetry"
 *
 * const Server = makeServerLayer({ port: 5000 }, TelemetryRoutes).pipe(
 *   Layer.provide(withTelemetry(makeBasicLayer({ dataPath: "./mlops-data" }), DatadogTelemetry))
 * )
 * ```
 */
export const withTelemetry = <ROut, E, R, E2, R2>(
  services: Layer.Layer<ROut | ExperimentTracker, E, R>,
  telemetry: Layer.Layer<never, E2, R2>
): Layer.Layer<ROut | ExperimentTracker, E | E2, R | R2> =>
  Layer.provideMerge(layerInstrumentedTracker, services).pipe(
    // In sequence: an exporting tracer from `telemetry` replaces the in-process one.
    Layer.provide(Layer.provideMerge(telemetry, layerSpanMetrics))
  )
