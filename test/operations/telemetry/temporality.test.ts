import { describe, expect, it } from "@effect/vitest"
import { type Config, ConfigProvider, Effect, Layer, Metric, MetricBoundaries, TestClock } from "effect"
import type { MetricsTemporality, TelemetryOptions } from "../../../src/operations/telemetry/config.js"
import { datadogConfig } from "../../../src/operations/telemetry/presets/datadog.js"
import { newRelicConfig } from "../../../src/operations/telemetry/presets/newrelic.js"
import { layer, layerConfig } from "../../../src/operations/telemetry/Telemetry.js"
import { makeDeltaConverter } from "../../../src/operations/telemetry/temporality.js"
import { type OtlpReceiver, startOtlpReceiver } from "../../support/otlpReceiver.js"

// Effect metrics are process-global: every test records into metrics of its own name.

/**
 * Exports metrics to a receiver every second of the TestClock: runs each
 * step, lets one interval pass and waits for that export to arrive.
 */
const exportAfterEach = (temporality: MetricsTemporality, steps: ReadonlyArray<Effect.Effect<void>>) =>
  Effect.gen(function* () {
    const receiver = yield* startOtlpReceiver
    yield* Layer.build(
      layer({
        serviceName: "temporality-test",
        endpoints: { metrics: `${receiver.url}/v1/metrics` },
        metricExportInterval: "1 second",
        metricsTemporality: temporality
      })
    )
    for (const [index, step] of steps.entries()) {
      yield* step
      yield* TestClock.adjust("1 second")
      yield* receiver.received("/v1/metrics", index + 1)
    }
    return receiver
  })

const pointsOf = (receiver: OtlpReceiver, name: string) => receiver.points.filter((point) => point.name === name)

describe("delta temporality", () => {
  it.scoped("sends a counter's increments of each interval as DELTA sums over adjacent intervals", () =>
    Effect.gen(function* () {
      const counter = Metric.counter("temporality_delta_counter_total", { incremental: true })
      const receiver = yield* exportAfterEach("delta", [Metric.incrementBy(counter, 3), Metric.incrementBy(counter, 4)])
      const [first, second] = pointsOf(receiver, "temporality_delta_counter_total")
      expect([first?.value, second?.value]).toEqual([3, 4])
      expect([first?.temporality, second?.temporality]).toEqual(["delta", "delta"])
      expect(second?.startTimeUnixNano).toBe(first?.timeUnixNano)
      expect(BigInt(second?.timeUnixNano ?? 0)).toBeGreaterThan(BigInt(second?.startTimeUnixNano ?? 0))
    })
  )

  it.scoped("sends a histogram's bucket counts and count as the observations of each interval", () =>
    Effect.gen(function* () {
      const histogram = Metric.histogram("temporality_delta_histogram", MetricBoundaries.fromIterable([1, 10]))
      const observe = (...values: ReadonlyArray<number>) =>
        Effect.forEach(values, (value) => Metric.update(histogram, value), { discard: true })
      const receiver = yield* exportAfterEach("delta", [observe(0.5, 5), observe(5, 50, 50)])
      const [first, second] = pointsOf(receiver, "temporality_delta_histogram")
      expect([first?.bucketCounts, second?.bucketCounts]).toEqual([
        [1, 1, 0],
        [0, 1, 2]
      ])
      expect([first?.value, second?.value]).toEqual([2, 3])
      expect(second?.temporality).toBe("delta")
      expect(second?.startTimeUnixNano).toBe(first?.timeUnixNano)
    })
  )

  it.scoped("keeps up/down counters cumulative", () =>
    Effect.gen(function* () {
      const upDown = Metric.counter("temporality_up_down")
      const receiver = yield* exportAfterEach("delta", [Metric.incrementBy(upDown, 3), Metric.incrementBy(upDown, -1)])
      const points = pointsOf(receiver, "temporality_up_down")
      expect(points.map((point) => point.value)).toEqual([3, 2])
      expect(points.map((point) => point.temporality)).toEqual(["cumulative", "cumulative"])
    })
  )

  it.scoped("keeps gauges as they are", () =>
    Effect.gen(function* () {
      const gauge = Metric.gauge("temporality_gauge")
      const receiver = yield* exportAfterEach("delta", [Metric.set(gauge, 5), Metric.set(gauge, 7)])
      const points = pointsOf(receiver, "temporality_gauge")
      expect(points.map((point) => point.value)).toEqual([5, 7])
      expect(points.map((point) => point.temporality)).toEqual([undefined, undefined])
    })
  )

  it.scoped("sends running totals with cumulative temporality", () =>
    Effect.gen(function* () {
      const counter = Metric.counter("temporality_cumulative_counter_total", { incremental: true })
      const receiver = yield* exportAfterEach("cumulative", [
        Metric.incrementBy(counter, 3),
        Metric.incrementBy(counter, 4)
      ])
      const points = pointsOf(receiver, "temporality_cumulative_counter_total")
      expect(points.map((point) => point.value)).toEqual([3, 7])
      expect(points.map((point) => point.temporality)).toEqual(["cumulative", "cumulative"])
    })
  )
})

describe("makeDeltaConverter", () => {
  const counterRequest = (value: number, time: string) => ({
    resourceMetrics: [
      {
        resource: { attributes: [] },
        scopeMetrics: [
          {
            scope: { name: "svc" },
            metrics: [
              {
                name: "restarts_total",
                unit: "1",
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [{ attributes: [], startTimeUnixNano: "0", timeUnixNano: time, asInt: value }]
                }
              }
            ]
          }
        ]
      }
    ]
  })

  it("sends the value itself when a counter went down, since it restarted", () => {
    const toDelta = makeDeltaConverter()
    toDelta(counterRequest(10, "1000"))
    expect(toDelta(counterRequest(4, "2000"))).toMatchObject({
      resourceMetrics: [
        {
          resource: { attributes: [] },
          scopeMetrics: [
            {
              scope: { name: "svc" },
              metrics: [
                {
                  unit: "1",
                  sum: {
                    aggregationTemporality: 1,
                    dataPoints: [{ startTimeUnixNano: "1000", timeUnixNano: "2000", asInt: 4 }]
                  }
                }
              ]
            }
          ]
        }
      ]
    })
  })

  it("passes a request of another shape through", () => {
    const request = { resourceSpans: [] }
    expect(makeDeltaConverter()(request)).toBe(request)
  })
})

/** The temporality of a counter exported once through `preset` with `env`, flushed when its layer is released. */
const presetTemporality = (
  preset: (options: { readonly baseUrl: string }) => Config.Config<TelemetryOptions>,
  env: Record<string, string>,
  name: string
) =>
  Effect.scoped(
    Effect.gen(function* () {
      const receiver = yield* startOtlpReceiver
      yield* Effect.scoped(
        Effect.zipRight(
          Layer.build(layerConfig(preset({ baseUrl: receiver.url }))).pipe(
            Effect.withConfigProvider(ConfigProvider.fromJson(env))
          ),
          Metric.increment(Metric.counter(name, { incremental: true }))
        )
      )
      return pointsOf(receiver, name).map((point) => point.temporality)
    })
  )

describe("preset temporality", () => {
  it.effect("New Relic receives delta metrics", () =>
    Effect.map(
      presetTemporality(newRelicConfig, { NEW_RELIC_LICENSE_KEY: "license" }, "temporality_newrelic_total"),
      (temporalities) => expect(temporalities).toEqual(["delta"])
    )
  )

  it.effect("Datadog's agentless intake receives delta metrics", () =>
    Effect.map(
      presetTemporality(datadogConfig, { DD_API_KEY: "dd-secret" }, "temporality_datadog_agentless_total"),
      (temporalities) => expect(temporalities).toEqual(["delta"])
    )
  )

  it.effect("the Datadog Agent receives cumulative metrics", () =>
    Effect.map(presetTemporality(datadogConfig, {}, "temporality_datadog_agent_total"), (temporalities) =>
      expect(temporalities).toEqual(["cumulative"])
    )
  )
})
