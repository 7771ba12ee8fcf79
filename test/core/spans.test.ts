import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Effect, Layer, Option, Tracer } from "effect"
import { makeBasicLayer } from "../../layers/Basic.js"
import { layerWithoutMethodSpans, method, methodSpan } from "../../src/core/spans.js"
import { ExperimentTracker } from "../../src/core/tracking/ExperimentTracker.js"
import { tempDir } from "../support/sqlite.js"

interface Opened {
  readonly name: string
  readonly attributes: ReadonlyMap<string, unknown>
}

/** Runs `effect` under a tracer that records every span opened, and returns those spans with the result. */
const recordingSpans = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const opened: Array<Tracer.Span> = []
    const inProcess = yield* Effect.tracer
    const recording = Tracer.make({
      span: (...args) => {
        const span = inProcess.span(...args)
        opened.push(span)
        return span
      },
      context: inProcess.context
    })
    const result = yield* Effect.exit(Effect.withTracer(effect, recording))
    const spans: ReadonlyArray<Opened> = opened.map((span) => ({ name: span.name, attributes: span.attributes }))
    return { result, spans }
  })

const double = method("Test.double")(function* (n: number) {
  return (yield* Effect.succeed(n)) * 2
})

class Refused extends Data.TaggedError("Refused")<{ readonly reason: string }> {}

const refuse = method("Test.refuse")(function* (reason: string) {
  return yield* new Refused({ reason })
})

const spanNameInStep = method("Test.step")(
  function* () {
    return yield* Effect.succeed(1)
  },
  (effect) =>
    Effect.zipRight(
      effect,
      Effect.map(Effect.currentSpan, (span) => span.name)
    )
)

describe("core method spans", () => {
  it.effect("a method opens its span by default", () =>
    Effect.gen(function* () {
      const { result, spans } = yield* recordingSpans(double(21))
      expect(result._tag === "Success" && result.value).toBe(42)
      expect(spans.map((span) => span.name)).toEqual(["Test.double"])
    })
  )

  it.effect("a failure's trace names the method and the line that defines it", () =>
    Effect.gen(function* () {
      const { result } = yield* recordingSpans(refuse("no"))
      expect(result._tag).toBe("Failure")
      const pretty = result._tag === "Failure" ? Cause.pretty(result.cause) : ""
      expect(pretty).toMatch(/at Test\.refuse \(.*spans\.test\.ts:\d+/)
    })
  )

  it.effect("steps after the body run inside the method's span", () =>
    Effect.gen(function* () {
      expect(yield* spanNameInStep()).toBe("Test.step")
    })
  )

  it.effect("methodSpan opens a span with its attributes", () =>
    Effect.gen(function* () {
      const { spans } = yield* recordingSpans(Effect.succeed(1).pipe(methodSpan("Test.pipeline", { name: "iris" })))
      expect(spans).toHaveLength(1)
      expect(spans[0]?.name).toBe("Test.pipeline")
      expect(spans[0]?.attributes.get("name")).toBe("iris")
    })
  )

  it.effect("switched off, a method opens no span and gives the same result", () =>
    Effect.gen(function* () {
      const { result, spans } = yield* recordingSpans(double(21)).pipe(Effect.provide(layerWithoutMethodSpans))
      expect(result._tag === "Success" && result.value).toBe(42)
      expect(spans).toEqual([])
      const failed = yield* recordingSpans(refuse("no")).pipe(Effect.provide(layerWithoutMethodSpans))
      expect(failed.result._tag === "Failure" && Cause.failureOption(failed.result.cause)).toEqual(
        Option.some(new Refused({ reason: "no" }))
      )
      expect(failed.spans).toEqual([])
    })
  )

  it.effect("switched off, a step still runs, outside any method span", () =>
    Effect.gen(function* () {
      const outside = yield* Effect.flip(spanNameInStep()).pipe(Effect.provide(layerWithoutMethodSpans))
      expect(outside).toBeInstanceOf(Cause.NoSuchElementException)
    })
  )

  it.scoped("BasicLayer's tracker opens ExperimentTracker spans unless they are switched off", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir("effect-mlops-method-spans")
      const createRun = Effect.flatMap(ExperimentTracker, (tracker) =>
        Effect.flatMap(tracker.createExperiment({ name: `spans-${Math.random()}` }), (experiment) =>
          tracker.createRun({ experimentId: experiment.experimentId })
        )
      )
      const names = (spans: ReadonlyArray<Opened>) =>
        spans.map((span) => span.name).filter((name) => name.startsWith("ExperimentTracker."))
      const services = makeBasicLayer({ dataPath: path.join(dir, "data") })
      const on = yield* recordingSpans(createRun).pipe(Effect.provide(services))
      expect(names(on.spans)).toEqual(["ExperimentTracker.createExperiment", "ExperimentTracker.createRun"])
      const off = yield* recordingSpans(createRun).pipe(Effect.provide(Layer.merge(services, layerWithoutMethodSpans)))
      expect(off.result._tag).toBe("Success")
      expect(names(off.spans)).toEqual([])
    })
  )
})
