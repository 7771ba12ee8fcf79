import { assert, layer } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect, Option, Redacted } from "effect"
import { samlConfig } from "../../../../src/enterprise/auth/saml/config.js"
import { makeTestKeyPair, type TestKeyPair } from "./idp.js"
import { Fixtures } from "./fixtures.js"

const required = (cert: string) => ({
  MLOPS_SAML_ENTRY_POINT: "https://idp.test/sso",
  MLOPS_SAML_IDP_ISSUER: "https://idp.test/metadata",
  MLOPS_SAML_IDP_CERT: cert,
  MLOPS_SAML_SP_ENTITY_ID: "https://mlops.test/saml",
  MLOPS_SAML_CALLBACK_URL: "https://mlops.test/saml/acs"
})

const read = (env: Record<string, string>) =>
  Effect.withConfigProvider(samlConfig, ConfigProvider.fromMap(new Map(Object.entries(env))))

const failure = (env: Record<string, string>) =>
  Effect.map(Effect.flip(read(env)), (error) => {
    assert.isTrue(ConfigError.isConfigError(error))
    return String(error)
  })

layer(Fixtures.layer)("SAML configuration", (it) => {
  it.effect("the required keys are read and the optional ones take their defaults", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const config = yield* read(required(idp.keys.certificate))
      assert.strictEqual(config.entryPoint, "https://idp.test/sso")
      assert.strictEqual(config.idpIssuer, "https://idp.test/metadata")
      assert.strictEqual(config.spEntityId, "https://mlops.test/saml")
      assert.strictEqual(config.callbackUrl, "https://mlops.test/saml/acs")
      assert.include(config.idpCert, "-----BEGIN CERTIFICATE-----")
      assert.isTrue(Option.isNone(config.spPrivateKey))
      assert.isTrue(Option.isNone(config.spCert))
      assert.isTrue(Option.isNone(config.tenantAttribute))
      assert.strictEqual(config.groupsAttribute, "groups")
      assert.strictEqual(config.emailAttribute, "email")
      assert.strictEqual(config.nameAttribute, "displayName")
      assert.strictEqual(config.clockSkewMs, 30_000)
    })
  )

  it.effect("optional keys override the defaults, and the private key stays redacted", () =>
    Effect.gen(function* () {
      const { idp, impostor: spKeys } = yield* Fixtures
      const config = yield* read({
        ...required(idp.keys.certificate),
        MLOPS_SAML_SP_PRIVATE_KEY: spKeys.privateKey,
        MLOPS_SAML_SP_CERT: spKeys.certificate,
        MLOPS_SAML_GROUPS_ATTRIBUTE: "memberOf",
        MLOPS_SAML_TENANT_ATTRIBUTE: "org",
        MLOPS_SAML_EMAIL_ATTRIBUTE: "mail",
        MLOPS_SAML_NAME_ATTRIBUTE: "cn",
        MLOPS_SAML_CLOCK_SKEW: "5000"
      })
      assert.strictEqual(config.groupsAttribute, "memberOf")
      assert.deepStrictEqual(config.tenantAttribute, Option.some("org"))
      assert.strictEqual(config.emailAttribute, "mail")
      assert.strictEqual(config.nameAttribute, "cn")
      assert.strictEqual(config.clockSkewMs, 5000)
      const key = Option.getOrThrow(config.spPrivateKey)
      assert.notInclude(String(key), "PRIVATE KEY")
      assert.include(Redacted.value(key), "-----BEGIN PRIVATE KEY-----")
    })
  )

  it.effect("a certificate with escaped newlines, or without PEM armour, is accepted as PEM", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const pem = idp.keys.certificate
      const escaped = yield* read(required(pem.trim().replace(/\n/g, "\\n")))
      const bare = yield* read(required(pem.replace(/-----[A-Z ]+-----|\s/g, "")))
      assert.strictEqual(escaped.idpCert.replace(/\s/g, ""), pem.replace(/\s/g, ""))
      assert.strictEqual(bare.idpCert.replace(/\s/g, ""), pem.replace(/\s/g, ""))
    })
  )

  it.effect("a missing required key, a bad URL, a bad certificate or a negative skew fail at startup", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const env = required(idp.keys.certificate)
      const { MLOPS_SAML_IDP_ISSUER: _, ...withoutIssuer } = env
      assert.include(yield* failure(withoutIssuer), "MLOPS_SAML_IDP_ISSUER")
      assert.include(yield* failure({ ...env, MLOPS_SAML_CALLBACK_URL: "not a url" }), "MLOPS_SAML_CALLBACK_URL")
      assert.include(yield* failure({ ...env, MLOPS_SAML_IDP_CERT: "garbage" }), "certificate")
      assert.include(yield* failure({ ...env, MLOPS_SAML_CLOCK_SKEW: "-1" }), "non-negative")
    })
  )

  it.effect("a private key needs its certificate, and they must match; errors never show the key", () =>
    Effect.gen(function* () {
      const { idp, impostor: spKeys } = yield* Fixtures
      const other: TestKeyPair = yield* makeTestKeyPair("other-sp")
      const env = required(idp.keys.certificate)
      const alone = yield* failure({ ...env, MLOPS_SAML_SP_PRIVATE_KEY: spKeys.privateKey })
      assert.include(alone, "must be set together")
      const mismatch = yield* failure({
        ...env,
        MLOPS_SAML_SP_PRIVATE_KEY: spKeys.privateKey,
        MLOPS_SAML_SP_CERT: other.certificate
      })
      assert.include(mismatch, "does not match")
      const invalid = yield* failure({
        ...env,
        MLOPS_SAML_SP_PRIVATE_KEY: "not-a-key-secret-value",
        MLOPS_SAML_SP_CERT: spKeys.certificate
      })
      assert.include(invalid, "Expected a PEM private key")
      for (const message of [alone, mismatch, invalid]) {
        assert.notInclude(message, "not-a-key-secret-value")
        assert.notInclude(message, spKeys.privateKey.split("\n")[1] ?? "")
      }
    })
  )
})
