import { Metric, MetricBoundaries } from "effect"

// The server's and the services' metrics. Effect metrics are process-global
// and cost a map lookup per update, so they are recorded whether or not an
// exporter reads them: OTLP pushes them, Prometheus serves them on `/metrics`.

/** Request latencies from 5 ms to 10 s (the Prometheus client defaults, which fit an API server). */
const latencyBuckets = MetricBoundaries.fromIterable([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])

/** Database statements are sub-millisecond on SQLite, so the buckets start at 100 µs. */
const queryBuckets = MetricBoundaries.fromIterable([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1
])

/** HTTP requests answered, tagged `method`, `route` (the pattern, never the raw URL) and `status`. */
export const httpRequests = Metric.counter("http_server_requests_total", {
  description: "HTTP requests answered",
  incremental: true
})

/** HTTP request latency in seconds, tagged like {@link httpRequests}. */
export const httpRequestDuration = Metric.histogram(
  "http_server_request_duration_seconds",
  latencyBuckets,
  "HTTP request latency in seconds"
)

/** Metric points stored by `logBatch` and `logMetric`. */
export const ingestPoints = Metric.counter("mlops_ingest_points_total", {
  description: "Metric points stored",
  incremental: true
})

/** Successful `logBatch` calls, tagged with nothing: one per stored batch. */
export const ingestBatches = Metric.counter("mlops_ingest_batches_total", {
  description: "Batches stored by logBatch",
  incremental: true
})

/** Latency of searches (`searchRuns`, `searchExperiments`, `getMetricHistory`), tagged `operation`. */
export const searchDuration = Metric.histogram(
  "mlops_search_duration_seconds",
  latencyBuckets,
  "Search latency in seconds"
)

/** Latency of database statements, tagged `statement` (`SELECT`, `INSERT`, … or `OTHER`). */
export const dbQueryDuration = Metric.histogram(
  "mlops_db_query_duration_seconds",
  queryBuckets,
  "Database statement latency in seconds"
)
