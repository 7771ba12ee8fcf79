import { assert, describe, it } from "@effect/vitest"
import { Cause, type Duration, Effect, Exit, Fiber, Option, Scope, TestClock } from "effect"
import { HealthCheckFailed } from "../../../src/operations/health/errors.js"
import { type Check, type CheckOptions, HealthCheck } from "../../../src/operations/health/HealthCheck.js"

const register = (name: string, check: Check, options?: CheckOptions) =>
  Effect.flatMap(HealthCheck, (health) => health.register(name, check, options))

const run = Effect.flatMap(HealthCheck, (health) => health.run)

/** Runs the checks while the test clock moves on by `elapsed`, and returns the report. */
const runAfter = (elapsed: Duration.DurationInput) =>
  Effect.gen(function* () {
    const fiber = yield* Effect.fork(run)
    yield* TestClock.adjust(elapsed)
    return yield* Fiber.join(fiber)
  })

const answersAfter = (delay: Duration.DurationInput, detail?: string): Check => Effect.as(Effect.sleep(delay), detail)

describe("HealthCheck", () => {
  it.scoped("reports each check's status, latency and detail, and ok when all pass", () =>
    Effect.gen(function* () {
      yield* register("database", answersAfter("30 millis"))
      yield* register("migrations", answersAfter("5 millis", "schema version 10 of 10"))
      assert.deepStrictEqual(yield* runAfter("30 millis"), {
        status: "ok",
        checks: {
          database: { status: "ok", latencyMs: 30 },
          migrations: { status: "ok", latencyMs: 5, detail: "schema version 10 of 10" }
        }
      })
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.scoped("is unavailable when one check fails, naming it and its reason", () =>
    Effect.gen(function* () {
      yield* register("database", Effect.succeed(undefined))
      yield* register("artifacts", Effect.fail(new HealthCheckFailed({ reason: "the artifact store is not writable" })))
      const report = yield* run
      assert.strictEqual(report.status, "unavailable")
      assert.deepStrictEqual(report.checks.database?.status, "ok")
      assert.deepStrictEqual(report.checks.artifacts, {
        status: "failed",
        latencyMs: 0,
        detail: "the artifact store is not writable"
      })
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.scoped("fails a check that does not answer within its timeout", () =>
    Effect.gen(function* () {
      yield* register("database", Effect.never, { timeout: "500 millis" })
      assert.deepStrictEqual(yield* runAfter("500 millis"), {
        status: "unavailable",
        checks: { database: { status: "failed", latencyMs: 500, detail: "no answer within 500ms" } }
      })
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.scoped("a check that cannot be interrupted still fails at its timeout", () =>
    Effect.gen(function* () {
      yield* register("driver", Effect.uninterruptible(answersAfter("10 seconds")), { timeout: "1 seconds" })
      const report = yield* runAfter("1 seconds")
      assert.strictEqual(report.checks.driver?.detail, "no answer within 1s")
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.scoped("runs the checks concurrently", () =>
    Effect.gen(function* () {
      yield* register("first", answersAfter("1000 millis"))
      yield* register("second", answersAfter("1000 millis"))
      const fiber = yield* Effect.fork(run)
      yield* TestClock.adjust("1 seconds")
      const done = yield* Fiber.poll(fiber)
      assert.isTrue(Option.isSome(done) && Exit.isSuccess(done.value) && done.value.value.status === "ok")
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.scoped("reports a check that dies as failed, without its internals", () =>
    Effect.gen(function* () {
      yield* register("broken", Effect.dieMessage("connection string postgres://secret@db"))
      const report = yield* run
      assert.deepStrictEqual(report.checks.broken, { status: "failed", latencyMs: 0, detail: "failed unexpectedly" })
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.effect("removes a check when the scope that registered it closes", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      yield* register("temporary", Effect.succeed(undefined)).pipe(Scope.extend(scope))
      assert.deepStrictEqual(Object.keys((yield* run).checks), ["temporary"])
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(yield* run, { status: "ok", checks: {} })
    }).pipe(Effect.provide(HealthCheck.layer))
  )

  it.scoped("refuses a name registered twice", () =>
    Effect.gen(function* () {
      yield* register("database", Effect.succeed(undefined))
      const cause = yield* Effect.flip(Effect.sandbox(register("database", Effect.succeed(undefined))))
      assert.isTrue(Cause.isDie(cause))
      assert.include(Cause.pretty(cause), 'health check "database" is already registered')
    }).pipe(Effect.provide(HealthCheck.layer))
  )
})
