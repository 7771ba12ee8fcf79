import { assert, describe, it } from "@effect/vitest"
import { Cause, ConfigError, ConfigProvider, Effect, Exit, Option, Runtime, TestClock } from "effect"
import fc from "fast-check"
import { decodeJwt, SignJWT } from "jose"
import type { Unauthenticated } from "../../../../src/enterprise/auth/identity.js"
import { oidcConfig } from "../../../../src/enterprise/auth/oidc/config.js"
import { makeOidcVerifier, type OidcVerifierOptions } from "../../../../src/enterprise/auth/oidc/verifier.js"
import { generateEs256Key, keyServer, signToken } from "./keyServer.js"
import {
  clientCredentialsToken,
  defaultAudience,
  type TestProvider,
  type TestProviderOptions,
  testProvider
} from "./provider.js"

const otherAudience = "https://other-api.mlops.test"

/** Reads the configuration as a deployment would: from MLOPS_OIDC_* variables. */
const configFrom = (env: Record<string, string>) =>
  oidcConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

const verifierFor = (issuer: string, env: Record<string, string> = {}, options: OidcVerifierOptions = {}) =>
  Effect.flatMap(
    configFrom({
      MLOPS_OIDC_ISSUER: issuer,
      MLOPS_OIDC_AUDIENCE: defaultAudience,
      MLOPS_OIDC_TENANT_CLAIM: "tenant",
      ...env
    }),
    (config) => makeOidcVerifier(config, options)
  )

const provider = (options: TestProviderOptions = {}) =>
  testProvider({ audiences: [defaultAudience, otherAudience], ...options })

const accessToken = (idp: TestProvider, resource = defaultAudience) =>
  Effect.promise(() => clientCredentialsToken(idp, resource))

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")

/** The reason of the `Unauthenticated` failure; a success or a defect fails the test. */
const rejectionOf = <A, R>(effect: Effect.Effect<A, Unauthenticated, R>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(effect)
    assert.strictEqual(error._tag, "Unauthenticated")
    assert.strictEqual(error.message, "invalid bearer token")
    return error.reason
  })

describe("OidcVerifier against oidc-provider", () => {
  it.scopedLive("accepts a client-credentials JWT access token for its audience and maps its claims", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer)
      const token = yield* accessToken(idp)
      const identity = yield* verifier.verify(token)
      assert.strictEqual(identity.provider, "oidc")
      assert.strictEqual(identity.issuer, idp.issuer)
      assert.strictEqual(identity.subject, idp.client.clientId)
      assert.deepStrictEqual(identity.groups, ["pipelines"])
      assert.strictEqual(identity.tenant, "acme")
      assert.strictEqual(identity.expiresAt, (decodeJwt(token).exp ?? 0) * 1000)
    })
  )

  it.scopedLive("reads the configured group and tenant claims; a single string is one group", () =>
    Effect.gen(function* () {
      const idp = yield* provider({ client: { claims: { roles: "model-admins", org: "globex", groups: ["ignored"] } } })
      const verifier = yield* verifierFor(idp.issuer, {
        MLOPS_OIDC_GROUPS_CLAIM: "roles",
        MLOPS_OIDC_TENANT_CLAIM: "org"
      })
      const identity = yield* verifier.verify(yield* accessToken(idp))
      assert.deepStrictEqual(identity.groups, ["model-admins"])
      assert.strictEqual(identity.tenant, "globex")
    })
  )

  it.scoped("rejects a token verified after its expiry plus the clock tolerance", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer, { MLOPS_OIDC_CLOCK_TOLERANCE: "30" })
      const token = yield* accessToken(idp)
      yield* TestClock.setTime(((decodeJwt(token).exp ?? 0) + 31) * 1000)
      assert.strictEqual(yield* rejectionOf(verifier.verify(token)), "token expired")
    })
  )

  it.scoped("accepts a token that expired less than the clock tolerance ago", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer, { MLOPS_OIDC_CLOCK_TOLERANCE: "30" })
      const token = yield* accessToken(idp)
      yield* TestClock.setTime(((decodeJwt(token).exp ?? 0) + 29) * 1000)
      const identity = yield* verifier.verify(token)
      assert.strictEqual(identity.subject, idp.client.clientId)
    })
  )

  it.scopedLive("rejects a token the provider issued for another audience", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer)
      const token = yield* accessToken(idp, otherAudience)
      assert.strictEqual(decodeJwt(token).aud, otherAudience)
      assert.strictEqual(yield* rejectionOf(verifier.verify(token)), "wrong audience")
    })
  )

  it.scopedLive("rejects a token of another issuer signed with the same key", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      // Two issuers sharing signing keys, as tenants of a multi-tenant IdP do.
      const sibling = yield* provider({ signingKeys: idp.signingKeys })
      const verifier = yield* verifierFor(idp.issuer)
      const token = yield* accessToken(sibling)
      assert.strictEqual(yield* rejectionOf(verifier.verify(token)), "wrong issuer")
    })
  )

  it.scopedLive("rejects an unsigned token (alg none)", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer)
      const [, payload] = (yield* accessToken(idp)).split(".")
      const unsigned = `${b64({ alg: "none", typ: "at+jwt" })}.${payload}.`
      assert.strictEqual(yield* rejectionOf(verifier.verify(unsigned)), "algorithm not allowed")
    })
  )

  it.scopedLive("rejects a token whose payload was edited and signature kept", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer)
      const [header, payload, signature] = (yield* accessToken(idp)).split(".")
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as Record<string, unknown>
      const tampered = `${header}.${b64({ ...claims, groups: ["platform-admins"] })}.${signature}`
      assert.strictEqual(yield* rejectionOf(verifier.verify(tampered)), "bad signature")
    })
  )

  it.scopedLive("rejects an HS256 token signed with a guessed secret", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer)
      const claims = decodeJwt(yield* accessToken(idp))
      // The likeliest guess: the client secret, which some providers use as an HMAC key.
      const forged = yield* Effect.promise(() =>
        new SignJWT({ ...claims, groups: ["platform-admins"] })
          .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
          .sign(new TextEncoder().encode(idp.client.clientSecret))
      )
      assert.strictEqual(yield* rejectionOf(verifier.verify(forged)), "algorithm not allowed")
    })
  )

  it.scopedLive("rejects a token signed by a key the provider does not publish", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const verifier = yield* verifierFor(idp.issuer)
      const claims = decodeJwt(yield* accessToken(idp))
      const outsider = yield* Effect.promise(generateEs256Key)
      const forged = yield* Effect.promise(() => signToken(outsider, claims))
      assert.strictEqual(yield* rejectionOf(verifier.verify(forged)), "unknown signing key")
    })
  )

  it.effect("needs an audience: without MLOPS_OIDC_AUDIENCE building it is a ConfigError", () =>
    Effect.gen(function* () {
      const config = yield* configFrom({ MLOPS_OIDC_ISSUER: "https://idp.example.test" })
      const error = yield* Effect.flip(makeOidcVerifier(config))
      assert.isTrue(ConfigError.isMissingData(error))
      assert.include(String(error), "MLOPS_OIDC_AUDIENCE")
    })
  )

  describe("garbage never produces a defect", () => {
    const jwtShaped = fc
      .tuple(
        fc.record({
          alg: fc.constantFrom("RS256", "PS256", "ES256", "EdDSA", "HS256", "none", "RSA-OAEP"),
          kid: fc.option(fc.string(), { nil: undefined }),
          crit: fc.option(fc.array(fc.string()), { nil: undefined })
        }),
        fc.jsonValue(),
        fc.uint8Array({ maxLength: 300 })
      )
      .map(
        ([header, payload, signature]) =>
          `${b64(header)}.${b64(payload)}.${Buffer.from(signature).toString("base64url")}`
      )

    const everyInputIsUnauthenticated = (arbitrary: fc.Arbitrary<string>, numRuns: number) =>
      Effect.gen(function* () {
        const idp = yield* provider()
        const verifier = yield* verifierFor(idp.issuer)
        const runtime = yield* Effect.runtime<never>()
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(arbitrary, async (token) => {
              const exit = await Runtime.runPromiseExit(runtime)(verifier.verify(token))
              if (Exit.isSuccess(exit)) return false
              const failure = Cause.failureOption(exit.cause)
              return (
                !Cause.isDie(exit.cause) &&
                Option.isSome(failure) &&
                failure.value._tag === "Unauthenticated" &&
                failure.value.message === "invalid bearer token" &&
                typeof failure.value.reason === "string"
              )
            }),
            { numRuns }
          )
        )
      })

    it.scopedLive("arbitrary strings", () =>
      everyInputIsUnauthenticated(fc.oneof(fc.string(), fc.string({ unit: "binary", maxLength: 20_000 })), 500)
    )

    it.scopedLive("JWT-shaped strings with arbitrary headers, payloads and signatures", () =>
      everyInputIsUnauthenticated(jwtShaped, 300)
    )
  })
})

describe("OidcVerifier against an issuer the test controls", () => {
  it.scopedLive("follows key rotation: a key published after the first fetch is accepted", () =>
    Effect.gen(function* () {
      const issuer = yield* keyServer
      const first = yield* Effect.promise(generateEs256Key)
      issuer.publish(first)
      const verifier = yield* verifierFor(issuer.issuer, {}, { jwksCooldown: "200 millis" })
      const claims = { iss: issuer.issuer, aud: defaultAudience, sub: "svc-1", groups: ["trainers"] }
      yield* verifier.verify(yield* Effect.promise(() => signToken(first, claims)))
      assert.strictEqual(issuer.requests.jwks, 1)

      const second = yield* Effect.promise(generateEs256Key)
      issuer.publish(second)
      yield* Effect.sleep("250 millis")
      const identity = yield* verifier.verify(yield* Effect.promise(() => signToken(second, claims)))
      assert.strictEqual(identity.subject, "svc-1")
      assert.deepStrictEqual(identity.groups, ["trainers"])
      assert.strictEqual(issuer.requests.jwks, 2)
    })
  )

  it.scopedLive("does not refetch the key set for unknown keys within the cooldown", () =>
    Effect.gen(function* () {
      const issuer = yield* keyServer
      const first = yield* Effect.promise(generateEs256Key)
      issuer.publish(first)
      const verifier = yield* verifierFor(issuer.issuer, {}, { jwksCooldown: "1 minute" })
      const claims = { iss: issuer.issuer, aud: defaultAudience, sub: "svc-1" }
      yield* verifier.verify(yield* Effect.promise(() => signToken(first, claims)))
      for (let i = 0; i < 5; i++) {
        const forged = yield* Effect.promise(async () => signToken(await generateEs256Key(), claims))
        assert.strictEqual(yield* rejectionOf(verifier.verify(forged)), "unknown signing key")
      }
      assert.strictEqual(issuer.requests.jwks, 1)
    })
  )

  it.scopedLive("discovers lazily, once, and retries on the next use after a failed discovery", () =>
    Effect.gen(function* () {
      const issuer = yield* keyServer
      const key = yield* Effect.promise(generateEs256Key)
      issuer.publish(key)
      issuer.discoveryAvailable = false
      const verifier = yield* verifierFor(issuer.issuer)
      assert.strictEqual(issuer.requests.discovery, 0)
      const token = yield* Effect.promise(() => signToken(key, { iss: issuer.issuer, aud: defaultAudience, sub: "u" }))

      // An outage is not the token's fault: a defect (a 5xx at the edge), never a 401.
      const outage = yield* Effect.exit(verifier.verify(token))
      assert.isTrue(Exit.isFailure(outage) && Cause.isDie(outage.cause))
      assert.strictEqual(issuer.requests.discovery, 1)

      issuer.discoveryAvailable = true
      yield* verifier.verify(token)
      yield* verifier.verify(token)
      assert.strictEqual(issuer.requests.discovery, 2)
    })
  )

  it.scopedLive("an unreachable key set is a defect, and the next use fetches it again", () =>
    Effect.gen(function* () {
      const issuer = yield* keyServer
      const key = yield* Effect.promise(generateEs256Key)
      issuer.publish(key)
      issuer.jwksAvailable = false
      const verifier = yield* verifierFor(issuer.issuer)
      const token = yield* Effect.promise(() => signToken(key, { iss: issuer.issuer, aud: defaultAudience, sub: "u" }))
      const outage = yield* Effect.exit(verifier.verify(token))
      assert.isTrue(Exit.isFailure(outage) && Cause.isDie(outage.cause))

      issuer.jwksAvailable = true
      const identity = yield* verifier.verify(token)
      assert.strictEqual(identity.subject, "u")
    })
  )
})
