import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, Effect } from "effect"
import type { Unauthenticated } from "../../../../src/enterprise/auth/identity.js"
import { oidcConfig } from "../../../../src/enterprise/auth/oidc/config.js"
import { makeOidcLogin, type OidcLogin } from "../../../../src/enterprise/auth/oidc/login.js"
import { authorizeByHttp, type TestProvider, type TestProviderOptions, testProvider } from "./provider.js"

const configFrom = (env: Record<string, string>) =>
  oidcConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

/** The login as a deployment would build it, registered at `idp` as its client. */
const loginFor = (idp: TestProvider, env: Record<string, string> = {}) =>
  Effect.flatMap(
    configFrom({
      MLOPS_OIDC_ISSUER: idp.issuer,
      MLOPS_OIDC_CLIENT_ID: idp.client.clientId,
      MLOPS_OIDC_CLIENT_SECRET: idp.client.clientSecret,
      MLOPS_OIDC_REDIRECT_URI: idp.client.redirectUris[0]!,
      MLOPS_OIDC_TENANT_CLAIM: "tenant",
      ...env
    }),
    (config) => makeOidcLogin(config)
  )

/** start(), then the browser's part against the provider: returns the callback's parameters and what start() kept. */
const signIn = (idp: TestProvider, login: OidcLogin, accountId: string) =>
  Effect.gen(function* () {
    const { url, ...pending } = yield* login.start()
    const callback = yield* Effect.promise(() => authorizeByHttp(idp, url, accountId))
    return { callback: { code: callback.code ?? "", state: callback.state ?? "", iss: callback.iss ?? "" }, pending }
  })

const rejectionOf = <A, R>(effect: Effect.Effect<A, Unauthenticated, R>) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(effect)
    assert.strictEqual(error._tag, "Unauthenticated")
    assert.strictEqual(error.message, "sign-in failed")
    return error.reason
  })

const provider = (options: TestProviderOptions = {}) => testProvider(options)

describe("OidcLogin against oidc-provider", () => {
  it.scopedLive("start() builds an authorization request with state, nonce and an S256 PKCE challenge", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp)
      const started = yield* login.start()
      const url = new URL(started.url)
      assert.strictEqual(`${url.origin}${url.pathname}`, `${idp.issuer}/auth`)
      assert.deepStrictEqual(Object.fromEntries(url.searchParams), {
        response_type: "code",
        client_id: idp.client.clientId,
        redirect_uri: idp.client.redirectUris[0]!,
        scope: "openid email profile",
        state: started.state,
        nonce: started.nonce,
        code_challenge: createHash("sha256").update(started.codeVerifier).digest("base64url"),
        code_challenge_method: "S256"
      })
      assert.match(started.codeVerifier, /^[A-Za-z0-9_-]{43}$/)
      const again = yield* login.start()
      assert.notStrictEqual(again.state, started.state)
      assert.notStrictEqual(again.nonce, started.nonce)
      assert.notStrictEqual(again.codeVerifier, started.codeVerifier)
    })
  )

  it.scopedLive("signs a user in end to end: code + PKCE redeemed, ID token verified, claims mapped", () =>
    Effect.gen(function* () {
      // A secret that must be form-encoded inside the Basic credentials.
      const idp = yield* provider({ client: { clientSecret: "s3cr:t/with spaces+&=%" } })
      const login = yield* loginFor(idp)
      const { callback, pending } = yield* signIn(idp, login, "alice")
      const identity = yield* login.finish(callback, pending)
      assert.strictEqual(identity.provider, "oidc")
      assert.strictEqual(identity.issuer, idp.issuer)
      assert.strictEqual(identity.subject, "alice")
      assert.strictEqual(identity.email, "alice@acme.test")
      assert.strictEqual(identity.displayName, "Alice Liddell")
      assert.deepStrictEqual(identity.groups, ["ml-engineers", "reviewers"])
      assert.strictEqual(identity.tenant, "acme")
      assert.isAbove(identity.expiresAt ?? 0, Date.now())
    })
  )

  it.scopedLive("authenticates with client_secret_post when configured so", () =>
    Effect.gen(function* () {
      // A loopback http redirect URI, as a local browser test would register.
      const idp = yield* provider({
        client: { tokenEndpointAuthMethod: "client_secret_post", redirectUris: ["http://127.0.0.1:4173/oidc/callback"] }
      })
      const login = yield* loginFor(idp, { MLOPS_OIDC_TOKEN_ENDPOINT_AUTH_METHOD: "client_secret_post" })
      const { callback, pending } = yield* signIn(idp, login, "bob")
      const identity = yield* login.finish(callback, pending)
      assert.strictEqual(identity.subject, "bob")
      assert.strictEqual(identity.displayName, "bob")
      assert.deepStrictEqual(identity.groups, ["viewers"])
      assert.strictEqual(identity.tenant, "globex")
    })
  )

  it.scopedLive("rejects a callback whose state is not the one start() issued", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp)
      const { callback, pending } = yield* signIn(idp, login, "alice")
      const reason = yield* rejectionOf(login.finish({ ...callback, state: `${pending.state}x` }, pending))
      assert.strictEqual(reason, "state mismatch")
    })
  )

  it.scopedLive("rejects a replayed authorization code", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp)
      const { callback, pending } = yield* signIn(idp, login, "alice")
      yield* login.finish(callback, pending)
      const reason = yield* rejectionOf(login.finish(callback, pending))
      assert.strictEqual(reason, "token endpoint refused the code: invalid_grant")
    })
  )

  it.scopedLive("rejects a code redeemed with another login's PKCE verifier", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp)
      const { callback, pending } = yield* signIn(idp, login, "alice")
      const other = yield* login.start()
      const reason = yield* rejectionOf(login.finish(callback, { ...pending, codeVerifier: other.codeVerifier }))
      assert.strictEqual(reason, "token endpoint refused the code: invalid_grant")
    })
  )

  it.scopedLive("rejects an ID token whose nonce is not the one start() issued", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp)
      const { callback, pending } = yield* signIn(idp, login, "alice")
      const other = yield* login.start()
      const reason = yield* rejectionOf(login.finish(callback, { ...pending, nonce: other.nonce }))
      assert.strictEqual(reason, "nonce mismatch")
    })
  )

  it.scopedLive("rejects a response that names another issuer (RFC 9207)", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp)
      const { callback, pending } = yield* signIn(idp, login, "alice")
      assert.strictEqual(callback.iss, idp.issuer)
      const reason = yield* rejectionOf(login.finish({ ...callback, iss: "https://evil.example.test" }, pending))
      assert.strictEqual(reason, "wrong issuer in response")
    })
  )

  it.scopedLive("rejects the code when the client secret is wrong", () =>
    Effect.gen(function* () {
      const idp = yield* provider()
      const login = yield* loginFor(idp, { MLOPS_OIDC_CLIENT_SECRET: "guessed" })
      const { callback, pending } = yield* signIn(idp, login, "alice")
      const reason = yield* rejectionOf(login.finish(callback, pending))
      assert.strictEqual(reason, "token endpoint refused the code: invalid_client")
    })
  )

  it.effect("needs a client id and a redirect URI: without them building it is a ConfigError", () =>
    Effect.gen(function* () {
      const config = yield* configFrom({ MLOPS_OIDC_ISSUER: "https://idp.example.test", MLOPS_OIDC_CLIENT_ID: "ui" })
      const error = yield* Effect.flip(makeOidcLogin(config))
      assert.isTrue(ConfigError.isMissingData(error))
      assert.include(String(error), "MLOPS_OIDC_REDIRECT_URI")
    })
  )
})
