import { assert, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import fc from "fast-check"
import { CurrentTenant } from "../../../../src/core/context.js"
import { ApiKeys } from "../../../../src/enterprise/auth/apiKeys/ApiKeys.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Session } from "../../../../src/enterprise/auth/session/model.js"
import { Sessions } from "../../../../src/enterprise/auth/session/Sessions.js"
import { authorizeByHttp } from "../../auth/oidc/provider.js"
import { fetchRetryingStaleConnections, request } from "./client.js"
import { acme, globex, makeSsoServer, samlAccounts, SsoFixture, sessionConfig } from "./fixture.js"

const Server = makeSsoServer()

/** OIDC sign-in over HTTP: our login route, the provider's form, our callback. */
const signInOidc = (accountId: string, next = "/") =>
  Effect.gen(function* () {
    const { url, oidc } = yield* SsoFixture
    const login = yield* request(`${url}/auth/oidc/login?next=${encodeURIComponent(next)}`)
    assert.strictEqual(login.status, 302)
    assert.isTrue(login.location?.startsWith(`${oidc.issuer}/`), login.location ?? "")
    const pending = login.cookies.mlops_oidc
    assert.isDefined(pending)
    const callback = yield* Effect.promise(() => authorizeByHttp(oidc, login.location ?? "", accountId))
    const callbackUrl = `${url}/auth/oidc/callback?${new URLSearchParams(callback)}`
    const done = yield* request(callbackUrl, { cookies: { mlops_oidc: pending?.value } })
    return {
      login,
      pending: pending?.value ?? "",
      callbackUrl,
      done,
      cookies: { mlops_session: done.cookies.mlops_session?.value, mlops_csrf: done.cookies.mlops_csrf?.value },
      csrf: done.cookies.mlops_csrf?.value ?? ""
    }
  })

/** SP-initiated SAML sign-in over HTTP: our login route, the IdP's signed answer posted to our ACS. */
const signInSaml = (nameId: string, next = "/") =>
  Effect.gen(function* () {
    const { url, saml } = yield* SsoFixture
    const login = yield* request(`${url}/auth/saml/login?next=${encodeURIComponent(next)}`)
    assert.strictEqual(login.status, 302)
    assert.isTrue(login.location?.startsWith(saml.idp.ssoUrl), login.location ?? "")
    const authn = yield* saml.idp.readLoginRequest(saml.sp, login.location ?? "")
    assert.strictEqual(authn.relayState, next)
    const SAMLResponse = yield* saml.idp.samlResponse(saml.sp, {
      nameId,
      attributes: samlAccounts[nameId] ?? {},
      inResponseTo: authn.id
    })
    const form = new URLSearchParams({ SAMLResponse, RelayState: authn.relayState ?? "" })
    const done = yield* request(`${url}/auth/saml/acs`, { body: form })
    return {
      form,
      done,
      cookies: { mlops_session: done.cookies.mlops_session?.value, mlops_csrf: done.cookies.mlops_csrf?.value },
      csrf: done.cookies.mlops_csrf?.value ?? ""
    }
  })

/** An IdP-initiated SAML response (no AuthnRequest) posted to our ACS. */
const postIdpInitiated = (nameId: string, attributes: Record<string, string | ReadonlyArray<string>>, relay?: string) =>
  Effect.gen(function* () {
    const { url, saml } = yield* SsoFixture
    const SAMLResponse = yield* saml.idp.samlResponse(saml.sp, { nameId, attributes })
    const form = new URLSearchParams({ SAMLResponse, ...(relay === undefined ? {} : { RelayState: relay }) })
    return yield* request(`${url}/auth/saml/acs`, { body: form })
  })

const searchExperiments = (
  cookies: Readonly<Record<string, string | undefined>>,
  headers: Readonly<Record<string, string>> = {}
) =>
  Effect.flatMap(SsoFixture, ({ url }) =>
    request(`${url}/api/v1/experiments/search`, { body: { maxResults: 100 }, cookies, headers })
  )

const experimentNames = (answer: { readonly json: Record<string, unknown> }) =>
  ((answer.json.items ?? []) as ReadonlyArray<{ readonly name: string }>).map((e) => e.name).sort()

layer(Server, { timeout: 180_000, excludeTestServices: true })("single sign-on for the web UI", (it) => {
  it.effect("/auth/providers lists the configured methods; unknown sign-in routes are JSON 404s", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const providers = yield* request(`${url}/auth/providers`)
      assert.strictEqual(providers.status, 200)
      assert.deepStrictEqual(providers.json, { methods: ["oidc", "saml"] })
      const unknown = yield* request(`${url}/auth/nope`)
      assert.strictEqual(unknown.status, 404)
      assert.include(unknown.contentType, "json")
    })
  )

  it.effect(
    "OIDC: a first login provisions the user in the tenant of the claim, with groups, and sets the session",
    () =>
      Effect.gen(function* () {
        const { login, done, cookies } = yield* signInOidc("alice", "/experiments/0?tab=runs")
        const pending = login.cookies.mlops_oidc
        assert.strictEqual(pending?.attributes.path, "/auth/oidc")
        assert.property(pending?.attributes ?? {}, "httponly")
        assert.strictEqual(pending?.attributes["max-age"], "600")

        assert.strictEqual(done.status, 302)
        assert.strictEqual(done.location, "/experiments/0?tab=runs")
        const session = done.cookies.mlops_session
        const csrf = done.cookies.mlops_csrf
        assert.isDefined(session)
        assert.isDefined(csrf)
        assert.property(session?.attributes ?? {}, "httponly")
        assert.notProperty(csrf?.attributes ?? {}, "httponly")
        for (const cookie of [session, csrf]) {
          assert.strictEqual(cookie?.attributes.samesite, "Lax")
          assert.strictEqual(cookie?.attributes.path, "/")
          assert.notProperty(cookie?.attributes ?? {}, "secure") // plain HTTP, MLOPS_COOKIE_SECURE unset
        }
        // The ID token lives an hour at the provider: the session ends with it, not after 12 hours.
        assert.closeTo(Number(session?.attributes["max-age"]), 3600, 30)
        // The login state is single-use: its cookie is cleared.
        assert.strictEqual(done.cookies.mlops_oidc?.attributes["max-age"], "0")

        const { url } = yield* SsoFixture
        const me = yield* request(`${url}/auth/me`, { cookies })
        assert.strictEqual(me.status, 200)
        assert.deepInclude(me.json, {
          username: "alice@acme.test",
          displayName: "Alice Liddell",
          email: "alice@acme.test",
          tenant: "acme",
          tenants: ["acme", "globex"],
          groups: ["ml-engineers", "reviewers"],
          via: "oidc"
        })

        const principals = yield* Principals
        const alice = yield* principals
          .findByUsername("alice@acme.test")
          .pipe(Effect.provideService(CurrentTenant, acme))
        assert.strictEqual(alice.external?.subject, "alice")
        assert.strictEqual(alice.kind, "user")
        assert.deepStrictEqual(
          yield* principals.groupsOf(alice.principalId).pipe(Effect.provideService(CurrentTenant, acme)),
          ["ml-engineers", "reviewers"]
        )
      })
  )

  it.effect("OIDC: an identity without a tenant claim lands in the default tenant", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const { done, cookies } = yield* signInOidc("carol")
      assert.strictEqual(done.status, 302)
      assert.strictEqual(done.location, "/")
      const me = yield* request(`${url}/auth/me`, { cookies })
      assert.strictEqual(me.json.tenant, "default")
      assert.deepStrictEqual(me.json.tenants, ["default"])
    })
  )

  it.effect("OIDC: a tenant claim naming no existing tenant is a 403 page, and nothing is provisioned", () =>
    Effect.gen(function* () {
      const { done } = yield* signInOidc("dave")
      assert.strictEqual(done.status, 403)
      assert.include(done.contentType, "text/html")
      assert.include(done.text, "nowhere")
      assert.isUndefined(done.cookies.mlops_session)
    })
  )

  it.effect("OIDC: a replayed callback, one without the login cookie, or with another login's state is refused", () =>
    Effect.gen(function* () {
      const { url, oidc } = yield* SsoFixture
      const first = yield* signInOidc("bob")
      assert.strictEqual(first.done.status, 302)
      const replay = yield* request(first.callbackUrl, { cookies: { mlops_oidc: first.pending } })
      assert.strictEqual(replay.status, 401)
      assert.include(replay.text, "Sign-in failed")
      assert.isUndefined(replay.cookies.mlops_session)

      // A callback that reaches a browser that never started the login (login CSRF).
      const login = yield* request(`${url}/auth/oidc/login`)
      const callback = yield* Effect.promise(() => authorizeByHttp(oidc, login.location ?? "", "bob"))
      const noCookie = yield* request(`${url}/auth/oidc/callback?${new URLSearchParams(callback)}`)
      assert.strictEqual(noCookie.status, 400)
      assert.include(noCookie.text, "sign in again")

      const other = yield* request(`${url}/auth/oidc/login`)
      const mixed = yield* request(`${url}/auth/oidc/callback?${new URLSearchParams(callback)}`, {
        cookies: { mlops_oidc: other.cookies.mlops_oidc?.value }
      })
      assert.strictEqual(mixed.status, 401)

      const garbage = yield* request(`${url}/auth/oidc/callback?code=x&state=y`, {
        cookies: { mlops_oidc: "v1.a.b.c.d" }
      })
      assert.strictEqual(garbage.status, 400)

      const denied = yield* request(`${url}/auth/oidc/callback?error=access_denied&state=y`)
      assert.strictEqual(denied.status, 401)
      assert.include(denied.text, "access_denied")
    })
  )

  it.effect("SAML: metadata is served; a login answers our AuthnRequest, provisions and signs in", () =>
    Effect.gen(function* () {
      const { url, saml } = yield* SsoFixture
      const metadata = yield* request(`${url}/auth/saml/metadata`)
      assert.strictEqual(metadata.status, 200)
      assert.include(metadata.contentType, "samlmetadata+xml")
      assert.include(metadata.text, saml.sp.entityId)
      assert.include(metadata.text, saml.sp.acsUrl)

      const { done, cookies, form } = yield* signInSaml("sam", "/models")
      assert.strictEqual(done.status, 303)
      assert.strictEqual(done.location, "/models")
      assert.property(done.cookies.mlops_session?.attributes ?? {}, "httponly")
      const me = yield* request(`${url}/auth/me`, { cookies })
      assert.deepInclude(me.json, {
        username: "sam@globex.test",
        displayName: "Sam Vimes",
        tenant: "globex",
        tenants: ["globex"],
        groups: ["analysts", "watch"],
        via: "saml"
      })
      // The same signed response again is a replay.
      const replay = yield* request(`${url}/auth/saml/acs`, { body: form })
      assert.strictEqual(replay.status, 401)
      assert.isUndefined(replay.cookies.mlops_session)
    })
  )

  it.effect("SAML: tampered, unsigned or non-form posts are 4xx pages, never a session", () =>
    Effect.gen(function* () {
      const { url, saml } = yield* SsoFixture
      const signed = yield* saml.idp.samlResponse(saml.sp, { nameId: "sam", attributes: samlAccounts.sam ?? {} })
      const xml = Buffer.from(signed, "base64").toString("utf8")
      const tampered = Buffer.from(xml.replace(">sam</saml:NameID>", ">mallory</saml:NameID>")).toString("base64")
      for (const SAMLResponse of [tampered, "not base64 !!", ""]) {
        const answer = yield* request(`${url}/auth/saml/acs`, { body: new URLSearchParams({ SAMLResponse }) })
        assert.strictEqual(answer.status, 401)
        assert.isUndefined(answer.cookies.mlops_session)
      }
      const json = yield* request(`${url}/auth/saml/acs`, { body: { SAMLResponse: signed } })
      assert.strictEqual(json.status, 400)
    })
  )

  it.effect("SAML: no tenant attribute means the default tenant; an unknown tenant is a 403 page", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const sybil = yield* postIdpInitiated("sybil", samlAccounts.sybil ?? {})
      assert.strictEqual(sybil.status, 303)
      const me = yield* request(`${url}/auth/me`, { cookies: { mlops_session: sybil.cookies.mlops_session?.value } })
      assert.strictEqual(me.json.tenant, "default")
      const lost = yield* postIdpInitiated("lost", { tenant: "no-such-tenant" })
      assert.strictEqual(lost.status, 403)
      assert.include(lost.text, "no-such-tenant")
    })
  )

  it.effect("open redirects are refused: next must be a local path; a foreign RelayState goes home", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const hostile = [
        "https://evil.test/",
        "//evil.test/x",
        "/\\evil.test",
        "\\\\evil.test",
        "javascript:alert(1)",
        "/\t/evil.test",
        "evil.test",
        "http:evil.test"
      ]
      for (const next of hostile) {
        for (const method of ["oidc", "saml"]) {
          const answer = yield* request(`${url}/auth/${method}/login?next=${encodeURIComponent(next)}`)
          assert.strictEqual(answer.status, 400, `${method} ${next}`)
          assert.isNull(answer.location)
        }
      }
      const relayed = yield* postIdpInitiated("sybil", samlAccounts.sybil ?? {}, "https://evil.test/phish")
      assert.strictEqual(relayed.status, 303)
      assert.strictEqual(relayed.location, "/")
      const local = yield* postIdpInitiated("sybil", samlAccounts.sybil ?? {}, "/datasets")
      assert.strictEqual(local.location, "/datasets")
    })
  )

  it.effect("the session cookie authenticates API calls in its tenant; state-changing ones need the CSRF token", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const { cookies, csrf } = yield* signInOidc("alice")
      // Reads need no token.
      const read = yield* request(`${url}/api/v1/experiments/by-name?name=Default`, { cookies })
      assert.strictEqual(read.status, 200)
      const created = yield* request(`${url}/api/v1/experiments`, {
        body: { name: "alice-sso" },
        cookies,
        headers: { "x-csrf-token": csrf }
      })
      assert.strictEqual(created.status, 201, created.text)
      const listed = yield* searchExperiments(cookies, { "x-csrf-token": csrf })
      assert.strictEqual(listed.status, 200)
      assert.include(experimentNames(listed), "alice-sso")

      for (const headers of [
        {},
        { "x-csrf-token": "" },
        { "x-csrf-token": `${csrf}x` },
        { "x-csrf-token": "A".repeat(43) }
      ]) {
        const refused = yield* searchExperiments(cookies, headers)
        assert.strictEqual(refused.status, 403, JSON.stringify(headers))
        assert.include(refused.text, "x-csrf-token")
      }
      // The token of another session does not fit this one.
      const other = yield* signInOidc("bob")
      const crossed = yield* searchExperiments(cookies, { "x-csrf-token": other.csrf })
      assert.strictEqual(crossed.status, 403)
      // The CSRF cookie alone proves nothing: the header must carry it.
      const cookieOnly = yield* searchExperiments({ ...cookies, mlops_csrf: csrf })
      assert.strictEqual(cookieOnly.status, 403)
    })
  )

  it.effect("a tampered, expired, unknown-key or malformed session cookie is refused (and cleared by /auth/me)", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const sessions = yield* Sessions
      const { cookies, csrf } = yield* signInOidc("alice")
      const valid = cookies.mlops_session ?? ""
      const decoded = yield* sessions.decode(valid)

      const flip = (text: string, at: number) => text.slice(0, at) + (text[at] === "A" ? "B" : "A") + text.slice(at + 1)
      const expired = sessions.encode(new Session({ ...decoded, expiresAt: Date.now() - 1000 }))
      const sealedWith = (key: string) =>
        Effect.map(
          Sessions.pipe(
            Effect.provide(Sessions.layer({ ...sessionConfig, key: Redacted.make(key), previousKey: Option.none() }))
          ),
          (other) => other.encode(decoded)
        )
      const foreign = yield* sealedWith("somebody-else's-key-of-at-least-32-characters")
      const candidates = {
        tampered: flip(valid, 40),
        tamperedMac: flip(valid, valid.length - 3),
        expired,
        truncated: valid.slice(0, -10),
        foreign,
        garbage: "not-a-session",
        empty: "v1...."
      }
      for (const [name, value] of Object.entries(candidates)) {
        const api = yield* request(`${url}/api/v1/experiments/by-name?name=Default`, {
          cookies: { mlops_session: value }
        })
        assert.strictEqual(api.status, 401, name)
        const posted = yield* searchExperiments({ mlops_session: value, mlops_csrf: csrf }, { "x-csrf-token": csrf })
        assert.strictEqual(posted.status, 401, name)
        const me = yield* request(`${url}/auth/me`, { cookies: { mlops_session: value } })
        assert.strictEqual(me.status, 401, name)
        assert.strictEqual(me.cookies.mlops_session?.attributes["max-age"], "0", name)
      }
      // Key rotation: a cookie sealed with the previous key is still good until it expires.
      const previous = yield* sealedWith(Redacted.value(Option.getOrThrow(sessionConfig.previousKey)))
      const rotated = yield* request(`${url}/api/v1/experiments/by-name?name=Default`, {
        cookies: { mlops_session: previous }
      })
      assert.strictEqual(rotated.status, 200)
    })
  )

  it.effect("the tenant switcher moves the session only into tenants the person belongs to", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const { cookies, csrf } = yield* signInOidc("alice")
      const switchTo = (tenant: unknown, headers: Record<string, string> = { "x-csrf-token": csrf }) =>
        request(`${url}/auth/switch-tenant`, { body: { tenant }, cookies, headers })

      assert.strictEqual((yield* switchTo("globex", {})).status, 403) // no CSRF token
      assert.strictEqual((yield* switchTo("globex", { "x-csrf-token": "nope" })).status, 403)
      for (const tenant of ["default", "no-such-tenant"]) {
        const refused = yield* switchTo(tenant)
        assert.strictEqual(refused.status, 403, tenant)
        assert.strictEqual(refused.json._tag, "TenantNotJoined")
      }
      const malformed = yield* request(`${url}/auth/switch-tenant`, {
        body: { nope: 1 },
        cookies,
        headers: { "x-csrf-token": csrf }
      })
      assert.strictEqual(malformed.status, 400)
      const anonymous = yield* request(`${url}/auth/switch-tenant`, { body: { tenant: "globex" } })
      assert.strictEqual(anonymous.status, 401)

      const moved = yield* switchTo("globex")
      assert.strictEqual(moved.status, 200, moved.text)
      assert.strictEqual(moved.json.tenant, "globex")
      assert.deepStrictEqual(moved.json.groups, ["visitors"])
      const next = { mlops_session: moved.cookies.mlops_session?.value, mlops_csrf: moved.cookies.mlops_csrf?.value }
      const nextCsrf = moved.cookies.mlops_csrf?.value ?? ""
      assert.notStrictEqual(nextCsrf, csrf)
      const me = yield* request(`${url}/auth/me`, { cookies: next })
      assert.strictEqual(me.json.tenant, "globex")
      // API calls now act in globex: acme's experiments are out of sight.
      const acmeExperiment = yield* request(`${url}/api/v1/experiments`, {
        body: { name: "acme-only" },
        cookies,
        headers: { "x-csrf-token": csrf }
      })
      assert.strictEqual(acmeExperiment.status, 201)
      const inGlobex = yield* searchExperiments(next, { "x-csrf-token": nextCsrf })
      assert.strictEqual(inGlobex.status, 200)
      assert.notInclude(experimentNames(inGlobex), "acme-only")
      assert.include(experimentNames(inGlobex), "Default")
    })
  )

  it.effect("logout needs the CSRF token and clears both cookies", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const { cookies, csrf } = yield* signInSaml("sam")
      const forged = yield* request(`${url}/auth/logout`, { method: "POST", cookies })
      assert.strictEqual(forged.status, 403)
      assert.isUndefined(forged.cookies.mlops_session)
      const out = yield* request(`${url}/auth/logout`, { method: "POST", cookies, headers: { "x-csrf-token": csrf } })
      assert.strictEqual(out.status, 204)
      for (const name of ["mlops_session", "mlops_csrf"]) {
        assert.strictEqual(out.cookies[name]?.value, "", name)
        assert.strictEqual(out.cookies[name]?.attributes["max-age"], "0", name)
        assert.strictEqual(out.cookies[name]?.attributes.path, "/", name)
      }
      // Without a session there is nothing to protect: still 204, cookies cleared.
      const again = yield* request(`${url}/auth/logout`, { method: "POST" })
      assert.strictEqual(again.status, 204)
      const me = yield* request(`${url}/auth/me`)
      assert.strictEqual(me.status, 401)
    })
  )

  it.effect("a disabled principal's session is refused, and signing in again is a 403 page", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const { cookies } = yield* signInOidc("erin")
      assert.strictEqual((yield* request(`${url}/api/v1/experiments/by-name?name=Default`, { cookies })).status, 200)
      const principals = yield* Principals
      const erin = yield* principals.findByUsername("erin@acme.test").pipe(Effect.provideService(CurrentTenant, acme))
      yield* principals.setDisabled(erin.principalId, true).pipe(Effect.provideService(CurrentTenant, acme))
      assert.strictEqual((yield* request(`${url}/api/v1/experiments/by-name?name=Default`, { cookies })).status, 401)
      assert.strictEqual((yield* request(`${url}/auth/me`, { cookies })).status, 401)
      const again = yield* signInOidc("erin")
      assert.strictEqual(again.done.status, 403)
      assert.include(again.done.text, "disabled")
      assert.isUndefined(again.done.cookies.mlops_session)
    })
  )

  it.effect("API keys still authenticate next to sessions; identity headers stay ignored", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const principals = yield* Principals
      const apiKeys = yield* ApiKeys
      const key = yield* Effect.gen(function* () {
        const trainer = yield* principals.create({ username: "sso-trainer", kind: "service_account" })
        return (yield* apiKeys.create({ principalId: trainer.principalId, name: "ci" })).key
      }).pipe(Effect.provideService(CurrentTenant, globex))
      // A key needs no CSRF token: no browser sends it by itself.
      const listed = yield* searchExperiments({}, { authorization: `Bearer ${Redacted.value(key)}` })
      assert.strictEqual(listed.status, 200)
      const anonymous = yield* request(`${url}/api/v1/experiments/by-name?name=Default`, {
        headers: { "x-mlops-tenant": globex, "x-mlops-principal": "admin" }
      })
      assert.strictEqual(anonymous.status, 401)
    })
  )

  it.effect("random cookies, CSRF headers and bodies never make a sign-in or API route answer 5xx", () =>
    Effect.gen(function* () {
      const { url } = yield* SsoFixture
      const { cookies, csrf } = yield* signInOidc("bob")
      const sessionValue = cookies.mlops_session ?? ""
      const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ019.-_=+/%;, \\"!~'.split("")), maxLength: 80 })
      const cookieValue = fc.oneof(
        printable,
        fc.constant(sessionValue),
        fc.nat({ max: Math.max(0, sessionValue.length - 1) }).map((at) => sessionValue.slice(0, at)),
        fc
          .tuple(fc.nat({ max: Math.max(0, sessionValue.length - 1) }), fc.constantFrom("A", "_", "-", "."))
          .map(([at, c]) => sessionValue.slice(0, at) + c + sessionValue.slice(at + 1))
      )
      const routes = fc.constantFrom(
        "GET /auth/me",
        "POST /auth/switch-tenant",
        "POST /auth/logout",
        "GET /auth/oidc/callback?code=a&state=b",
        "POST /auth/saml/acs",
        "GET /api/v1/experiments/by-name?name=Default",
        "POST /api/v1/experiments/search",
        "GET /auth/oidc/login?next=%2Fx"
      )
      const cases = fc.sample(
        fc.record({
          route: routes,
          session: fc.option(cookieValue, { nil: undefined }),
          pending: fc.option(printable, { nil: undefined }),
          csrf: fc.option(fc.oneof(printable, fc.constant(csrf)), { nil: undefined }),
          rawCookie: fc.option(printable, { nil: undefined }),
          body: fc.option(printable, { nil: undefined })
        }),
        { numRuns: 150, seed: 20_251 }
      )
      for (const c of cases) {
        const [method = "GET", path = "/"] = c.route.split(" ")
        const headers: Record<string, string> = {}
        if (c.csrf !== undefined) headers["x-csrf-token"] = c.csrf
        const cookieParts = [
          c.session === undefined ? undefined : `mlops_session=${c.session}`,
          c.pending === undefined ? undefined : `mlops_oidc=${c.pending}`,
          c.rawCookie
        ].filter((part) => part !== undefined)
        if (cookieParts.length > 0) headers.cookie = cookieParts.join("; ")
        if (c.body !== undefined)
          headers["content-type"] = path.includes("saml") ? "application/x-www-form-urlencoded" : "application/json"
        const answer = yield* Effect.promise(() =>
          fetchRetryingStaleConnections(`${url}${path}`, {
            method,
            headers,
            redirect: "manual",
            ...(method === "POST" && c.body !== undefined ? { body: c.body } : {})
          }).then(async (response) => ({ status: response.status, text: await response.text() }))
        )
        assert.isBelow(answer.status, 500, `${method} ${path} ${JSON.stringify(c)} → ${answer.text.slice(0, 200)}`)
      }
    })
  )
})
