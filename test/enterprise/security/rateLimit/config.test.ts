import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { rateLimitConfig } from "../../../../src/enterprise/security/rateLimit/config.js"

const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("rateLimitConfig", () => {
  it.effect("defaults: 50/s burst 200 per principal, 500/s burst 2000 per tenant, enabled", () =>
    Effect.gen(function* () {
      const config = yield* rateLimitConfig.pipe(withEnv({}))
      assert.deepStrictEqual(config, {
        enabled: true,
        principal: { ratePerSecond: 50, burst: 200 },
        tenant: { ratePerSecond: 500, burst: 2000 }
      })
    })
  )

  it.effect("reads MLOPS_RATE_LIMIT_* (fractional rates allowed)", () =>
    Effect.gen(function* () {
      const config = yield* rateLimitConfig.pipe(
        withEnv({
          MLOPS_RATE_LIMIT_ENABLED: "false",
          MLOPS_RATE_LIMIT_PRINCIPAL_RPS: "0.5",
          MLOPS_RATE_LIMIT_PRINCIPAL_BURST: "10",
          MLOPS_RATE_LIMIT_TENANT_RPS: "25",
          MLOPS_RATE_LIMIT_TENANT_BURST: "1"
        })
      )
      assert.deepStrictEqual(config, {
        enabled: false,
        principal: { ratePerSecond: 0.5, burst: 10 },
        tenant: { ratePerSecond: 25, burst: 1 }
      })
    })
  )

  it.effect("refuses zero, negative, non-numeric and sub-1 bursts", () =>
    Effect.gen(function* () {
      for (const [name, value] of [
        ["MLOPS_RATE_LIMIT_PRINCIPAL_RPS", "0"],
        ["MLOPS_RATE_LIMIT_PRINCIPAL_RPS", "-5"],
        ["MLOPS_RATE_LIMIT_TENANT_RPS", "fast"],
        ["MLOPS_RATE_LIMIT_TENANT_RPS", "Infinity"],
        ["MLOPS_RATE_LIMIT_PRINCIPAL_BURST", "0.5"],
        ["MLOPS_RATE_LIMIT_TENANT_BURST", "0"],
        ["MLOPS_RATE_LIMIT_ENABLED", "maybe"]
      ] as const) {
        const error = yield* Effect.flip(rateLimitConfig.pipe(withEnv({ [name]: value })))
        assert.strictEqual(error._tag, "ConfigError", `${name}=${value}`)
        assert.include(String(error), name, `${name}=${value}`)
      }
    })
  )
})
