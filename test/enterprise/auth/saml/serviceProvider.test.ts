import { inflateRawSync } from "node:zlib"
import { assert, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import type { Unauthenticated } from "../../../../src/enterprise/auth/identity.js"
import { makeSamlServiceProvider } from "../../../../src/enterprise/auth/saml/serviceProvider.js"
import { configFor, Fixtures, sp } from "./fixtures.js"
import type { TestResponseOptions } from "./idp.js"

const alice: TestResponseOptions = {
  nameId: "alice",
  attributes: {
    email: "alice@corp.test",
    displayName: "Alice Liddell",
    groups: ["ml-engineers", "admins"],
    tenant: "acme"
  }
}

const minutes = (n: number) => new Date(Date.now() + n * 60_000)

/** Posts a response from the fixture IdP to a fresh service provider and returns the rejection. */
const rejection = (options: TestResponseOptions) =>
  Effect.gen(function* () {
    const { idp } = yield* Fixtures
    const provider = yield* makeSamlServiceProvider(configFor(idp))
    const SAMLResponse = yield* idp.samlResponse(sp, options)
    return yield* Effect.flip(provider.acs({ SAMLResponse }))
  })

const assertRejected = (error: Unauthenticated, reason: RegExp) => {
  assert.strictEqual(error._tag, "Unauthenticated")
  assert.strictEqual(error.message, "invalid SAML response")
  assert.match(error.reason ?? "", reason)
}

// node-saml checks times against the system clock, so these tests run on the
// live clock too (no TestClock), keeping both views of "now" the same.
layer(Fixtures.layer, { excludeTestServices: true })("SAML service provider", (it) => {
  it.effect("a valid response yields the identity with email, display name, groups and tenant", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const sessionEnd = minutes(60)
      const SAMLResponse = yield* idp.samlResponse(sp, { ...alice, sessionNotOnOrAfter: sessionEnd })
      const identity = yield* provider.acs({ SAMLResponse, RelayState: "/experiments" })
      assert.deepStrictEqual(
        {
          provider: identity.provider,
          issuer: identity.issuer,
          subject: identity.subject,
          email: identity.email,
          displayName: identity.displayName,
          groups: identity.groups,
          tenant: identity.tenant,
          expiresAt: identity.expiresAt
        },
        {
          provider: "saml",
          issuer: idp.entityId,
          subject: "alice",
          email: "alice@corp.test",
          displayName: "Alice Liddell",
          groups: ["ml-engineers", "admins"],
          tenant: "acme",
          expiresAt: sessionEnd.getTime()
        }
      )
    })
  )

  it.effect("without a session bound, the identity expires with the assertion's NotOnOrAfter", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const notOnOrAfter = minutes(5)
      const SAMLResponse = yield* idp.samlResponse(sp, { ...alice, notOnOrAfter, sessionNotOnOrAfter: null })
      const identity = yield* provider.acs({ SAMLResponse })
      assert.strictEqual(identity.expiresAt, notOnOrAfter.getTime())
    })
  )

  it.effect("a single-valued groups attribute and missing optional attributes map to a list and absent fields", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp, { tenantAttribute: Option.none() }))
      const SAMLResponse = yield* idp.samlResponse(sp, {
        nameId: "bob",
        attributes: { groups: "viewers", tenant: "ignored-when-not-configured" }
      })
      const identity = yield* provider.acs({ SAMLResponse })
      assert.deepStrictEqual(identity.groups, ["viewers"])
      assert.strictEqual(identity.email, undefined)
      assert.strictEqual(identity.displayName, undefined)
      assert.strictEqual(identity.tenant, undefined)
    })
  )

  it.effect("a NameID edited after signing is rejected", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const signed = yield* idp.samlResponse(sp, alice)
      const xml = Buffer.from(signed, "base64").toString("utf8")
      const tampered = xml.replace(">alice</saml:NameID>", ">mallory</saml:NameID>")
      assert.notStrictEqual(tampered, xml)
      const error = yield* Effect.flip(provider.acs({ SAMLResponse: Buffer.from(tampered).toString("base64") }))
      assertRejected(error, /signature/i)
    })
  )

  it.effect("a response without any signature is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, signing: "none" }), /signature/i)
    })
  )

  it.effect("a response signed with another key and certificate is rejected", () =>
    Effect.gen(function* () {
      const { impostor } = yield* Fixtures
      assertRejected(yield* rejection({ ...alice, signingKeys: impostor }), /signature/i)
    })
  )

  it.effect("a signed response whose assertion is not signed is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, signing: "response" }), /signature/i)
    })
  )

  it.effect("a signed assertion in an unsigned response is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, signing: "assertion" }), /signature/i)
    })
  )

  it.effect("an assertion past its NotOnOrAfter by more than the clock skew is rejected", () =>
    Effect.gen(function* () {
      const error = yield* rejection({ ...alice, issuedAt: minutes(-10), notOnOrAfter: minutes(-5) })
      assertRejected(error, /expired/i)
    })
  )

  it.effect("an assertion past its NotOnOrAfter by less than the clock skew is accepted", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const SAMLResponse = yield* idp.samlResponse(sp, {
        ...alice,
        issuedAt: minutes(-5),
        notOnOrAfter: new Date(Date.now() - 10_000)
      })
      const identity = yield* provider.acs({ SAMLResponse })
      assert.strictEqual(identity.subject, "alice")
    })
  )

  it.effect("an assertion for another audience is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, audience: "https://other-app.test/saml" }), /audience/i)
    })
  )

  it.effect("an assertion from another issuer, even signed with the trusted key, is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, issuer: "https://evil-idp.test/metadata" }), /issuer/i)
    })
  )

  it.effect("an assertion addressed to another ACS URL is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, recipient: "https://other-app.test/acs" }), /subject confirmation/i)
    })
  )

  it.effect("a response accepted once is refused when posted again", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const SAMLResponse = yield* idp.samlResponse(sp, alice)
      const first = yield* provider.acs({ SAMLResponse })
      assert.strictEqual(first.subject, "alice")
      assertRejected(yield* Effect.flip(provider.acs({ SAMLResponse })), /replay/i)
    })
  )

  it.effect("an SP-initiated login answers our AuthnRequest, whose id is then used up", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const request = yield* idp.readLoginRequest(sp, yield* provider.loginUrl("/runs"))
      assert.strictEqual(request.relayState, "/runs")
      const answer = idp.samlResponse(sp, { ...alice, inResponseTo: request.id })
      const identity = yield* provider.acs({ SAMLResponse: yield* answer })
      assert.strictEqual(identity.subject, "alice")
      // A second, freshly signed assertion for the same request: the request id was consumed.
      assertRejected(yield* Effect.flip(provider.acs({ SAMLResponse: yield* answer })), /InResponseTo/)
    })
  )

  it.effect("a response to an AuthnRequest we never issued is rejected", () =>
    Effect.gen(function* () {
      assertRejected(yield* rejection({ ...alice, inResponseTo: "_never-issued" }), /InResponseTo/)
    })
  )

  it.effect("metadata names our entity id and ACS URL", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const metadata = provider.metadata()
      assert.include(metadata, `entityID="${sp.entityId}"`)
      assert.include(metadata, `Location="${sp.acsUrl}"`)
      assert.include(metadata, `WantAssertionsSigned="true"`)
      assert.include(metadata, `AuthnRequestsSigned="false"`)
    })
  )

  it.effect("loginUrl points at the entry point with a SAMLRequest inflating to our AuthnRequest", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const url = new URL(yield* provider.loginUrl("state-1"))
      assert.strictEqual(`${url.origin}${url.pathname}`, idp.ssoUrl)
      assert.strictEqual(url.searchParams.get("RelayState"), "state-1")
      const encoded = url.searchParams.get("SAMLRequest")
      assert.isNotNull(encoded)
      const request = inflateRawSync(Buffer.from(encoded ?? "", "base64")).toString("utf8")
      assert.match(request, /^(<\?xml[^>]*\?>)?<samlp:AuthnRequest /)
      assert.match(request, new RegExp(`<saml:Issuer [^>]*>${sp.entityId}</saml:Issuer>`))
      assert.include(request, `AssertionConsumerServiceURL="${sp.acsUrl}"`)
      assert.include(request, `Destination="${idp.ssoUrl}"`)
    })
  )

  it.effect("with a private key, AuthnRequests are signed and the metadata publishes the certificate", () =>
    Effect.gen(function* () {
      const { idp, impostor: spKeys } = yield* Fixtures
      const config = configFor(idp, {
        spPrivateKey: Option.some(Redacted.make(spKeys.privateKey)),
        spCert: Option.some(spKeys.certificate)
      })
      const provider = yield* makeSamlServiceProvider(config)
      const url = new URL(yield* provider.loginUrl("state-2"))
      assert.strictEqual(url.searchParams.get("SigAlg"), "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
      assert.isNotNull(url.searchParams.get("Signature"))
      const metadata = provider.metadata()
      assert.include(metadata, `AuthnRequestsSigned="true"`)
      const body = spKeys.certificate.replace(/-----[A-Z ]+-----|\s/g, "")
      assert.include(metadata.replace(/\s/g, ""), body)
    })
  )
})
