import { randomUUID } from "node:crypto"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import {
  Clock,
  Config,
  Context,
  Data,
  Duration,
  Effect,
  Layer,
  Metric,
  type MetricPair,
  Option,
  Redacted,
  Ref,
  Schedule
} from "effect"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { AlertStore } from "./AlertStore.js"
import type { ConfigError } from "effect/ConfigError"
import type { InvalidAlertRules } from "./errors.js"
import { observeBurnRate, observeOperational, observeTracked } from "./evaluate.js"
import { loadAlertRules } from "./load.js"
import { type AlertNotification, type AlertRule, type AlertRuleSet, type AlertState, ruleWindows } from "./model.js"
import { logNotifier, makeWebhookNotifier, NotificationFailed, type Notifier } from "./Notifier.js"
import { MetricHistory, sampleOf } from "./samples.js"
import { type Observation, step } from "./state.js"
import { makeTrackedReader } from "./tracked.js"

/** Options of {@link AlertEvaluator.layer}. */
export interface AlertEvaluatorOptions {
  readonly rules: AlertRuleSet
  readonly notifiers: ReadonlyArray<Notifier>
  /** This replica's name in the lease (default: a random UUID per layer build). */
  readonly instanceId?: string
  /** How long a lease lasts without renewal, i.e. how soon another replica takes over (default: 3 evaluation intervals). */
  readonly leaseDuration?: Duration.DurationInput
  /**
   * The lease's name (default `alerts`), which also names the rule set whose
   * states are kept: evaluators of different rule sets on one database need
   * different names.
   */
  readonly leaseName?: string
  /**
   * How long the state of a resolved or inactive series that is no longer
   * evaluated (it disappeared, or its rule cannot be read) is kept (default 1 hour).
   * States of rules no longer in the rule set are forgotten at once.
   */
  readonly resolvedRetention?: Duration.DurationInput
  /**
   * Where this replica's operational metrics come from (default: the
   * process's Effect metric registry, `Metric.snapshot`).
   */
  readonly metrics?: Effect.Effect<ReadonlyArray<MetricPair.MetricPair.Untyped>>
}

/** What the evaluator exposes while its loop runs in the background. */
export interface AlertEvaluatorShape {
  /** Whether this replica held the lease at its last tick. */
  readonly isLeader: Effect.Effect<boolean>
  /** The last persisted state of every evaluated series (written by whichever replica leads). */
  readonly states: Effect.Effect<ReadonlyArray<AlertState>>
  /** When this replica last completed a tick (epoch milliseconds), for health checks; `None` before the first. */
  readonly lastTick: Effect.Effect<Option.Option<number>>
}

const stateKey = (rule: string, series: string) => JSON.stringify([rule, series])

/** Another replica took the lease over during this replica's tick: the tick stops without saving. */
class LeaseLost extends Data.TaggedError("LeaseLost") {}

/**
 * The states to forget after a tick: those of rules no longer in the rule
 * set, and those of series that were not evaluated and have stayed resolved
 * or inactive since `settledBefore`. Pending and firing states of a rule that
 * cannot be read are kept, so it neither re-fires nor misses its resolution.
 */
const obsoleteStates = (
  previous: Iterable<AlertState>,
  ruleNames: ReadonlySet<string>,
  evaluated: ReadonlySet<string>,
  settledBefore: number
): ReadonlyArray<AlertState> =>
  [...previous].filter(
    (state) =>
      !ruleNames.has(state.rule) ||
      (!evaluated.has(stateKey(state.rule, state.series)) &&
        (state.status === "resolved" || state.status === "inactive") &&
        state.lastEvaluation < settledBefore)
  )

const ruleMetricNames = (rule: AlertRule): ReadonlyArray<string> => {
  switch (rule.kind) {
    case "tracked":
      return []
    case "operational":
      return [rule.metric.name]
    case "burnRate":
      return [rule.errors.name, rule.total.name]
  }
}

const describe = (rule: AlertRule, value: number | null): string => {
  const shown = value === null ? "no data" : String(value)
  const template = (() => {
    if (rule.summary !== undefined) return rule.summary
    switch (rule.kind) {
      case "tracked":
        return `${rule.metric} is {{value}} (alert when ${rule.op} ${rule.threshold})`
      case "operational":
        return `${rule.metric.name} ${rule.aggregation.kind} is {{value}} (alert when ${rule.op} ${rule.threshold})`
      case "burnRate":
        return `error budget of the ${rule.objective} objective burning {{value}}x too fast`
    }
  })()
  return template.replaceAll("{{value}}", shown)
}

const make = (options: AlertEvaluatorOptions) =>
  Effect.gen(function* () {
    const store = yield* AlertStore
    const readTracked = makeTrackedReader(yield* ExperimentTracker, yield* ModelRegistry)
    const { evaluationInterval, rules } = options.rules
    const holder = options.instanceId ?? randomUUID()
    const leaseName = options.leaseName ?? "alerts"
    const leaseDuration = Duration.decode(options.leaseDuration ?? Duration.times(evaluationInterval, 3))
    // After the renewal that precedes it, a notification bounded to a third of the lease leaves the leader
    // two thirds to finish its tick before another replica may take over (a webhook's own retries alone
    // can last ~90 s).
    const notifyTimeout = Duration.millis(Duration.toMillis(leaseDuration) / 3)
    const resolvedRetention = Duration.toMillis(options.resolvedRetention ?? Duration.hours(1))
    const ruleNames = new Set(rules.map((rule) => rule.name))
    const interval = Duration.toMillis(evaluationInterval)
    // Samples older than the longest window are never read again; the margin covers replicas ticking out of step.
    const retention =
      Math.max(0, ...rules.flatMap(ruleWindows).map(([, window]) => Duration.toMillis(window))) + 2 * interval
    const history = new MetricHistory(retention, 2 * interval)
    const metricNames = new Set(rules.flatMap(ruleMetricNames))
    const readMetrics = options.metrics ?? Metric.snapshot
    const leader = yield* Ref.make(false)
    const lastTick = yield* Ref.make(Option.none<number>())

    const observe = (rule: AlertRule, now: number) => {
      switch (rule.kind) {
        case "tracked":
          return observeTracked(rule, readTracked)
        case "operational":
          return Effect.succeed(observeOperational(rule, history, now))
        case "burnRate":
          return Effect.succeed(observeBurnRate(rule, history, now))
      }
    }

    const announce = (notification: AlertNotification) =>
      Effect.forEach(
        options.notifiers,
        (notifier) =>
          notifier.notify(notification).pipe(
            Effect.timeoutFail({
              duration: notifyTimeout,
              onTimeout: () =>
                new NotificationFailed({
                  notifier: notifier.name,
                  rule: notification.rule,
                  reason: `no answer within ${Duration.format(notifyTimeout)}`
                })
            }),
            Effect.catchAll((error) => Effect.logError(error.message)),
            Effect.catchAllDefect((defect) => Effect.logError(`notifier ${notifier.name} failed`, defect))
          ),
        { concurrency: "unbounded", discard: true }
      )

    /** Extends this replica's lease, or stops the tick when another replica has taken it over. */
    const holdLease = Effect.flatMap(store.renewLease(leaseName, holder, leaseDuration), (held) =>
      held ? Effect.void : Effect.fail(new LeaseLost())
    )

    /** Advances one rule's series; a rule that cannot be read keeps its states until it can. */
    const evaluateRule = (rule: AlertRule, previous: ReadonlyMap<string, AlertState>, now: number) =>
      Effect.gen(function* () {
        const observed = yield* observe(rule, now)
        const seen = new Set(observed.map((observation) => observation.series))
        // A series that vanished (no run, no metric series any more) no longer meets the condition.
        const vanished: ReadonlyArray<Observation> = [...previous.values()]
          .filter(
            (state) =>
              state.rule === rule.name &&
              !seen.has(state.series) &&
              (state.status === "pending" || state.status === "firing")
          )
          .map((state) => ({ series: state.series, active: false, value: null }))
        const next: Array<AlertState> = []
        for (const observation of [...observed, ...vanished]) {
          const { next: state, notify } = step(
            rule.name,
            rule.for,
            previous.get(stateKey(rule.name, observation.series)),
            observation,
            now
          )
          next.push(state)
          if (notify !== undefined) {
            yield* holdLease
            yield* announce({
              rule: rule.name,
              series: observation.series,
              status: notify,
              value: observation.value,
              labels: rule.labels,
              annotations: { ...rule.annotations, ...observation.details },
              summary: describe(rule, observation.value),
              activeSince: state.activeSince ?? now,
              at: now
            })
          }
        }
        return next
      }).pipe(
        Effect.catchTag("ReadFailure", (failure) =>
          Effect.as(
            Effect.logWarning(`alert rule ${rule.name} not evaluated: ${failure.reason}`),
            [] as ReadonlyArray<AlertState>
          )
        ),
        Effect.withSpan("AlertEvaluator.evaluateRule", { attributes: { "alert.rule": rule.name } })
      )

    const tick = Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      if (metricNames.size > 0) {
        const sample = sampleOf(holder, now, yield* readMetrics, metricNames)
        history.add(sample)
        yield* store.writeSample(sample)
      }
      const leads = yield* store.acquireLease(leaseName, holder, leaseDuration)
      const led = yield* Ref.getAndSet(leader, leads)
      if (leads !== led)
        yield* Effect.logInfo(leads ? "alert evaluation: this replica leads" : "alert evaluation: lease lost")
      if (!leads) return
      if (metricNames.size > 0) {
        // A new leader reads the whole retention; afterwards, the last two intervals catch samples
        // other replicas wrote since (samples already held are ignored).
        const since = led ? now - 2 * interval : now - retention
        for (const sample of yield* store.readSamples(since)) history.add(sample)
        yield* store.pruneSamples(now - retention)
      }
      const previous = new Map(
        (yield* store.loadStates(leaseName)).map((state) => [stateKey(state.rule, state.series), state])
      )
      const next = (yield* Effect.forEach(rules, (rule) => evaluateRule(rule, previous, now), {
        concurrency: 4
      })).flat()
      // Notifying may have outlasted the lease: a successor's states must not be overwritten with older ones.
      yield* holdLease
      yield* store.saveStates(leaseName, next)
      const evaluated = new Set(next.map((state) => stateKey(state.rule, state.series)))
      yield* store.deleteStates(
        leaseName,
        obsoleteStates(previous.values(), ruleNames, evaluated, now - resolvedRetention)
      )
    }).pipe(
      Effect.catchTag("LeaseLost", () =>
        Effect.zipRight(
          Ref.set(leader, false),
          Effect.logWarning("alert evaluation: lease lost during the tick, its states are left to the new leader")
        )
      ),
      Effect.catchAllCause((cause) => Effect.logError("alert evaluation failed", cause)),
      Effect.zipRight(Effect.flatMap(Clock.currentTimeMillis, (now) => Ref.set(lastTick, Option.some(now)))),
      Effect.annotateLogs({ "alert.instance": holder }),
      Effect.withSpan("AlertEvaluator.tick")
    )

    yield* Effect.addFinalizer(() => store.releaseLease(leaseName, holder))
    yield* Effect.forkScoped(Effect.repeat(tick, Schedule.spaced(evaluationInterval)))
    return {
      isLeader: Ref.get(leader),
      states: store.loadStates(leaseName),
      lastTick: Ref.get(lastTick)
    } satisfies AlertEvaluatorShape
  })

/**
 * Evaluates alert rules in the background: every `evaluationInterval` it
 * samples this process's Effect metrics and, if it holds (or takes) the
 * lease in {@link AlertStore}, advances each rule's alerts through
 * Prometheus' states (inactive → pending → firing → resolved) and tells every
 * notifier once per transition to firing and once per resolution. States are
 * persisted, so with several replicas on one database only the leader
 * notifies and a new leader carries on without repeating a notification.
 *
 * Operational rules (`operational`, `burnRate`) cover every replica: each
 * one writes its sample of the metrics the rules read to the store at every
 * tick, and the leader sums increases, gauges and histogram buckets over the
 * replicas (a replica whose latest sample is older than two intervals no
 * longer counts towards gauges).
 *
 * Each transition is notified once: a notifier that still fails after its
 * own retries, or does not finish within a third of the lease, is logged, not
 * retried by the evaluator. Notifications precede saving the new states, so a
 * save that fails (or a leader that dies between the two) makes the next tick
 * repeat the transition and its notification: at least once, never silently
 * lost. The leader renews its lease before each notification and before
 * saving; one that stalled until another replica took over stops its tick
 * there, neither notifying again nor overwriting its successor's states.
 *
 * States are kept per rule set (`leaseName`): those of rules no longer in the
 * set are forgotten, and so are those of series no longer evaluated once they
 * have stayed resolved or inactive for `resolvedRetention`.
 *
 * @example
 * ```ts
 * const AlertsLive = Layer.unwrapEffect(
 *   Effect.map(loadAlertRules("alerts.yaml"), (rules) => AlertEvaluator.layer({ rules, notifiers: [logNotifier] }))
 * )
 * ```
 */
export class AlertEvaluator extends Context.Tag("effect-mlops/operations/AlertEvaluator")<
  AlertEvaluator,
  AlertEvaluatorShape
>() {
  static readonly layer = (
    options: AlertEvaluatorOptions
  ): Layer.Layer<AlertEvaluator, never, AlertStore | ExperimentTracker | ModelRegistry> =>
    Layer.scoped(this, make(options))

  /** Evaluates nothing: what a server runs without a rule file. */
  static readonly layerNoop: Layer.Layer<AlertEvaluator> = Layer.succeed(this, {
    isLeader: Effect.succeed(false),
    states: Effect.succeed([]),
    lastTick: Effect.succeedNone
  })

  /**
   * Rules from a YAML or JSON file, notified to the log and, with
   * `webhookUrl`, to that webhook (Slack-compatible JSON). A bad rule file
   * fails the layer with {@link InvalidAlertRules}.
   *
   * @example
   * ```ts
   * AlertEvaluator.layerFile({ path: "alerts.yaml", webhookUrl: Redacted.make(url) })
   * ```
   */
  static readonly layerFile = (options: {
    readonly path: string
    readonly webhookUrl?: Redacted.Redacted<string>
  }): Layer.Layer<
    AlertEvaluator,
    InvalidAlertRules,
    AlertStore | ExperimentTracker | ModelRegistry | FileSystem.FileSystem | HttpClient.HttpClient
  > =>
    Layer.unwrapEffect(
      Effect.gen(function* () {
        const rules = yield* loadAlertRules(options.path)
        const webhook =
          options.webhookUrl === undefined
            ? []
            : [yield* makeWebhookNotifier({ url: Redacted.value(options.webhookUrl) })]
        return AlertEvaluator.layer({ rules, notifiers: [logNotifier, ...webhook] })
      })
    )

  /**
   * {@link AlertEvaluator.layerFile} from the environment: the file
   * `MLOPS_ALERT_RULES` and the webhook `MLOPS_ALERT_WEBHOOK_URL` (optional);
   * without `MLOPS_ALERT_RULES`, {@link AlertEvaluator.layerNoop}.
   */
  static readonly layerConfig: Layer.Layer<
    AlertEvaluator,
    InvalidAlertRules | ConfigError,
    AlertStore | ExperimentTracker | ModelRegistry | FileSystem.FileSystem | HttpClient.HttpClient
  > = Layer.unwrapEffect(
    Effect.gen(function* () {
      const path = yield* Config.option(Config.string("MLOPS_ALERT_RULES"))
      const webhookUrl = yield* Config.option(Config.redacted("MLOPS_ALERT_WEBHOOK_URL"))
      return Option.match(path, {
        onNone: () => AlertEvaluator.layerNoop,
        onSome: (path) =>
          AlertEvaluator.layerFile({
            path,
            ...Option.match(webhookUrl, { onNone: () => ({}), onSome: (url) => ({ webhookUrl: url }) })
          })
      })
    })
  )
}
