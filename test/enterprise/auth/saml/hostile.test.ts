import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Option, Runtime } from "effect"
import fc from "fast-check"
import type { ExternalIdentity, Unauthenticated } from "../../../../src/enterprise/auth/identity.js"
import { makeSamlServiceProvider, type SamlPostForm } from "../../../../src/enterprise/auth/saml/serviceProvider.js"
import { configFor, Fixtures, sp } from "./fixtures.js"

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64")

/** The typed failure of `exit`, or a test failure naming the defect, interruption or success. */
const expectUnauthenticated = (exit: Exit.Exit<ExternalIdentity, Unauthenticated>): Unauthenticated => {
  if (Exit.isSuccess(exit)) return assert.fail("a hostile SAMLResponse was accepted")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return assert.fail(`not a typed failure: ${Cause.pretty(exit.cause)}`)
  assert.strictEqual(failure.value._tag, "Unauthenticated")
  assert.strictEqual(failure.value.message, "invalid SAML response")
  return failure.value
}

const acsExit = (form: SamlPostForm) =>
  Effect.gen(function* () {
    const { idp } = yield* Fixtures
    const provider = yield* makeSamlServiceProvider(configFor(idp))
    return yield* Effect.exit(provider.acs(form))
  })

/** Checks with fast-check that no input of `inputs` makes `acs` succeed or die. */
const neverAuthenticates = (inputs: fc.Arbitrary<string>, numRuns: number) =>
  Effect.gen(function* () {
    const { idp } = yield* Fixtures
    const provider = yield* makeSamlServiceProvider(configFor(idp))
    // fast-check drives a Promise per case; the current runtime keeps this test's services.
    const run = Runtime.runPromiseExit(yield* Effect.runtime<never>())
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(inputs, async (SAMLResponse) => {
          expectUnauthenticated(await run(provider.acs({ SAMLResponse })))
        }),
        { numRuns }
      )
    )
  })

const xmlish = fc
  .array(
    fc.oneof(
      fc.constantFrom("<", ">", "/", "=", '"', "'", "&", ";", "!", "?", ":", "samlp", "Response", "Assertion", "ID"),
      fc.string({ maxLength: 4 })
    ),
    { maxLength: 60 }
  )
  .map((parts) => parts.join(""))

const billionLaughs = [
  `<?xml version="1.0"?>`,
  `<!DOCTYPE lolz [<!ENTITY lol "lol">`,
  ...Array.from({ length: 8 }, (_, i) => `<!ENTITY lol${i + 2} "${`&lol${i === 0 ? "" : i + 1};`.repeat(10)}">`),
  `]>`,
  `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_x"><x>&lol9;</x></samlp:Response>`
].join("")

layer(Fixtures.layer, { excludeTestServices: true })("SAML service provider, hostile input", (it) => {
  it.effect("random strings as SAMLResponse are always Unauthenticated, never a defect", () =>
    neverAuthenticates(fc.string({ unit: "binary", maxLength: 200 }), 300)
  )

  it.effect("random base64 as SAMLResponse is always Unauthenticated, never a defect", () =>
    neverAuthenticates(fc.base64String({ maxLength: 400 }), 300)
  )

  it.effect("base64 of random XML-like text is always Unauthenticated, never a defect", () =>
    neverAuthenticates(xmlish.map(base64), 300)
  )

  it.effect("base64 of random bytes is always Unauthenticated, never a defect", () =>
    neverAuthenticates(
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString("base64")),
      200
    )
  )

  it.effect("a signed response mutated at random places never produces a defect", () =>
    Effect.gen(function* () {
      const { idp } = yield* Fixtures
      const provider = yield* makeSamlServiceProvider(configFor(idp))
      const xml = Buffer.from(yield* idp.samlResponse(sp, { nameId: "alice" }), "base64").toString("utf8")
      const run = Runtime.runPromiseExit(yield* Effect.runtime<never>())
      const mutated = fc
        .array(fc.tuple(fc.nat({ max: xml.length - 1 }), fc.string({ unit: "binary", maxLength: 3 })), {
          minLength: 1,
          maxLength: 4
        })
        .map((edits) => edits.reduce((text, [at, insert]) => text.slice(0, at) + insert + text.slice(at + 1), xml))
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(mutated, async (text) => {
            const exit = await run(provider.acs({ SAMLResponse: base64(text) }))
            // An edit inside unsigned parts (KeyInfo, whitespace between
            // attributes) can leave the signatures valid, so success is
            // allowed here; dying is not.
            if (Exit.isFailure(exit)) expectUnauthenticated(exit)
          }),
          { numRuns: 200 }
        )
      )
    })
  )

  it.effect("an entity-expansion bomb is refused before any XML parser sees it", () =>
    Effect.gen(function* () {
      const error = expectUnauthenticated(yield* acsExit({ SAMLResponse: base64(billionLaughs) }))
      assert.strictEqual(error.reason, "SAMLResponse contains a DTD")
    })
  )

  it.effect("an external entity (XXE) is refused", () =>
    Effect.gen(function* () {
      const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`
      const error = expectUnauthenticated(yield* acsExit({ SAMLResponse: base64(xxe) }))
      assert.strictEqual(error.reason, "SAMLResponse contains a DTD")
    })
  )

  it.effect("deeply nested XML is Unauthenticated, not a stack overflow", () =>
    Effect.gen(function* () {
      const depth = 50_000
      const deep = `${"<a>".repeat(depth)}${"</a>".repeat(depth)}`
      expectUnauthenticated(yield* acsExit({ SAMLResponse: base64(deep) }))
    })
  )

  it.effect("an oversized SAMLResponse is refused without decoding it", () =>
    Effect.gen(function* () {
      const error = expectUnauthenticated(yield* acsExit({ SAMLResponse: "A".repeat(1024 * 1024) }))
      assert.strictEqual(error.reason, "SAMLResponse is too large")
    })
  )

  it.effect("a malformed form body (no object, no field, not a string) is Unauthenticated", () =>
    Effect.gen(function* () {
      const bodies: ReadonlyArray<unknown> = [null, undefined, {}, { SAMLResponse: ["a", "b"] }, { SAMLResponse: 42 }]
      for (const body of bodies) {
        const error = expectUnauthenticated(yield* acsExit(body as SamlPostForm))
        assert.strictEqual(error.reason, "SAMLResponse is missing")
      }
    })
  )

  it.effect("a response with a non-success status and no assertion is Unauthenticated", () =>
    Effect.gen(function* () {
      const failed = base64(
        `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"/></samlp:Status></samlp:Response>`
      )
      expectUnauthenticated(yield* acsExit({ SAMLResponse: failed }))
    })
  )
})
