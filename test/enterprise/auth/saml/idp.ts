/**
 * A SAML identity provider for tests, built on samlify: it signs responses
 * with a fresh self-signed certificate, for any user, audience, issuer, times
 * and signing layout, so tests (and a browser login test) can drive our
 * service provider end to end without a real IdP.
 */
import { execFile } from "node:child_process"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import * as xmllint from "@authenio/samlify-node-xmllint"
import { Effect } from "effect"
import { Constants, IdentityProvider, ServiceProvider, setSchemaValidator } from "samlify"

// samlify refuses to parse messages (AuthnRequests here) without a schema validator.
setSchemaValidator({ validate: xmllint.validate })

const execFileAsync = promisify(execFile)

/** A private key and its self-signed certificate, both PEM. */
export interface TestKeyPair {
  readonly privateKey: string
  readonly certificate: string
}

/**
 * Runs `openssl req -x509 -newkey rsa:2048 -nodes -days 2` in a fresh
 * temporary directory (removed afterwards) and returns the key pair.
 */
export const makeTestKeyPair = (commonName = "test-idp"): Effect.Effect<TestKeyPair> =>
  Effect.acquireUseRelease(
    Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "saml-test-idp-"))),
    (dir) =>
      Effect.promise(async () => {
        const keyFile = path.join(dir, "key.pem")
        const certFile = path.join(dir, "cert.pem")
        await execFileAsync("openssl", [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "2",
          "-subj",
          `/CN=${commonName}`,
          "-keyout",
          keyFile,
          "-out",
          certFile
        ])
        const [privateKey, certificate] = await Promise.all([
          fs.readFile(keyFile, "utf8"),
          fs.readFile(certFile, "utf8")
        ])
        return { privateKey, certificate }
      }),
    (dir) => Effect.promise(() => fs.rm(dir, { recursive: true, force: true }))
  )

/** The service provider a response is addressed to (us, as the IdP knows us). */
export interface TestServiceProvider {
  readonly entityId: string
  readonly acsUrl: string
}

/** Which parts of the response carry an XML signature. */
export type TestSigning = "response-and-assertion" | "response" | "assertion" | "none"

/** What the IdP asserts; every field but `nameId` has a valid default. */
export interface TestResponseOptions {
  readonly nameId: string
  /** Attribute name to one value or several. */
  readonly attributes?: Readonly<Record<string, string | ReadonlyArray<string>>>
  /** Default: the service provider's entity id. */
  readonly audience?: string
  /** Default: the IdP's entity id. */
  readonly issuer?: string
  /** SubjectConfirmationData Recipient; default: the ACS URL. */
  readonly recipient?: string
  /** The AuthnRequest ID this answers; absent for an IdP-initiated login. */
  readonly inResponseTo?: string
  /** IssueInstant and NotBefore; default: now. */
  readonly issuedAt?: Date
  /** Conditions and SubjectConfirmationData NotOnOrAfter; default: five minutes after `issuedAt`. */
  readonly notOnOrAfter?: Date
  /** AuthnStatement SessionNotOnOrAfter; default: eight hours after `issuedAt`, `null` for none. */
  readonly sessionNotOnOrAfter?: Date | null
  /** Default: "response-and-assertion". */
  readonly signing?: TestSigning
  /** Sign with this key pair instead of the IdP's own (an impostor). */
  readonly signingKeys?: TestKeyPair
}

/** What the IdP read from an AuthnRequest. */
export interface TestLoginRequest {
  readonly id: string
  readonly issuer: string
  readonly acsUrl: string | undefined
  readonly relayState: string | undefined
}

/** A test identity provider; see {@link makeTestIdp}. */
export interface TestIdp {
  readonly entityId: string
  readonly ssoUrl: string
  readonly keys: TestKeyPair
  /** A base64 `SAMLResponse` (HTTP-POST binding) for `sp`. */
  readonly samlResponse: (sp: TestServiceProvider, options: TestResponseOptions) => Effect.Effect<string>
  /**
   * Reads the AuthnRequest of an HTTP-Redirect login URL, as the IdP does when
   * the browser arrives. samlify schema-validates it with xmllint compiled to
   * JavaScript, whose first call in a process takes about ten seconds.
   */
  readonly readLoginRequest: (sp: TestServiceProvider, loginUrl: string) => Effect.Effect<TestLoginRequest>
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const optionalAttribute = (name: string, value: string | undefined): string =>
  value === undefined ? "" : ` ${name}="${escapeXml(value)}"`

const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

/** The unsigned Response XML; samlify only signs it. */
const renderResponse = (
  idp: { readonly entityId: string },
  sp: TestServiceProvider,
  options: TestResponseOptions
): string => {
  const issuedAt = options.issuedAt ?? new Date()
  const notOnOrAfter = options.notOnOrAfter ?? new Date(issuedAt.getTime() + 5 * 60_000)
  const sessionEnd =
    options.sessionNotOnOrAfter === undefined
      ? new Date(issuedAt.getTime() + 8 * 3_600_000)
      : options.sessionNotOnOrAfter
  const issuer = escapeXml(options.issuer ?? idp.entityId)
  const attributes = Object.entries(options.attributes ?? {})
    .map(([name, value]) => {
      const values = typeof value === "string" ? [value] : value
      const rendered = values
        .map((v) => `<saml:AttributeValue xsi:type="xs:string">${escapeXml(v)}</saml:AttributeValue>`)
        .join("")
      return `<saml:Attribute Name="${escapeXml(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">${rendered}</saml:Attribute>`
    })
    .join("")
  return [
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`,
    ` ID="_${randomUUID()}" Version="2.0" IssueInstant="${issuedAt.toISOString()}" Destination="${escapeXml(sp.acsUrl)}"`,
    `${optionalAttribute("InResponseTo", options.inResponseTo)}>`,
    `<saml:Issuer>${issuer}</saml:Issuer>`,
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>`,
    `<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema"`,
    ` ID="_${randomUUID()}" Version="2.0" IssueInstant="${issuedAt.toISOString()}">`,
    `<saml:Issuer>${issuer}</saml:Issuer>`,
    `<saml:Subject>`,
    `<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${escapeXml(options.nameId)}</saml:NameID>`,
    `<saml:SubjectConfirmation Method="${BEARER}"><saml:SubjectConfirmationData`,
    ` NotOnOrAfter="${notOnOrAfter.toISOString()}" Recipient="${escapeXml(options.recipient ?? sp.acsUrl)}"`,
    `${optionalAttribute("InResponseTo", options.inResponseTo)}/></saml:SubjectConfirmation>`,
    `</saml:Subject>`,
    `<saml:Conditions NotBefore="${issuedAt.toISOString()}" NotOnOrAfter="${notOnOrAfter.toISOString()}">`,
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(options.audience ?? sp.entityId)}</saml:Audience></saml:AudienceRestriction>`,
    `</saml:Conditions>`,
    `<saml:AuthnStatement AuthnInstant="${issuedAt.toISOString()}" SessionIndex="_${randomUUID()}"`,
    `${optionalAttribute("SessionNotOnOrAfter", sessionEnd?.toISOString())}>`,
    `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>`,
    `</saml:AuthnStatement>`,
    attributes === "" ? "" : `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`,
    `</saml:Assertion></samlp:Response>`
  ].join("")
}

const samlifyIdp = (entityId: string, ssoUrl: string, keys: TestKeyPair) =>
  IdentityProvider({
    entityID: entityId,
    privateKey: keys.privateKey,
    signingCert: keys.certificate,
    singleSignOnService: [{ Binding: Constants.namespace.binding.redirect, Location: ssoUrl }],
    // Unused, but samlify warns on every construction without one.
    singleLogoutService: [{ Binding: Constants.namespace.binding.redirect, Location: `${ssoUrl}/logout` }]
  })

/** samlify's picture of us; its signing flags decide which parts samlify signs. */
const samlifySp = (sp: TestServiceProvider, signing: Exclude<TestSigning, "none">) =>
  ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: Constants.namespace.binding.post, Location: sp.acsUrl }],
    wantAssertionsSigned: signing !== "response",
    wantMessageSigned: signing !== "assertion"
  })

const firstString = (value: unknown): string | undefined =>
  typeof value === "string" ? value : Array.isArray(value) && typeof value[0] === "string" ? value[0] : undefined

/**
 * Starts a test IdP with a fresh key pair (or `options.keys`).
 *
 * @example
 * ```ts
 * const idp = yield* makeTestIdp()
 * const SAMLResponse = yield* idp.samlResponse(sp, { nameId: "alice", attributes: { email: "a@x.test" } })
 * ```
 */
export const makeTestIdp = (
  options: { readonly entityId?: string; readonly ssoUrl?: string; readonly keys?: TestKeyPair } = {}
): Effect.Effect<TestIdp> =>
  Effect.gen(function* () {
    const entityId = options.entityId ?? "https://idp.test/metadata"
    const ssoUrl = options.ssoUrl ?? "https://idp.test/sso"
    const keys = options.keys ?? (yield* makeTestKeyPair())

    const samlResponse = (sp: TestServiceProvider, response: TestResponseOptions) => {
      const xml = renderResponse({ entityId }, sp, response)
      const signing = response.signing ?? "response-and-assertion"
      if (signing === "none") return Effect.succeed(Buffer.from(xml, "utf8").toString("base64"))
      const signer = samlifyIdp(entityId, ssoUrl, response.signingKeys ?? keys)
      return Effect.promise(() =>
        signer.createLoginResponse(
          samlifySp(sp, signing),
          { extract: {} },
          Constants.wording.binding.post,
          {},
          { customTagReplacement: () => ({ id: "", context: xml }) }
        )
      ).pipe(Effect.map((result) => result.context))
    }

    const readLoginRequest = (sp: TestServiceProvider, loginUrl: string) =>
      Effect.promise(async (): Promise<TestLoginRequest> => {
        const url = new URL(loginUrl)
        const parsed = await samlifyIdp(entityId, ssoUrl, keys).parseLoginRequest(
          samlifySp(sp, "response-and-assertion"),
          Constants.wording.binding.redirect,
          { query: Object.fromEntries(url.searchParams), octetString: url.search.slice(1) }
        )
        const request = parsed.extract.request
        const id = firstString(request?.id)
        const issuer = firstString(parsed.extract.issuer)
        if (id === undefined || issuer === undefined) throw new Error("AuthnRequest without ID or Issuer")
        return {
          id,
          issuer,
          acsUrl: firstString(request?.assertionConsumerServiceUrl),
          relayState: url.searchParams.get("RelayState") ?? undefined
        }
      })

    return { entityId, ssoUrl, keys, samlResponse, readLoginRequest }
  })
