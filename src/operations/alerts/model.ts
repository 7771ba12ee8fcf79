import { Duration, ParseResult, Schema } from "effect"
import { TenantId } from "../../core/context.js"
import { ModelVersionNumber } from "../../core/registry/model.js"
import { RunId } from "../../core/tracking/model.js"

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A duration written as in Prometheus rule files: one or more `<n><unit>`
 * parts with units `ms`, `s`, `m`, `h`, `d` (`30s`, `5m`, `1h30m`, `0s`).
 */
export const DurationText = Schema.transformOrFail(Schema.String, Schema.DurationFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)]
    const joined = parts.map((part) => part[0]).join("")
    if (parts.length === 0 || joined !== text.trim()) {
      return ParseResult.fail(
        new ParseResult.Type(ast, text, `a duration such as "30s", "5m" or "1h30m" was expected, got "${text}"`)
      )
    }
    return ParseResult.succeed(
      Duration.millis(parts.reduce((total, part) => total + Number(part[1]) * (units[part[2] ?? "ms"] ?? 1), 0))
    )
  },
  encode: (duration) => ParseResult.succeed(`${Duration.toMillis(duration)}ms`)
})

/** How a rule compares the observed value with its threshold. */
export const Comparator = Schema.Literal(">", ">=", "<", "<=", "==", "!=")
export type Comparator = typeof Comparator.Type

/** Whether `value comparator threshold` holds. */
export const compare = (value: number, comparator: Comparator, threshold: number): boolean => {
  switch (comparator) {
    case ">":
      return value > threshold
    case ">=":
      return value >= threshold
    case "<":
      return value < threshold
    case "<=":
      return value <= threshold
    case "==":
      return value === threshold
    case "!=":
      return value !== threshold
  }
}

const NonEmpty = Schema.NonEmptyTrimmedString
const StringMap = Schema.Record({ key: Schema.String, value: Schema.String })

/**
 * Which run of a model version to read: by default the run it was
 * registered from; with `runTag`, the run whose id the version carries in
 * that tag, e.g. `mlops.monitoring.run_id` for the version's drift
 * monitoring run.
 */
const runTag = Schema.optionalWith(NonEmpty, { exact: true })

/** The run behind a model alias (see `runTag`). */
export const ModelAliasSelector = Schema.Struct({ model: NonEmpty, alias: NonEmpty, runTag })
/** The run behind a given model version (see `runTag`). */
export const ModelVersionSelector = Schema.Struct({
  model: NonEmpty,
  runTag,
  /** `3` or `"3"`. */
  version: Schema.compose(
    Schema.transform(Schema.Union(Schema.String, Schema.Number), Schema.String, {
      strict: true,
      decode: String,
      encode: (version) => version
    }),
    ModelVersionNumber
  )
})
/** One run by id. */
export const RunSelector = Schema.Struct({ runId: RunId })
/**
 * The newest run (by start time) of an experiment, optionally narrowed by an
 * MLflow filter such as `tags.model = 'churn' AND tags.kind = 'drift'` (how a
 * drift monitor's runs are found).
 */
export const LatestRunSelector = Schema.Struct({
  experiment: NonEmpty,
  filter: Schema.optionalWith(Schema.String, { exact: true })
})
/**
 * Which run a tracked rule reads its metric from: the run behind a model
 * alias or version (optionally through `runTag`), a run by id, or the
 * newest run of an experiment (optionally filtered).
 *
 * @example
 * ```ts
 * Schema.decodeUnknownSync(RunSelection)({ model: "churn", alias: "champion", runTag: "mlops.monitoring.run_id" })
 * ```
 */
export const RunSelection = Schema.Union(ModelAliasSelector, ModelVersionSelector, RunSelector, LatestRunSelector)
/** A decoded {@link RunSelection}. */
export type RunSelection = typeof RunSelection.Type

/** An Effect metric of this process, by name and a subset of its tags (every series matching them counts). */
export const MetricSelector = Schema.Struct({
  name: NonEmpty,
  tags: Schema.optionalWith(StringMap, { default: () => ({}) })
})
export type MetricSelector = typeof MetricSelector.Type

/**
 * How an operational rule turns metric samples into one number per series:
 * a counter's `increase` or per-second `rate` over a window, the current
 * `value` (counter count or gauge), or a histogram's `quantile` of the
 * observations made within a window.
 */
export const Aggregation = Schema.Union(
  Schema.Struct({ kind: Schema.Literal("rate", "increase"), window: DurationText }),
  Schema.Struct({ kind: Schema.Literal("value") }),
  Schema.Struct({
    kind: Schema.Literal("quantile"),
    quantile: Schema.Number.pipe(Schema.between(0, 1)),
    window: DurationText
  })
)
export type Aggregation = typeof Aggregation.Type

const common = {
  name: NonEmpty,
  /** How long the condition must hold before the alert fires (`0s`: at once). */
  for: Schema.optionalWith(DurationText, { default: () => Duration.zero }),
  labels: Schema.optionalWith(StringMap, { default: () => ({}) }),
  summary: Schema.optionalWith(Schema.String, { exact: true }),
  annotations: Schema.optionalWith(StringMap, { default: () => ({}) })
}

/** A threshold on the latest value of a tracked (run) metric, read in `tenant`. */
export class TrackedRule extends Schema.Class<TrackedRule>("TrackedRule")({
  kind: Schema.Literal("tracked"),
  ...common,
  tenant: Schema.optionalWith(TenantId, { default: () => TenantId.make("default") }),
  select: RunSelection,
  metric: NonEmpty,
  op: Comparator,
  threshold: Schema.Number
}) {}

/**
 * A threshold on an operational (Effect) metric. With `by`, one alert per
 * combination of those tags' values; without, the matching series are summed.
 */
export class OperationalRule extends Schema.Class<OperationalRule>("OperationalRule")({
  kind: Schema.Literal("operational"),
  ...common,
  metric: MetricSelector,
  aggregation: Aggregation,
  by: Schema.optionalWith(Schema.Array(NonEmpty), { default: () => [] }),
  op: Comparator,
  threshold: Schema.Number
}) {}

/** One window pair of a multiwindow burn-rate rule: both windows must burn faster than `factor`. */
export const BurnWindow = Schema.Struct({
  long: DurationText,
  short: DurationText,
  factor: Schema.Number.pipe(Schema.positive())
}).pipe(
  Schema.filter((pair) =>
    Duration.lessThan(pair.short, pair.long)
      ? undefined
      : { path: ["short"], message: "the short window must be shorter than the long one" }
  )
)
export type BurnWindow = typeof BurnWindow.Type

/**
 * A multiwindow SLO burn-rate rule (Google SRE workbook, ch. 5): the error
 * ratio `errors / total` over a window divided by the error budget
 * `1 - objective` is the burn rate; the rule is active when, for any pair,
 * both the long and the short window burn faster than the pair's factor
 * (e.g. 1h/5m at 14.4 and 6h/30m at 6 for a 30-day budget).
 */
export class BurnRateRule extends Schema.Class<BurnRateRule>("BurnRateRule")({
  kind: Schema.Literal("burnRate"),
  ...common,
  objective: Schema.Number.pipe(Schema.greaterThan(0), Schema.lessThan(1)),
  errors: MetricSelector,
  total: MetricSelector,
  windows: Schema.NonEmptyArray(BurnWindow)
}) {}

/** An alert rule, discriminated by `kind`. */
export const AlertRule = Schema.Union(TrackedRule, OperationalRule, BurnRateRule)
export type AlertRule = typeof AlertRule.Type

/** A rule's windows (none for tracked and `value` rules), each with its path inside the rule. */
export const ruleWindows = (
  rule: AlertRule
): ReadonlyArray<readonly [ReadonlyArray<PropertyKey>, Duration.Duration]> => {
  switch (rule.kind) {
    case "tracked":
      return []
    case "operational":
      return rule.aggregation.kind === "value" ? [] : [[["aggregation", "window"], rule.aggregation.window]]
    case "burnRate":
      return rule.windows.flatMap((pair, index) => [
        [["windows", index, "long"], pair.long] as const,
        [["windows", index, "short"], pair.short] as const
      ])
  }
}

/**
 * A rule file: how often rules are evaluated (default 30s), and the rules,
 * whose names are unique (they key the persisted alert states). Every window
 * spans at least two evaluation intervals: a shorter one reads the change of
 * a single tick, or none when ticks drift.
 *
 * @example
 * ```yaml
 * evaluationInterval: 30s
 * rules:
 *   - kind: tracked
 *     name: champion-accuracy
 *     select: { model: churn, alias: champion }
 *     metric: val_accuracy
 *     op: "<"
 *     threshold: 0.9
 *     for: 10m
 * ```
 */
export class AlertRuleSet extends Schema.Class<AlertRuleSet>("AlertRuleSet")(
  Schema.Struct({
    evaluationInterval: Schema.optionalWith(
      DurationText.pipe(
        Schema.filter((interval) => Duration.greaterThan(interval, Duration.zero) || "must be longer than 0s")
      ),
      { default: () => Duration.seconds(30) }
    ),
    rules: Schema.Array(AlertRule)
  }).pipe(
    Schema.filter(({ evaluationInterval, rules }) => {
      const issues: Array<Schema.FilterIssue> = []
      const seen = new Set<string>()
      for (const [index, rule] of rules.entries()) {
        if (seen.has(rule.name))
          issues.push({ path: ["rules", index, "name"], message: `duplicate rule name "${rule.name}"` })
        seen.add(rule.name)
        for (const [path, window] of ruleWindows(rule))
          if (Duration.lessThan(window, Duration.times(evaluationInterval, 2)))
            issues.push({
              path: ["rules", index, ...path],
              message: `a window must span at least two evaluation intervals (${Duration.format(Duration.times(evaluationInterval, 2))}), got ${Duration.format(window)}`
            })
      }
      return issues
    })
  )
) {}

/** Where an alert is: Prometheus' states, with `resolved` for a firing alert whose condition ended. */
export const AlertStatus = Schema.Literal("inactive", "pending", "firing", "resolved")
export type AlertStatus = typeof AlertStatus.Type

/** The persisted state of one rule's series. */
export interface AlertState {
  readonly rule: string
  /** `""` for a rule's single series, else `tag=value,…` of its `by` tags. */
  readonly series: string
  readonly status: AlertStatus
  /** When the condition started to hold (pending and firing), in epoch milliseconds. */
  readonly activeSince: number | null
  readonly lastValue: number | null
  readonly lastEvaluation: number
}

/** What a notifier is told: one per transition to firing or to resolved. */
export interface AlertNotification {
  readonly rule: string
  readonly series: string
  readonly status: "firing" | "resolved"
  readonly value: number | null
  readonly labels: Readonly<Record<string, string>>
  readonly annotations: Readonly<Record<string, string>>
  readonly summary: string
  readonly activeSince: number
  /** When the transition was observed, in epoch milliseconds. */
  readonly at: number
}
