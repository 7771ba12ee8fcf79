/**
 * Telemetry: OTLP export of traces, metrics and logs (plain, Datadog or New
 * Relic), the service and HTTP metrics, and Prometheus `/metrics`. The only
 * modules importing `@effect/opentelemetry` and `@opentelemetry/*`, which
 * are optional peer dependencies.
 */
export * from "./config.js"
export { layerRequestMetrics, unmatchedRoute } from "./http.js"
export * as TelemetryMetrics from "./metrics.js"
export { type DatadogOptions, datadogAgentOtlpPort, datadogConfig, datadogIntakeUrl } from "./presets/datadog.js"
export { type NewRelicOptions, type NewRelicRegion, newRelicConfig, newRelicEndpoint } from "./presets/newrelic.js"
export { PrometheusRoutes, prometheusContentType } from "./prometheus.js"
export { layerMetricsTemporality, makeDeltaConverter } from "./temporality.js"
export {
  layer,
  layerConfig,
  layerFromEnv,
  layerSpanMetrics,
  layerWithoutServerSpans,
  layerWithoutSpans
} from "./Telemetry.js"
export { instrumentTracer } from "./tracer.js"
export { layerInstrumentedTracker, SpanAttribute } from "./tracker.js"
