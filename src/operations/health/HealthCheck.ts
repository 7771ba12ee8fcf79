import { Cause, Clock, Context, Duration, Effect, Exit, Layer, Option, Ref, type Scope } from "effect"
import { HealthCheckFailed } from "./errors.js"
import type { CheckReport, HealthReport } from "./model.js"

/**
 * One readiness check: it succeeds, optionally with a detail for the report
 * (`"schema version 10 of 10"`), or fails with {@link HealthCheckFailed}.
 */
export type Check = Effect.Effect<string | undefined, HealthCheckFailed>

/** Options of {@link HealthCheckShape.register}. */
export interface CheckOptions {
  /** How long the check may take before it counts as failed (default {@link defaultCheckTimeout}). */
  readonly timeout?: Duration.DurationInput
}

/** A check as registered: its name in the report, the effect, and its timeout. */
export interface RegisteredCheck {
  readonly name: string
  readonly check: Check
  readonly timeout: Duration.Duration
}

/** The timeout of a check registered without one; set a probe's own timeout above it. */
export const defaultCheckTimeout: Duration.Duration = Duration.seconds(2)

const elapsedMs = (started: bigint, ended: bigint): number => Math.round(Number(ended - started) / 1e3) / 1e3

const runCheck = ({ check, name, timeout }: RegisteredCheck): Effect.Effect<CheckReport> =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeNanos
    const exit = yield* check.pipe(
      // Detached, so that a check stuck in a call that ignores interruption still cannot hold the report.
      Effect.disconnect,
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new HealthCheckFailed({ reason: `no answer within ${Duration.format(timeout)}` })
      }),
      Effect.exit
    )
    const latencyMs = elapsedMs(started, yield* Clock.currentTimeNanos)
    if (Exit.isSuccess(exit)) {
      return exit.value === undefined ? { status: "ok", latencyMs } : { status: "ok", latencyMs, detail: exit.value }
    }
    const failure = Cause.failureOption(exit.cause)
    const reason = Option.match(failure, { onNone: () => "failed unexpectedly", onSome: (error) => error.reason })
    const cause = Option.getOrUndefined(Option.flatMapNullable(failure, (error) => error.cause))
    // The reason is public; what caused it (hosts, paths) goes to the log only.
    yield* Effect.logWarning(`health check "${name}" failed: ${reason}`, cause ?? exit.cause)
    return { status: "failed", latencyMs, detail: reason }
  })

/**
 * Runs `checks` concurrently, each within its timeout, into one report:
 * `ok` when every check passed, `unavailable` otherwise.
 *
 * @example
 * ```ts
 * const report = runChecks([{ name: "store", check: Effect.succeed(undefined), timeout: defaultCheckTimeout }])
 * // succeeds with { status: "ok", checks: { store: { status: "ok", latencyMs: 0.01 } } }
 * ```
 */
export const runChecks = (checks: Iterable<RegisteredCheck>): Effect.Effect<HealthReport> =>
  Effect.map(
    Effect.forEach(
      checks,
      (registered) => Effect.map(runCheck(registered), (report) => [registered.name, report] as const),
      { concurrency: "unbounded" }
    ),
    (reports) => ({
      status: reports.every(([, report]) => report.status === "ok") ? "ok" : "unavailable",
      checks: Object.fromEntries(reports)
    })
  )

/** The registry of readiness checks that `/readyz` runs. */
export interface HealthCheckShape {
  /**
   * Adds `check` under `name` until the calling scope closes (typically the
   * scope of the layer that registers it). A name registered twice is a
   * wiring mistake and a defect.
   */
  readonly register: (name: string, check: Check, options?: CheckOptions) => Effect.Effect<void, never, Scope.Scope>
  /** Runs every registered check concurrently, each within its timeout. */
  readonly run: Effect.Effect<HealthReport>
}

const make: Effect.Effect<HealthCheckShape> = Effect.map(
  Ref.make<ReadonlyMap<string, RegisteredCheck>>(new Map()),
  (registry) => ({
    register: Effect.fn("HealthCheck.register")(function* (name: string, check: Check, options: CheckOptions = {}) {
      const registered: RegisteredCheck = {
        name,
        check,
        timeout: Duration.decode(options.timeout ?? defaultCheckTimeout)
      }
      const added = Ref.modify(registry, (current): [boolean, ReadonlyMap<string, RegisteredCheck>] =>
        current.has(name) ? [false, current] : [true, new Map(current).set(name, registered)]
      )
      yield* Effect.acquireRelease(
        Effect.filterOrDieMessage(added, (fresh) => fresh, `health check "${name}" is already registered`),
        () =>
          Ref.update(registry, (current) => {
            const rest = new Map(current)
            rest.delete(name)
            return rest
          })
      )
    }),
    run: Effect.flatMap(Ref.get(registry), (checks) => runChecks(checks.values())).pipe(
      Effect.withSpan("HealthCheck.run")
    )
  })
)

/**
 * Readiness checks, registered by the layers that own what they check (the
 * database, the artifact store, an integration's endpoint) and run together
 * by `/readyz`.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { HealthCheck } from "effect-mlops"
 *
 * const QueueCheck = Layer.scopedDiscard(
 *   Effect.flatMap(HealthCheck, (health) => health.register("queue", pingQueue, { timeout: "1 second" }))
 * )
 * const report = Effect.flatMap(HealthCheck, (health) => health.run)
 * ```
 */
export class HealthCheck extends Context.Tag("effect-mlops/operations/HealthCheck")<HealthCheck, HealthCheckShape>() {
  /** An empty registry; each build of the layer gets its own. */
  static readonly layer: Layer.Layer<HealthCheck> = Layer.effect(this, make)
}
