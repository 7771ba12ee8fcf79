import { OtlpSerialization } from "@effect/opentelemetry/OtlpSerialization"
import { type Context, Effect, flow, Layer, Schema } from "effect"
import type { MetricsTemporality } from "./config.js"

// The parts of Effect's ExportMetricsServiceRequest (OtlpMetrics.js) that
// delta conversion reads. `Schema.is` only checks them: the objects keep
// every other field (resource, scope, unit, explicitBounds, …), which the
// spreads below carry over untouched.
const NumberPoint = Schema.Struct({
  attributes: Schema.Unknown,
  startTimeUnixNano: Schema.String,
  timeUnixNano: Schema.String,
  asInt: Schema.optional(Schema.Number),
  asDouble: Schema.optional(Schema.Number)
})
const HistogramPoint = Schema.Struct({
  attributes: Schema.Unknown,
  startTimeUnixNano: Schema.String,
  timeUnixNano: Schema.String,
  count: Schema.Number,
  sum: Schema.optional(Schema.Number),
  min: Schema.optional(Schema.Number),
  max: Schema.optional(Schema.Number),
  bucketCounts: Schema.Array(Schema.Number)
})
const Metric = Schema.Struct({
  name: Schema.String,
  sum: Schema.optional(
    Schema.Struct({
      aggregationTemporality: Schema.Number,
      isMonotonic: Schema.Boolean,
      dataPoints: Schema.Array(NumberPoint)
    })
  ),
  histogram: Schema.optional(
    Schema.Struct({ aggregationTemporality: Schema.Number, dataPoints: Schema.Array(HistogramPoint) })
  )
})
const MetricsRequest = Schema.Struct({
  resourceMetrics: Schema.Array(
    Schema.Struct({ scopeMetrics: Schema.Array(Schema.Struct({ metrics: Schema.Array(Metric) })) })
  )
})
type NumberPoint = typeof NumberPoint.Type
type HistogramPoint = typeof HistogramPoint.Type
type Metric = typeof Metric.Type
const isMetricsRequest = Schema.is(MetricsRequest)

/** `AGGREGATION_TEMPORALITY_DELTA` of opentelemetry-proto's metrics.proto. */
const DELTA = 1

/**
 * A converter of Effect's cumulative metrics requests to delta temporality,
 * keeping each series' previous point (per metric name and attributes):
 * monotonic sums and histograms become the change since the previous
 * export, starting at its time; a value below the previous one means the
 * series restarted, so the value itself is the change. Non-monotonic sums
 * (up/down counters) and gauges stay as they are, as the OTel spec's
 * `delta` preference keeps them. A request of another shape passes through.
 *
 * @example
 * ```ts
 * import { makeDeltaConverter } from "effect-mlops/telemetry"
 *
 * const toDelta = makeDeltaConverter()
 * const request = toDelta({ resourceMetrics: [] })
 * ```
 */
export const makeDeltaConverter = (): ((request: unknown) => unknown) => {
  // Each series' last cumulative point: where its next interval starts, and what is subtracted.
  const sums = new Map<string, NumberPoint>()
  const histograms = new Map<string, HistogramPoint>()

  /** Records `point` as its series' latest and returns the one it replaces. */
  const swap = <P extends { readonly attributes: unknown }>(
    series: Map<string, P>,
    name: string,
    point: P
  ): P | undefined => {
    const key = JSON.stringify([name, point.attributes])
    const previous = series.get(key)
    series.set(key, point)
    return previous
  }

  const sumPoint = (name: string, point: NumberPoint): NumberPoint => {
    const previous = swap(sums, name, point)
    // The first export covers the exporter's whole life: the cumulative point is already its delta.
    if (previous === undefined) return point
    const change = (value: number, before: number | undefined) =>
      before === undefined || value < before ? value : value - before
    return {
      ...point,
      startTimeUnixNano: previous.timeUnixNano,
      ...(point.asInt === undefined ? {} : { asInt: change(point.asInt, previous.asInt) }),
      ...(point.asDouble === undefined ? {} : { asDouble: change(point.asDouble, previous.asDouble) })
    }
  }

  const histogramPoint = (name: string, point: HistogramPoint): HistogramPoint => {
    const previous = swap(histograms, name, point)
    if (previous === undefined) return point
    const restarted =
      point.count < previous.count ||
      point.bucketCounts.length !== previous.bucketCounts.length ||
      point.bucketCounts.some((count, bucket) => count < (previous.bucketCounts[bucket] ?? 0))
    // min and max are over the whole life and cannot be subtracted; OTLP makes them optional.
    const { max: _max, min: _min, ...withoutExtremes } = point
    return restarted
      ? { ...point, startTimeUnixNano: previous.timeUnixNano }
      : {
          ...withoutExtremes,
          startTimeUnixNano: previous.timeUnixNano,
          count: point.count - previous.count,
          bucketCounts: point.bucketCounts.map((count, bucket) => count - (previous.bucketCounts[bucket] ?? 0)),
          ...(point.sum === undefined || previous.sum === undefined ? {} : { sum: point.sum - previous.sum })
        }
  }

  const metric = (data: Metric): Metric => {
    const { histogram, name, sum } = data
    if (sum?.isMonotonic === true) {
      return {
        ...data,
        sum: { ...sum, aggregationTemporality: DELTA, dataPoints: sum.dataPoints.map((p) => sumPoint(name, p)) }
      }
    }
    if (histogram !== undefined) {
      return {
        ...data,
        histogram: {
          ...histogram,
          aggregationTemporality: DELTA,
          dataPoints: histogram.dataPoints.map((p) => histogramPoint(name, p))
        }
      }
    }
    return data
  }

  return (request) =>
    isMetricsRequest(request)
      ? {
          ...request,
          resourceMetrics: request.resourceMetrics.map((resource) => ({
            ...resource,
            scopeMetrics: resource.scopeMetrics.map((scope) => ({ ...scope, metrics: scope.metrics.map(metric) }))
          }))
        }
      : request
}

/**
 * Decorates the `OtlpSerialization` in context so metrics go out with
 * `temporality` (Effect's exporter only produces cumulative). `delta` and
 * `lowmemory` differ only on asynchronous counters, which Effect does not
 * have: both send counters and histograms as deltas. Every build has its
 * own state, so give each metrics exporter its own build.
 *
 * @example
 * ```ts
 * import * as OtlpMetrics from "@effect/opentelemetry/OtlpMetrics"
 * import * as OtlpSerialization from "@effect/opentelemetry/OtlpSerialization"
 * import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
 * import { Layer } from "effect"
 * import { layerMetricsTemporality } from "effect-mlops/telemetry"
 *
 * const Metrics = OtlpMetrics.layer({ url: "http://localhost:4318/v1/metrics", resource: { serviceName: "svc" } }).pipe(
 *   Layer.provide(layerMetricsTemporality("delta")),
 *   Layer.provide(OtlpSerialization.layerProtobuf),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 */
export const layerMetricsTemporality = (
  temporality: MetricsTemporality
): Layer.Layer<OtlpSerialization, never, OtlpSerialization> =>
  Layer.effect(
    OtlpSerialization,
    Effect.map(
      OtlpSerialization,
      (serialization): Context.Tag.Service<OtlpSerialization> =>
        temporality === "cumulative"
          ? serialization
          : { ...serialization, metrics: flow(makeDeltaConverter(), serialization.metrics) }
    )
  )
