import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Option, Redacted, TestClock } from "effect"
import fc from "fast-check"
import { TenantId } from "../../../../src/core/context.js"
import { sessionConfig } from "../../../../src/enterprise/auth/session/config.js"
import { makeSealer } from "../../../../src/enterprise/auth/session/seal.js"
import { Sessions } from "../../../../src/enterprise/auth/session/Sessions.js"
import type { PrincipalId } from "../../../../src/enterprise/auth/principals/model.js"
import { safeLocalPath } from "../../../../src/enterprise/http/sso/redirect.js"

const key = Redacted.make("k".repeat(32))
const otherKey = Redacted.make("o".repeat(32))
const principalId = `p-${"0".repeat(32)}` as PrincipalId
const grant = {
  provider: "oidc" as const,
  issuer: "https://idp.test",
  subject: "alice",
  tenant: TenantId.make("acme"),
  principalId
}

const sessionsWith = (config: Partial<Parameters<typeof Sessions.layer>[0]> = {}) =>
  Sessions.pipe(
    Effect.provide(
      Sessions.layer({ key, previousKey: Option.none(), maxAge: Duration.hours(12), alwaysSecure: false, ...config })
    )
  )

describe("Sessions", () => {
  it.effect("a session ends at the provider's bound or after the maximum age, whichever is first", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_000_000)
      const sessions = yield* sessionsWith()
      const capped = yield* sessions.issue(grant)
      assert.strictEqual(capped.expiresAt, 1_000_000 + 12 * 3_600_000)
      const early = yield* sessions.issue({ ...grant, expiresAt: 1_000_000 + 60_000 })
      assert.strictEqual(early.expiresAt, 1_060_000)
      const late = yield* sessions.issue({ ...grant, expiresAt: 1_000_000 + 48 * 3_600_000 })
      assert.strictEqual(late.expiresAt, capped.expiresAt)
      assert.match(capped.csrf, /^[A-Za-z0-9_-]{43}$/)
      assert.notStrictEqual(capped.csrf, early.csrf)
    })
  )

  it.effect("round-trips through its cookie until it expires (by the Effect clock)", () =>
    Effect.gen(function* () {
      const sessions = yield* sessionsWith()
      const session = yield* sessions.issue({ ...grant, expiresAt: 60_000 })
      const cookie = sessions.encode(session)
      assert.notInclude(cookie, "alice") // encrypted, not just signed
      assert.deepStrictEqual(yield* sessions.decode(cookie), session)
      yield* TestClock.adjust("1 minute")
      const error = yield* Effect.flip(sessions.decode(cookie))
      assert.strictEqual(error.reason, "session expired")
    })
  )

  it.effect("the previous key still opens cookies; an unknown key does not", () =>
    Effect.gen(function* () {
      const old = yield* sessionsWith({ key: otherKey })
      const session = yield* old.issue(grant)
      const rotated = yield* sessionsWith({ previousKey: Option.some(otherKey) })
      assert.deepStrictEqual(yield* rotated.decode(old.encode(session)), session)
      // New cookies are sealed with the new key only.
      assert.isTrue(Either.isLeft(yield* Effect.either(old.decode(rotated.encode(session)))))
      const stranger = yield* sessionsWith()
      assert.isTrue(Either.isLeft(yield* Effect.either(stranger.decode(old.encode(session)))))
    })
  )

  it.effect("the reissued session of a tenant switch keeps identity and end, with a new token", () =>
    Effect.gen(function* () {
      const sessions = yield* sessionsWith()
      const session = yield* sessions.issue(grant)
      const other = `p-${"1".repeat(32)}` as PrincipalId
      const moved = sessions.reissue(session, TenantId.make("globex"), other)
      assert.strictEqual(moved.tenant, "globex")
      assert.strictEqual(moved.principalId, other)
      assert.strictEqual(moved.expiresAt, session.expiresAt)
      assert.strictEqual(moved.subject, session.subject)
      assert.notStrictEqual(moved.csrf, session.csrf)
    })
  )

  it.effect("no cookie is read from the headers as None; a bad one fails, never dies", () =>
    Effect.gen(function* () {
      const sessions = yield* sessionsWith()
      assert.isTrue(Option.isNone(yield* sessions.fromHeaders({})))
      assert.isTrue(Option.isNone(yield* sessions.fromHeaders({ cookie: "other=1" })))
      const session = yield* sessions.issue(grant)
      const found = yield* sessions.fromHeaders({ cookie: `a=b; mlops_session=${sessions.encode(session)}` })
      assert.deepStrictEqual(found, Option.some(session))
      fc.assert(
        fc.property(fc.string({ maxLength: 600 }), (value) => {
          const exit = Effect.runSyncExit(sessions.fromHeaders({ cookie: `mlops_session=${value}` }))
          return exit._tag === "Success" || exit.cause._tag === "Fail"
        }),
        { numRuns: 300 }
      )
    })
  )

  it.effect("a value sealed for one purpose does not open for another", () =>
    Effect.sync(() => {
      const sealer = makeSealer([key])
      const sealed = sealer.seal("mlops_oidc", "{}")
      assert.deepStrictEqual(sealer.unseal("mlops_oidc", sealed), Option.some("{}"))
      assert.isTrue(Option.isNone(sealer.unseal("mlops_session", sealed)))
    })
  )

  it.effect("the configuration wants a key of 32 characters or more", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.either(Effect.withConfigProvider(sessionConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
      assert.isTrue(Either.isLeft(yield* read({})))
      assert.isTrue(Either.isLeft(yield* read({ MLOPS_SESSION_KEY: "short" })))
      const config = yield* read({ MLOPS_SESSION_KEY: "k".repeat(32), MLOPS_COOKIE_SECURE: "true" })
      assert.isTrue(Either.isRight(config))
      if (Either.isRight(config)) {
        assert.isTrue(config.right.alwaysSecure)
        assert.strictEqual(Duration.toHours(config.right.maxAge), 12)
        assert.strictEqual(String(config.right.key), "<redacted>")
      }
      assert.isTrue(
        Either.isLeft(yield* read({ MLOPS_SESSION_KEY: "k".repeat(32), MLOPS_SESSION_KEY_PREVIOUS: "short" }))
      )
    })
  )
})

describe("safeLocalPath", () => {
  it("accepts local paths and defaults to /", () => {
    for (const path of ["/", "/experiments/1", "/runs/abc?tab=metrics#x", "/a%2F%2Fb"]) {
      assert.deepStrictEqual(safeLocalPath(path), Either.right(path))
    }
    assert.deepStrictEqual(safeLocalPath(undefined), Either.right("/"))
    assert.deepStrictEqual(safeLocalPath(""), Either.right("/"))
  })

  it("refuses anything a browser could take to another origin", () => {
    for (const target of [
      "https://evil.test",
      "//evil.test",
      "/\\evil.test",
      "\\/evil.test",
      "/\t/evil.test",
      "/\n/evil.test",
      " /x",
      "javascript:alert(1)",
      "evil.test",
      `/${"x".repeat(3000)}`
    ]) {
      assert.isTrue(Either.isLeft(safeLocalPath(target)), JSON.stringify(target))
    }
  })

  it("never accepts a target that resolves to another origin (property)", () => {
    const chars = fc.constantFrom(..."/\\.:@?#%e vil\t\nt".split(""))
    fc.assert(
      fc.property(fc.string({ unit: chars, maxLength: 20 }), (target) => {
        const result = safeLocalPath(target)
        if (Either.isLeft(result)) return true
        const resolved = new URL(result.right, "https://app.example")
        return resolved.origin === "https://app.example" && !result.right.startsWith("//")
      }),
      { numRuns: 2000 }
    )
  })
})
