import { Duration, Effect, Option } from "effect"
import type { BurnRateRule, OperationalRule, TrackedRule } from "./model.js"
import { compare } from "./model.js"
import type { MetricHistory } from "./samples.js"
import type { Observation } from "./state.js"
import type { ReadFailure, TrackedReading } from "./tracked.js"

const windowName = (window: Duration.Duration) => Duration.format(window).replaceAll(" ", "")

/** The observation of a tracked rule: its single series, inactive while there is no run or no value. */
export const observeTracked = (
  rule: TrackedRule,
  read: (rule: TrackedRule) => Effect.Effect<Option.Option<TrackedReading>, ReadFailure>
): Effect.Effect<ReadonlyArray<Observation>, ReadFailure> =>
  Effect.map(read(rule), (reading) => {
    const value = Option.getOrNull(Option.flatMap(reading, (found) => found.value))
    return [
      {
        series: "",
        // NaN compares false with everything, so a NaN metric never fires a rule.
        active: value !== null && compare(value, rule.op, rule.threshold),
        value,
        ...Option.match(reading, { onNone: () => ({}), onSome: (found) => ({ details: { run_id: found.runId } }) })
      }
    ]
  })

/** One observation per alert series of an operational rule, from this process's metric history. */
export const observeOperational = (
  rule: OperationalRule,
  history: MetricHistory,
  now: number
): ReadonlyArray<Observation> => {
  const aggregation = rule.aggregation
  const values = (() => {
    switch (aggregation.kind) {
      case "value":
        return history.current(rule.metric, now, rule.by)
      case "increase":
        return history.increase(rule.metric, aggregation.window, now, rule.by)
      case "rate": {
        const seconds = Duration.toSeconds(aggregation.window)
        const increases = history.increase(rule.metric, aggregation.window, now, rule.by)
        return new Map([...increases].map(([series, increase]) => [series, increase / seconds]))
      }
      case "quantile":
        return history.quantile(rule.metric, aggregation.quantile, aggregation.window, now, rule.by)
    }
  })()
  return [...values].map(([series, value]) => ({ series, value, active: compare(value, rule.op, rule.threshold) }))
}

/**
 * The burn rate over `window`: the error ratio (errors / total, 0 without
 * traffic) divided by the error budget `1 - objective`. A burn rate of 1
 * spends exactly the budget over the SLO period.
 */
export const burnRate = (rule: BurnRateRule, history: MetricHistory, window: Duration.Duration, now: number) => {
  const errors = history.increase(rule.errors, window, now).get("") ?? 0
  const total = history.increase(rule.total, window, now).get("") ?? 0
  return total === 0 ? 0 : errors / total / (1 - rule.objective)
}

/**
 * A burn-rate rule's single series: active when, for some window pair, both
 * windows burn faster than the pair's factor. Its value is the highest
 * long-window burn rate among the pairs that hold (or among all, when none
 * does); each window's rate is passed on in the details.
 */
export const observeBurnRate = (
  rule: BurnRateRule,
  history: MetricHistory,
  now: number
): ReadonlyArray<Observation> => {
  const pairs = rule.windows.map((pair) => ({
    pair,
    long: burnRate(rule, history, pair.long, now),
    short: burnRate(rule, history, pair.short, now)
  }))
  const holding = pairs.filter(({ long, pair, short }) => long > pair.factor && short > pair.factor)
  const details = Object.fromEntries(
    pairs.flatMap(({ long, pair, short }) => [
      [`burn_rate_${windowName(pair.long)}`, long.toFixed(2)],
      [`burn_rate_${windowName(pair.short)}`, short.toFixed(2)]
    ])
  )
  const value = Math.max(...(holding.length > 0 ? holding : pairs).map(({ long }) => long))
  return [{ series: "", active: holding.length > 0, value, details }]
}
