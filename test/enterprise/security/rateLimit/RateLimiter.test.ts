import { assert, describe, it } from "@effect/vitest"
import { Cause, Clock, Effect, Exit, TestClock } from "effect"
import fc from "fast-check"
import { makeMemoryRateLimiter } from "../../../../src/enterprise/security/rateLimit/memory.js"
import type { RateLimitDecision } from "../../../../src/enterprise/security/rateLimit/model.js"
import { RateLimiter } from "../../../../src/enterprise/security/rateLimit/RateLimiter.js"

const tenPerSecond = { ratePerSecond: 10, burst: 5 }
const key = (name: string, limit = tenPerSecond) => ({ key: name, limit })

const allowedCount = (decisions: ReadonlyArray<RateLimitDecision>) => decisions.filter((d) => d.allowed).length

const refused = (decision: RateLimitDecision) => {
  if (decision.allowed) return assert.fail("expected a refusal")
  return decision
}

describe("RateLimiter (memory)", () => {
  it.effect("allows a burst, then refuses, and says exactly how long to wait", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const decisions = yield* Effect.forEach(Array.from({ length: 7 }), () => limiter.take([key("a")]))
      assert.deepStrictEqual(
        decisions.map((d) => d.allowed),
        [true, true, true, true, true, false, false]
      )
      assert.deepStrictEqual(
        decisions.slice(0, 5).map((d) => (d.allowed ? d.remaining : -1)),
        [4, 3, 2, 1, 0]
      )
      // 10 tokens a second: one token in 100 ms.
      assert.deepStrictEqual(decisions[5], { allowed: false, retryAfterMillis: 100, key: "a", burst: 5 })

      yield* TestClock.adjust("99 millis")
      assert.strictEqual(refused(yield* limiter.take([key("a")])).retryAfterMillis, 1)
      yield* TestClock.adjust("1 millis")
      assert.isTrue((yield* limiter.take([key("a")])).allowed)
      assert.isFalse((yield* limiter.take([key("a")])).allowed)
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("refills at the rate, never above the burst", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      yield* Effect.forEach(Array.from({ length: 5 }), () => limiter.take([key("a")]))
      yield* TestClock.adjust("250 millis") // 2.5 tokens
      const afterQuarter = yield* Effect.forEach(Array.from({ length: 4 }), () => limiter.take([key("a")]))
      assert.strictEqual(allowedCount(afterQuarter), 2)
      // 0.5 token left: the next whole one is 50 ms away.
      assert.strictEqual(refused(afterQuarter[3]!).retryAfterMillis, 50)

      yield* TestClock.adjust("1 hour")
      const afterHour = yield* Effect.forEach(Array.from({ length: 8 }), () => limiter.take([key("a")]))
      assert.strictEqual(allowedCount(afterHour), 5)
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("fractional rates: retrying after exactly retryAfterMillis is allowed", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const slow = { ratePerSecond: 3, burst: 1 } // one token every 333.33… ms
      for (let i = 0; i < 20; i++) {
        assert.isTrue((yield* limiter.take([key("slow", slow)])).allowed, `take ${i}`)
        const { retryAfterMillis } = refused(yield* limiter.take([key("slow", slow)]))
        assert.isAtMost(retryAfterMillis, 334)
        assert.isAtLeast(retryAfterMillis, 333)
        yield* TestClock.adjust(retryAfterMillis)
      }
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("is all or nothing across keys: a refusing tenant does not spend the principal's token", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const principal = key("principal:acme/alice", { ratePerSecond: 10, burst: 3 })
      const tenant = key("tenant:acme", { ratePerSecond: 1, burst: 2 })
      assert.isTrue((yield* limiter.take([principal, tenant])).allowed)
      assert.isTrue((yield* limiter.take([principal, tenant])).allowed)
      const third = refused(yield* limiter.take([principal, tenant]))
      assert.deepStrictEqual(third, { allowed: false, retryAfterMillis: 1000, key: "tenant:acme", burst: 2 })
      // The principal still holds its third token: it was not charged for the refused request.
      const alone = yield* limiter.take([principal])
      assert.deepStrictEqual(alone, { allowed: true, remaining: 0, burst: 3 })
      // The longest wait wins when several buckets refuse.
      const both = refused(yield* limiter.take([principal, tenant]))
      assert.strictEqual(both.key, "tenant:acme")
      assert.strictEqual(both.retryAfterMillis, 1000)
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("reports the bucket closest to refusal", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const wide = key("wide", { ratePerSecond: 1, burst: 100 })
      const narrow = key("narrow", { ratePerSecond: 1, burst: 3 })
      assert.deepStrictEqual(yield* limiter.take([wide, narrow]), { allowed: true, remaining: 2, burst: 3 })
      assert.deepStrictEqual(yield* limiter.take([]), {
        allowed: true,
        remaining: Number.POSITIVE_INFINITY,
        burst: Number.POSITIVE_INFINITY
      })
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("a cost above 1 takes that many tokens and waits for all of them", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      assert.deepStrictEqual(yield* limiter.take([key("a")], 3), { allowed: true, remaining: 2, burst: 5 })
      const tooMuch = refused(yield* limiter.take([key("a")], 4))
      assert.strictEqual(tooMuch.retryAfterMillis, 200) // 2 tokens short at 10 a second
      assert.isTrue((yield* limiter.take([key("a")], 2)).allowed) // smaller takes are not blocked by it
      yield* TestClock.adjust("400 millis")
      assert.isTrue((yield* limiter.take([key("a")], 4)).allowed)
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("a key named twice is one bucket", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const twice = [key("a", { ratePerSecond: 1, burst: 2 }), key("a", { ratePerSecond: 1, burst: 2 })]
      assert.isTrue((yield* limiter.take(twice)).allowed)
      assert.isTrue((yield* limiter.take(twice)).allowed)
      assert.isFalse((yield* limiter.take(twice)).allowed)
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("a cost that could never be allowed, or a malformed limit, is a defect", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      for (const attempt of [
        limiter.take([key("a")], 6),
        limiter.take([key("a")], 0),
        limiter.take([key("a")], Number.NaN),
        limiter.take([key("a", { ratePerSecond: 0, burst: 5 })]),
        limiter.take([key("a", { ratePerSecond: 1, burst: 0.5 })], 0.25)
      ]) {
        const exit = yield* Effect.exit(attempt)
        assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      }
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  it.effect("drops buckets once they have refilled, so idle keys cost no memory", () =>
    Effect.gen(function* () {
      const limiter = yield* makeMemoryRateLimiter({ sweepInterval: "1 second" })
      yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => limiter.take([key(`user-${i}`)])
      )
      assert.strictEqual(yield* limiter.size, 50)
      // A spent token is back after 100 ms; the next sweep is due 1 s after the first take.
      yield* TestClock.adjust("1 second")
      yield* limiter.take([key("active")])
      assert.strictEqual(yield* limiter.size, 1)
      // A dropped bucket was full, so its key is not treated differently from before.
      const again = yield* Effect.forEach(Array.from({ length: 6 }), () => limiter.take([key("user-0")]))
      assert.strictEqual(allowedCount(again), 5)
    })
  )

  it.effect("keeps buckets that are still refilling across sweeps", () =>
    Effect.gen(function* () {
      const limiter = yield* makeMemoryRateLimiter({ sweepInterval: "1 second" })
      const slow = key("slow", { ratePerSecond: 1, burst: 5 })
      const first = yield* Effect.forEach(Array.from({ length: 6 }), () => limiter.take([slow]))
      assert.strictEqual(allowedCount(first), 5)
      yield* TestClock.adjust("1 second") // a sweep is due; the bucket holds 1 token of 5
      const second = yield* Effect.forEach(Array.from({ length: 3 }), () => limiter.take([slow]))
      assert.strictEqual(allowedCount(second), 1)
      assert.strictEqual(yield* limiter.size, 1)
    })
  )

  it.effect("never holds more than maxKeys buckets; the least recently used goes first", () =>
    Effect.gen(function* () {
      const limiter = yield* makeMemoryRateLimiter({ maxKeys: 3 })
      const slow = { ratePerSecond: 0.001, burst: 1 }
      for (let i = 0; i < 100; i++) {
        yield* limiter.take([key(`user-${i}`, slow)])
        assert.isAtMost(yield* limiter.size, 3)
      }
      // user-97 … user-99 are held (refused), user-0 was dropped (allowed again).
      assert.isFalse((yield* limiter.take([key("user-99", slow)])).allowed)
      assert.isTrue((yield* limiter.take([key("user-0", slow)])).allowed)
      assert.strictEqual(yield* limiter.size, 3)
    })
  )

  it("a clock stepping back grants no extra tokens", () => {
    const clock = manualClock()
    const limiter = Effect.runSync(makeMemoryRateLimiter())
    clock.advance(1000)
    assert.isTrue(clock.run(limiter.take([key("a")], 4)).allowed)
    clock.advance(-500) // a wall-clock correction
    assert.isTrue(clock.run(limiter.take([key("a")])).allowed)
    assert.isFalse(clock.run(limiter.take([key("a")])).allowed)
    clock.advance(500) // back where it was: the 500 ms were not lived twice
    assert.isFalse(clock.run(limiter.take([key("a")])).allowed)
    clock.advance(100)
    assert.isTrue(clock.run(limiter.take([key("a")])).allowed)
  })

  it.effect("concurrent takes never share a token", () =>
    Effect.gen(function* () {
      const limiter = yield* RateLimiter
      const decisions = yield* Effect.forEach(Array.from({ length: 100 }), () => limiter.take([key("a")]), {
        concurrency: "unbounded"
      })
      assert.strictEqual(allowedCount(decisions), 5)
    }).pipe(Effect.provide(RateLimiter.layerMemory))
  )

  // Whatever the rates, costs and timing, a bucket never hands out more than
  // its burst plus what it earns: over the whole run and over every window
  // of it (a bucket that refilled past its burst would break the latter).
  it("never allows more than burst + rate × elapsed, in any window", () => {
    const arbitraries = fc.record({
      ratePerSecond: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.01, max: 50, noNaN: true })),
      burst: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.double({ min: 1, max: 20, noNaN: true })),
      steps: fc.array(
        fc.record({
          wait: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 5000 })),
          cost: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 1, noNaN: true })),
          withOther: fc.boolean()
        }),
        { maxLength: 200 }
      ),
      sweepInterval: fc.integer({ min: 0, max: 10_000 })
    })
    const property = fc.property(arbitraries, ({ burst, ratePerSecond, steps, sweepInterval }) => {
      const clock = manualClock()
      const limiter = Effect.runSync(makeMemoryRateLimiter({ sweepInterval }))
      const limit = { ratePerSecond, burst }
      const other = key("other", { ratePerSecond: 1, burst: 3 })
      const granted: Array<{ readonly at: number; readonly cost: number }> = []
      for (const { cost, wait, withOther } of steps) {
        clock.advance(wait)
        const keys = withOther ? [key("k", limit), other] : [key("k", limit)]
        const decision = clock.run(limiter.take(keys, cost))
        if (decision.allowed) granted.push({ at: clock.now(), cost })
        else assert.isTrue(Number.isInteger(decision.retryAfterMillis) && decision.retryAfterMillis >= 1)
      }
      // Every window [granted[i].at, granted[j].at]; the first starts with the full bucket of time 0.
      for (let i = 0; i < granted.length; i++) {
        let spent = 0
        for (let j = i; j < granted.length; j++) {
          spent += granted[j]!.cost
          const earned = burst + (ratePerSecond * (granted[j]!.at - granted[i]!.at)) / 1000
          if (spent > earned + 1e-6) {
            assert.fail(`spent ${spent} > ${earned} between ${granted[i]!.at} and ${granted[j]!.at} ms`)
          }
        }
      }
    })
    fc.assert(property, { numRuns: 1000 })
  })

  it("a refused take is allowed after exactly retryAfterMillis", () => {
    const arbitraries = fc.record({
      ratePerSecond: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.double({ min: 0.01, max: 50, noNaN: true })),
      burst: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.double({ min: 1, max: 10, noNaN: true })),
      spend: fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0.01, max: 1, noNaN: true })), {
        maxLength: 30
      }),
      cost: fc.oneof(fc.constant(1), fc.double({ min: 0.01, max: 1, noNaN: true }))
    })
    const property = fc.property(arbitraries, ({ burst, cost, ratePerSecond, spend }) => {
      const clock = manualClock()
      const limiter = Effect.runSync(makeMemoryRateLimiter())
      const k = key("k", { ratePerSecond, burst })
      for (const [wait, spent] of spend) {
        clock.advance(wait)
        clock.run(limiter.take([k], spent))
      }
      const decision = clock.run(limiter.take([k], cost))
      if (decision.allowed) return
      clock.advance(decision.retryAfterMillis)
      assert.isTrue(clock.run(limiter.take([k], cost)).allowed)
    })
    fc.assert(property, { numRuns: 1000 })
  })
})

/**
 * A clock moved by hand, for property runs: `TestClock.adjust` yields to the
 * event loop on every call (milliseconds each), which would make a thousand
 * runs of a hundred steps take minutes. The limiter reads it through
 * Effect's `Clock` service all the same.
 */
const manualClock = () => {
  let now = 0
  const clock: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => now,
    currentTimeMillis: Effect.sync(() => now),
    unsafeCurrentTimeNanos: () => BigInt(now) * 1_000_000n,
    currentTimeNanos: Effect.sync(() => BigInt(now) * 1_000_000n),
    sleep: () => Effect.void
  }
  return {
    now: () => now,
    advance: (millis: number) => {
      now += millis
    },
    run: <A>(effect: Effect.Effect<A>): A => Effect.runSync(Effect.withClock(effect, clock))
  }
}
