import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { makeMemoryReplayCache } from "../../../../src/enterprise/auth/saml/replayCache.js"
import { makeMemoryRequestCache } from "../../../../src/enterprise/auth/saml/requestCache.js"

// it.effect starts the TestClock at 0, so expiry times below are plain offsets.
describe("in-memory replay cache", () => {
  it.effect("an id is new once, then seen until it expires, then forgotten", () =>
    Effect.gen(function* () {
      const cache = yield* makeMemoryReplayCache()
      assert.isFalse(yield* cache.seen("_a", 1_000))
      assert.isTrue(yield* cache.seen("_a", 1_000))
      yield* TestClock.adjust(999)
      assert.isTrue(yield* cache.seen("_a", 1_000))
      yield* TestClock.adjust(1)
      assert.isFalse(yield* cache.seen("_a", 2_000))
    })
  )

  it.effect("a full cache refuses new ids instead of evicting live ones, and frees room as they expire", () =>
    Effect.gen(function* () {
      const cache = yield* makeMemoryReplayCache({ maxEntries: 2 })
      assert.isFalse(yield* cache.seen("_a", 1_000))
      assert.isFalse(yield* cache.seen("_b", 5_000))
      assert.isTrue(yield* cache.seen("_c", 5_000))
      assert.isTrue(yield* cache.seen("_a", 1_000))
      yield* TestClock.adjust(1_000)
      assert.isFalse(yield* cache.seen("_c", 5_000))
      assert.isTrue(yield* cache.seen("_b", 5_000))
    })
  )
})

describe("in-memory AuthnRequest id cache", () => {
  it.effect("keeps at most maxEntries ids, dropping the oldest pending request first", () =>
    Effect.promise(async () => {
      const cache = makeMemoryRequestCache({ ttlMs: 60_000, maxEntries: 2 })
      await cache.saveAsync("_1", "t1")
      await cache.saveAsync("_2", "t2")
      await cache.saveAsync("_3", "t3")
      assert.isNull(await cache.getAsync("_1"))
      assert.strictEqual(await cache.getAsync("_2"), "t2")
      assert.strictEqual(await cache.getAsync("_3"), "t3")
      assert.strictEqual(await cache.removeAsync("_2"), "_2")
      assert.isNull(await cache.getAsync("_2"))
      assert.isNull(await cache.saveAsync("_3", "again"))
    })
  )

  it.effect("forgets ids after their time to live", () =>
    Effect.promise(async () => {
      const cache = makeMemoryRequestCache({ ttlMs: 20, maxEntries: 10 })
      await cache.saveAsync("_1", "t1")
      await new Promise((resolve) => setTimeout(resolve, 40))
      assert.isNull(await cache.getAsync("_1"))
    })
  )
})
