import { type Context, Effect, FiberRef, Layer } from "effect"
import { globalValue } from "effect/GlobalValue"

/**
 * Whether the core services' methods open their spans
 * (`ExperimentTracker.logBatch`, `ModelRegistry.setAlias`, ...), and
 * whether `actingAs` puts the tenant and principal on spans. On by
 * default, so a program that installs its own tracer sees them; the
 * telemetry layers turn them off when they export no traces
 * ({@link layerWithoutMethodSpans}).
 */
export const currentMethodSpans: FiberRef.FiberRef<boolean> = globalValue(
  Symbol.for("effect-mlops/core/currentMethodSpans"),
  () => FiberRef.unsafeMake(true)
)

/**
 * Turns the core services' method spans off for everything built over it,
 * for configurations where no tracer reads them: a span would only be
 * opened, timed and dropped. With the instrumented tracker's attributes,
 * that was 3–8% of HTTP run creation's throughput (61 of the ~430
 * Effect operations of a `runs/create` request).
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { layerWithoutMethodSpans } from "effect-mlops"
 * import { makeBasicLayer } from "effect-mlops/layers"
 *
 * const Untraced = Layer.merge(makeBasicLayer({ dataPath: "./mlops-data" }), layerWithoutMethodSpans)
 * ```
 */
export const layerWithoutMethodSpans: Layer.Layer<never> = Layer.locallyScoped(currentMethodSpans, false)

/** The source line that called the function calling this one, read only when a span's trace is printed. */
const callerOfCaller = (): (() => string | undefined) => {
  const limit = Error.stackTraceLimit
  Error.stackTraceLimit = 3
  const error = new Error()
  Error.stackTraceLimit = limit
  let line: string | undefined | null = null
  return () => {
    if (line === null) line = error.stack?.split("\n")[3]?.trim()
    return line
  }
}

/** The options of a method's span: its attributes and where its stack trace comes from. */
interface MethodSpanOptions {
  readonly attributes?: Record<string, unknown> | undefined
  readonly captureStackTrace: false | (() => string | undefined)
}

/**
 * `traced` (given the fiber's context) while {@link currentMethodSpans} is
 * on, `untraced` otherwise: the one switch for span work nobody would read
 * (method spans, the instrumented tracker's and `actingAs`'s annotations).
 *
 * @example
 * ```ts
 * const annotated = whileMethodSpans(() => Effect.annotateSpans(effect, { "mlops.run.id": runId }), effect)
 * ```
 */
export const whileMethodSpans = <A, E, R>(
  traced: (context: Context.Context<never>) => Effect.Effect<A, E, R>,
  untraced: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> =>
  Effect.withFiberRuntime((fiber) => (fiber.getFiberRef(currentMethodSpans) ? traced(fiber.currentContext) : untraced))

/** `effect` in the span `name` while {@link currentMethodSpans} is on. */
const inMethodSpan = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  name: string,
  options: MethodSpanOptions
): Effect.Effect<A, E, R> => whileMethodSpans(() => Effect.withSpan(effect, name, options), effect)

// `Effect.fnUntraced` applied to a definition of any shape; every core method's steps give effects.
const untraced = Effect.fnUntraced as unknown as (
  ...definition: ReadonlyArray<unknown>
) => (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown, unknown>

/**
 * A core service method: `Effect.fn(name)` whose span opens only while
 * {@link currentMethodSpans} is on. The span's stack trace is where the
 * method is defined, captured once; `Effect.fn` also captures every call
 * site, an `Error` per call. Like `Effect.fn`'s, the steps after the body
 * run inside the span and must give effects.
 *
 * @example
 * ```ts
 * const getRun = method("ExperimentTracker.getRun")(
 *   function* (runId: RunId) {
 *     return yield* repository.findRun(runId)
 *   },
 *   Effect.catchTags({ SqlError: Effect.die })
 * )
 * ```
 */
export const method = (name: string): typeof Effect.fnUntraced =>
  ((...definition: ReadonlyArray<unknown>) => {
    const options = { captureStackTrace: callerOfCaller() }
    const body = untraced(...definition)
    return (...args: ReadonlyArray<unknown>) => inMethodSpan(body(...args), name, options)
  }) as typeof Effect.fnUntraced

/**
 * `Effect.withSpan(name)` for a core service method written as a pipeline
 * rather than a generator ({@link method}). Its span has no stack trace:
 * capturing one costs an `Error` per call.
 *
 * @example
 * ```ts
 * getRun: (runId) => findRun(runId).pipe(Effect.map(toRun), methodSpan("ExperimentTracker.getRun"))
 * ```
 */
export const methodSpan =
  (name: string, attributes?: Record<string, unknown>) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    inMethodSpan(effect, name, { attributes, captureStackTrace: false })
