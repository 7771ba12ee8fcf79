import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import { dbQueryDuration } from "../../../src/operations/telemetry/metrics.js"
import { instrumentTracer } from "../../../src/operations/telemetry/tracer.js"

const savepoints = Metric.tagged(dbQueryDuration, "statement", "SAVEPOINT")

/** A span shaped like @effect/sql's statement spans. */
const statement = Effect.void.pipe(
  Effect.withSpan("sql.execute", { kind: "client", attributes: { "db.query.text": "SAVEPOINT effect_sql_1" } })
)

describe("instrumentTracer", () => {
  it.effect("times each SQL statement span into mlops_db_query_duration_seconds, by leading keyword", () =>
    Effect.gen(function* () {
      const tracer = instrumentTracer(yield* Effect.tracer)
      const before = (yield* Metric.value(savepoints)).count
      yield* Effect.withTracer(statement, tracer)
      expect((yield* Metric.value(savepoints)).count).toBe(before + 1)
    })
  )

  it.effect("instruments an instrumented tracer once, so a statement is not counted twice", () =>
    Effect.gen(function* () {
      const tracer = instrumentTracer(instrumentTracer(yield* Effect.tracer))
      const before = (yield* Metric.value(savepoints)).count
      yield* Effect.withTracer(statement, tracer)
      expect((yield* Metric.value(savepoints)).count).toBe(before + 1)
    })
  )

  it.effect("names a server span after its method and route once the router has set http.route", () =>
    Effect.gen(function* () {
      const tracer = instrumentTracer(yield* Effect.tracer)
      const span = yield* Effect.withTracer(
        Effect.useSpan("http.server POST", { kind: "server" }, (span) =>
          Effect.sync(() => {
            span.attribute("http.request.method", "POST")
            span.attribute("http.route", "/api/2.0/mlflow/runs/log-batch")
            return span
          })
        ),
        tracer
      )
      expect(span.name).toBe("POST /api/2.0/mlflow/runs/log-batch")
    })
  )
})
