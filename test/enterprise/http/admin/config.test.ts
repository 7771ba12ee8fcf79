import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { operatorTenantConfig } from "../../../../src/enterprise/http/admin/AdminRoutes.js"

const read = (env: Record<string, string>) =>
  operatorTenantConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromJson(env)))

describe("MLOPS_OPERATOR_TENANT", () => {
  it.effect("defaults to the default tenant", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* read({}), "default")
    })
  )

  it.effect("names the operator tenant", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* read({ MLOPS_OPERATOR_TENANT: "ops" }), "ops")
    })
  )

  it.effect("a value that is not a tenant id fails at startup, naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(read({ MLOPS_OPERATOR_TENANT: "Ops Team" }))
      assert.include(String(error), "MLOPS_OPERATOR_TENANT")
    })
  )
})
