import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Layer, Option, Redacted } from "effect"
import type { OidcConfig } from "../../../../src/enterprise/auth/oidc/config.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { SsoDirectory } from "../../../../src/enterprise/auth/session/SsoDirectory.js"
import { Sessions } from "../../../../src/enterprise/auth/session/Sessions.js"
import { makeSsoRoutes, type SsoOptions } from "../../../../src/enterprise/http/sso/SsoRoutes.js"
import { Tenants } from "../../../../src/enterprise/tenancy/Tenants.js"
import { serveRoutes } from "../../../support/server.js"
import { request } from "./client.js"
import { freePort } from "../../../support/freePort.js"

/** The SSO routes alone, over services these tests never reach. */
const serveSso = (options: SsoOptions) =>
  serveRoutes(
    Layer.mergeAll(makeSsoRoutes(options), HttpLayerRouter.add("GET", "/*", Effect.die("the web UI must not answer"))),
    Layer.mergeAll(
      Sessions.layer({
        key: Redacted.make("k".repeat(32)),
        previousKey: Option.none(),
        maxAge: Duration.hours(1),
        alwaysSecure: true
      }),
      Layer.succeed(Principals, {} as never),
      Layer.succeed(Tenants, {} as never),
      Layer.succeed(SsoDirectory, {} as never)
    )
  )

/** An OpenID Provider at `issuer`, as the login flow needs it. */
const providerAt = (issuer: string): OidcConfig => ({
  issuer,
  audience: Option.none(),
  clientId: Option.some("mlops-ui"),
  clientSecret: Option.none(),
  redirectUri: Option.some("http://127.0.0.1:5000/auth/oidc/callback"),
  groupsClaim: "groups",
  tenantClaim: Option.none(),
  clockTolerance: Duration.seconds(30),
  scopes: ["openid"],
  tokenEndpointAuthMethod: "client_secret_basic"
})

describe("SsoRoutes", () => {
  it.scopedLive("without configured methods: no methods listed, their routes are JSON 404s", () =>
    Effect.gen(function* () {
      const url = yield* serveSso({})
      assert.deepStrictEqual((yield* request(`${url}/auth/providers`)).json, { methods: [] })
      for (const route of ["/auth/oidc/login", "/auth/saml/metadata", "/auth/saml/acs"]) {
        const answer = yield* request(`${url}${route}`, { method: route.endsWith("acs") ? "POST" : "GET" })
        assert.strictEqual(answer.status, 404, route)
        assert.strictEqual(answer.json._tag, "SsoMethodNotConfigured", route)
      }
    })
  )

  it.scopedLive("an unreachable OpenID Provider is a 502 page, not a bare 500", () =>
    Effect.gen(function* () {
      // A port that was free a moment ago: nobody listens there.
      const closed = yield* freePort
      const url = yield* serveSso({
        oidc: providerAt(`http://127.0.0.1:${closed}`),
        oidcLogin: { httpTimeout: Duration.seconds(2) }
      })
      const answer = yield* request(`${url}/auth/oidc/login?next=/`)
      assert.strictEqual(answer.status, 502)
      assert.include(answer.text, "could not be reached")
      assert.isUndefined(answer.cookies.mlops_oidc)
    })
  )

  it.scopedLive("cookies are Secure when configured so, and the login cookie lives on /auth/oidc only", () =>
    Effect.gen(function* () {
      const url = yield* serveSso({})
      const out = yield* request(`${url}/auth/logout`, { method: "POST" })
      assert.strictEqual(out.status, 204)
      for (const name of ["mlops_session", "mlops_csrf"]) {
        assert.property(out.cookies[name]?.attributes ?? {}, "secure", name)
        assert.strictEqual(out.cookies[name]?.attributes.samesite, "Lax", name)
      }
      assert.property(out.cookies.mlops_session?.attributes ?? {}, "httponly")
      assert.notProperty(out.cookies.mlops_csrf?.attributes ?? {}, "httponly")
    })
  )
})
