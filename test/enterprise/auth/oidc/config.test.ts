import { assert, describe, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Duration, Effect, Option, Redacted } from "effect"
import { oidcConfig } from "../../../../src/enterprise/auth/oidc/config.js"

const read = (env: Record<string, string>) =>
  oidcConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("oidcConfig", () => {
  it.effect("applies the defaults when only the issuer is set", () =>
    Effect.gen(function* () {
      const config = yield* read({ MLOPS_OIDC_ISSUER: "https://idp.example.test/realms/mlops" })
      assert.strictEqual(config.issuer, "https://idp.example.test/realms/mlops")
      assert.isTrue(Option.isNone(config.audience))
      assert.isTrue(Option.isNone(config.clientId))
      assert.isTrue(Option.isNone(config.clientSecret))
      assert.isTrue(Option.isNone(config.redirectUri))
      assert.isTrue(Option.isNone(config.tenantClaim))
      assert.strictEqual(config.groupsClaim, "groups")
      assert.isTrue(Duration.equals(config.clockTolerance, Duration.seconds(30)))
      assert.deepStrictEqual(config.scopes, ["openid", "email", "profile"])
      assert.strictEqual(config.tokenEndpointAuthMethod, "client_secret_basic")
    })
  )

  it.effect("reads every variable, keeps the issuer verbatim and the secret redacted", () =>
    Effect.gen(function* () {
      const config = yield* read({
        MLOPS_OIDC_ISSUER: "https://idp.example.test/",
        MLOPS_OIDC_AUDIENCE: "api://mlops",
        MLOPS_OIDC_CLIENT_ID: "mlops-ui",
        MLOPS_OIDC_CLIENT_SECRET: "s3cret",
        MLOPS_OIDC_REDIRECT_URI: "https://mlops.example.test/oidc/callback",
        MLOPS_OIDC_GROUPS_CLAIM: "roles",
        MLOPS_OIDC_TENANT_CLAIM: "tid",
        MLOPS_OIDC_CLOCK_TOLERANCE: "5",
        MLOPS_OIDC_SCOPES: "openid  groups offline_access",
        MLOPS_OIDC_TOKEN_ENDPOINT_AUTH_METHOD: "client_secret_post"
      })
      assert.strictEqual(config.issuer, "https://idp.example.test/")
      assert.deepStrictEqual(config.audience, Option.some("api://mlops"))
      assert.deepStrictEqual(config.clientId, Option.some("mlops-ui"))
      const secret = Option.getOrThrow(config.clientSecret)
      assert.strictEqual(String(secret), "<redacted>")
      assert.strictEqual(Redacted.value(secret), "s3cret")
      assert.deepStrictEqual(config.redirectUri, Option.some("https://mlops.example.test/oidc/callback"))
      assert.strictEqual(config.groupsClaim, "roles")
      assert.deepStrictEqual(config.tenantClaim, Option.some("tid"))
      assert.isTrue(Duration.equals(config.clockTolerance, Duration.seconds(5)))
      assert.deepStrictEqual(config.scopes, ["openid", "groups", "offline_access"])
      assert.strictEqual(config.tokenEndpointAuthMethod, "client_secret_post")
    })
  )

  it.effect("requires the issuer", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(read({ MLOPS_OIDC_AUDIENCE: "api://mlops" }))
      assert.isTrue(ConfigError.isMissingData(error))
    })
  )

  it.effect("rejects an issuer that is not an http(s) URL, scopes without openid and a negative tolerance", () =>
    Effect.gen(function* () {
      const issuer = "https://idp.example.test"
      for (const env of [
        { MLOPS_OIDC_ISSUER: "idp.example.test" },
        { MLOPS_OIDC_ISSUER: "ftp://idp.example.test" },
        { MLOPS_OIDC_ISSUER: issuer, MLOPS_OIDC_SCOPES: "email profile" },
        { MLOPS_OIDC_ISSUER: issuer, MLOPS_OIDC_CLOCK_TOLERANCE: "-1" },
        { MLOPS_OIDC_ISSUER: issuer, MLOPS_OIDC_TOKEN_ENDPOINT_AUTH_METHOD: "private_key_jwt" }
      ]) {
        const error = yield* Effect.flip(read(env))
        assert.isTrue(ConfigError.isInvalidData(error), JSON.stringify(env))
      }
    })
  )
})
