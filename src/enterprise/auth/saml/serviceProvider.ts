import { type CacheProvider, type SamlConfig as NodeSamlConfig, SAML, ValidateInResponseTo } from "@node-saml/node-saml"
import { Clock, Duration, Effect, Option, Predicate, Redacted } from "effect"
import { ExternalIdentity, Unauthenticated } from "../identity.js"
import type { SamlConfig } from "./config.js"
import { makeMemoryReplayCache, type SamlReplayCache } from "./replayCache.js"
import { makeMemoryRequestCache } from "./requestCache.js"

/** The fields of the HTTP-POST binding form the IdP makes the browser submit to our ACS URL. */
export interface SamlPostForm {
  readonly SAMLResponse: string
  /** Echoed from `loginUrl`; not signed, so the caller must validate it before redirecting to it. */
  readonly RelayState?: string
}

/** The operations of a SAML service provider; see {@link makeSamlServiceProvider}. */
export interface SamlServiceProviderShape {
  /** Our SP metadata XML, for the IdP administrator to import. */
  readonly metadata: () => string
  /** The IdP URL that starts a login (HTTP-Redirect binding), carrying `relayState` through the round trip. */
  readonly loginUrl: (relayState: string) => Effect.Effect<string>
  /** Verifies a posted `SAMLResponse` and returns whom it names. */
  readonly acs: (form: SamlPostForm) => Effect.Effect<ExternalIdentity, Unauthenticated>
}

/** Pluggable state and limits of {@link makeSamlServiceProvider}. */
export interface SamlServiceProviderOptions {
  /** Assertion ids already accepted; defaults to an in-memory cache (one process only). */
  readonly replayCache?: SamlReplayCache
  /** Ids of AuthnRequests we issued, for `InResponseTo`; defaults to a bounded in-memory cache. */
  readonly requestCache?: CacheProvider
  /** How long an AuthnRequest may wait for its response (default 30 minutes). */
  readonly requestTtl?: Duration.DurationInput
  /** Upper bound on validating one response (default 10 seconds). */
  readonly validationTimeout?: Duration.DurationInput
}

const GENERIC_MESSAGE = "invalid SAML response"
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
// Lets the IdP use the format it is configured with; the NameID is only ever
// compared for equality, so any stable format works.
const UNSPECIFIED_NAME_ID = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
// Large enough for assertions carrying hundreds of groups, small enough that
// parsing a hostile document stays cheap.
const MAX_ENCODED_LENGTH = 512 * 1024
const BASE64 = /^[A-Za-z0-9+/=\s]+$/
// A SAML message has no use for a DTD (the SAML schemas declare none), and
// refusing one before any parser runs rules out entity expansion (billion
// laughs, external entities) whatever the parser versions underneath do.
const DTD = /<!DOCTYPE|<!ENTITY/i

const reject = (reason: string) => new Unauthenticated({ message: GENERIC_MESSAGE, reason })

const describe = (cause: unknown): string => {
  const text = cause instanceof Error ? cause.message : String(cause)
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}

// The verified assertion comes back from node-saml as xml2js output
// (`explicitCharkey`, prefixes stripped): an element is `{ $?: attributes,
// _?: text, Child: [...] }`, an empty one is "". These readers tolerate any shape.
const children = (node: unknown, name: string): ReadonlyArray<unknown> => {
  if (!Predicate.isRecord(node)) return []
  const value = node[name]
  return Array.isArray(value) ? value : []
}

const attribute = (node: unknown, name: string): string | undefined => {
  if (!Predicate.isRecord(node) || !Predicate.isRecord(node.$)) return undefined
  const value = node.$[name]
  return typeof value === "string" ? value : undefined
}

/** Epoch ms of an xs:dateTime attribute: `undefined` when absent, `NaN` when unreadable. */
const instant = (value: string | undefined): number | undefined => (value === undefined ? undefined : Date.parse(value))

const earliest = (values: ReadonlyArray<number | undefined>): number | undefined => {
  const finite = values.filter((value): value is number => value !== undefined && Number.isFinite(value))
  return finite.length === 0 ? undefined : Math.min(...finite)
}

/**
 * Builds a SAML 2.0 service provider over `@node-saml/node-saml` for one IdP.
 *
 * `acs` accepts a response only when all of this holds: it is base64 XML
 * without a DTD; the Response AND its single Assertion are signed by
 * `config.idpCert`; the assertion is within its time bounds (± `clockSkewMs`),
 * names `config.spEntityId` as audience and `config.idpIssuer` as issuer, has a
 * bearer confirmation addressed to `config.callbackUrl`, answers a request we
 * issued when it carries `InResponseTo`, and was not accepted before. Anything
 * else is an `Unauthenticated` with the generic message "invalid SAML response"
 * and the specific cause in `reason` (for the server log); no input makes it die.
 *
 * Replay protection and `InResponseTo` matching live in memory unless other
 * caches are passed in `options`; with several replicas, pass shared ones.
 *
 * @example
 * ```ts
 * const program = Effect.gen(function* () {
 *   const sp = yield* makeSamlServiceProvider(config)
 *   const redirectTo = yield* sp.loginUrl("/experiments")
 *   // … later, on POST to config.callbackUrl:
 *   const identity = yield* sp.acs({ SAMLResponse: body.SAMLResponse })
 * })
 * ```
 */
export const makeSamlServiceProvider: (
  config: SamlConfig,
  options?: SamlServiceProviderOptions
) => Effect.Effect<SamlServiceProviderShape> = Effect.fn("makeSamlServiceProvider")(function* (
  config: SamlConfig,
  options: SamlServiceProviderOptions = {}
) {
  const requestTtlMs = Duration.toMillis(options.requestTtl ?? Duration.minutes(30))
  const validationTimeout = options.validationTimeout ?? Duration.seconds(10)
  const replayCache = options.replayCache ?? (yield* makeMemoryReplayCache())
  const requestCache = options.requestCache ?? makeMemoryRequestCache({ ttlMs: requestTtlMs, maxEntries: 50_000 })

  const signing = Option.zipWith(config.spPrivateKey, config.spCert, (key, cert) => ({
    privateKey: Redacted.value(key),
    publicCert: cert
  }))

  const samlOptions: NodeSamlConfig = {
    entryPoint: config.entryPoint,
    issuer: config.spEntityId,
    audience: config.spEntityId,
    callbackUrl: config.callbackUrl,
    idpCert: config.idpCert,
    // node-saml 5.1 only checks this on logout messages; `acs` checks the assertion's issuer itself.
    idpIssuer: config.idpIssuer,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: true,
    acceptedClockSkewMs: config.clockSkewMs,
    // IdP-initiated logins carry no InResponseTo; those rely on the replay cache alone.
    validateInResponseTo: ValidateInResponseTo.ifPresent,
    requestIdExpirationPeriodMs: requestTtlMs,
    cacheProvider: requestCache,
    identifierFormat: UNSPECIFIED_NAME_ID,
    // node-saml otherwise demands PasswordProtectedTransport, which fails
    // logins the IdP completes with MFA, Kerberos or certificates.
    disableRequestedAuthnContext: true,
    signatureAlgorithm: "sha256",
    ...Option.getOrElse(signing, () => ({}))
  }

  const saml = yield* Effect.try({
    try: () => new SAML(samlOptions),
    catch: (cause) => new Error(`invalid SAML service provider configuration: ${describe(cause)}`)
  }).pipe(Effect.orDie)
  // Generated once so a configuration node-saml cannot describe fails at startup.
  const metadataXml = yield* Effect.try({
    try: () => saml.generateServiceProviderMetadata(null, Option.getOrNull(config.spCert)),
    catch: (cause) => new Error(`cannot generate SAML metadata: ${describe(cause)}`)
  }).pipe(Effect.orDie)

  const loginUrl = Effect.fn("SamlServiceProvider.loginUrl")(
    function* (relayState: string) {
      return yield* Effect.tryPromise(() => saml.getAuthorizeUrlAsync(relayState, undefined, {}))
    },
    // Only our own configuration or a failing request cache can make this fail.
    Effect.orDie
  )

  const values = (attributes: unknown, name: string): ReadonlyArray<string> => {
    // Attribute names come from the IdP; `hasOwn` keeps "__proto__" and friends out.
    if (!Predicate.isRecord(attributes) || !Object.hasOwn(attributes, name)) return []
    const value = attributes[name]
    const list: ReadonlyArray<unknown> = Array.isArray(value) ? value : [value]
    return list.flatMap((item) => (typeof item === "string" && item.trim() !== "" ? [item.trim()] : []))
  }

  const acs = Effect.fn("SamlServiceProvider.acs")(
    function* (form: SamlPostForm) {
      // The form comes from an HTTP body: its runtime type is not guaranteed.
      const encoded: unknown = Predicate.isRecord(form) ? form.SAMLResponse : undefined
      if (typeof encoded !== "string" || encoded.length === 0) return yield* reject("SAMLResponse is missing")
      if (encoded.length > MAX_ENCODED_LENGTH) return yield* reject("SAMLResponse is too large")
      if (!BASE64.test(encoded)) return yield* reject("SAMLResponse is not base64")
      // Decoded exactly as node-saml decodes it, so the check sees what the parser will.
      const xml = Buffer.from(encoded, "base64").toString("utf8")
      if (DTD.test(xml)) return yield* reject("SAMLResponse contains a DTD")

      const result = yield* Effect.tryPromise({
        try: () => saml.validatePostResponseAsync({ SAMLResponse: encoded }),
        catch: (cause) => reject(describe(cause))
      }).pipe(Effect.timeoutFail({ duration: validationTimeout, onTimeout: () => reject("validation timed out") }))
      const profile = result.profile
      if (profile === null || result.loggedOut) return yield* reject("SAMLResponse carries no assertion")

      const root: unknown = profile.getAssertion?.()
      const assertion = Predicate.isRecord(root) ? root.Assertion : undefined
      const assertionId = attribute(assertion, "ID")
      if (assertionId === undefined || assertionId === "") return yield* reject("assertion has no ID")

      const issuer: unknown = profile.issuer
      if (issuer !== config.idpIssuer) {
        return yield* reject(`unexpected assertion issuer ${JSON.stringify(issuer ?? null)}`)
      }
      const subject: unknown = profile.nameID
      if (typeof subject !== "string" || subject.trim() === "") return yield* reject("assertion has no NameID")

      // node-saml checks bearer confirmations only for SP-initiated logins and
      // never checks Recipient, so both are checked here for every response.
      const now = yield* Clock.currentTimeMillis
      const skew = config.clockSkewMs
      const confirmation = children(assertion, "Subject")
        .flatMap((subjectNode) => children(subjectNode, "SubjectConfirmation"))
        .filter((node) => attribute(node, "Method") === BEARER)
        .flatMap((node) => children(node, "SubjectConfirmationData"))
        .find((data) => {
          const recipient = attribute(data, "Recipient")
          const notBefore = instant(attribute(data, "NotBefore"))
          const notOnOrAfter = instant(attribute(data, "NotOnOrAfter"))
          return (
            (recipient === undefined || recipient === config.callbackUrl) &&
            (notBefore === undefined || now + skew >= notBefore) &&
            (notOnOrAfter === undefined || now - skew < notOnOrAfter)
          )
        })
      if (confirmation === undefined) {
        return yield* reject("no bearer subject confirmation for this ACS URL within its time bounds")
      }

      const validUntil = earliest([
        instant(attribute(children(assertion, "Conditions")[0], "NotOnOrAfter")),
        instant(attribute(confirmation, "NotOnOrAfter"))
      ])
      // Without an end, an assertion would have to be remembered forever to prevent its replay.
      if (validUntil === undefined) return yield* reject("assertion has no NotOnOrAfter")
      const sessionEnd = earliest(
        children(assertion, "AuthnStatement").map((statement) => instant(attribute(statement, "SessionNotOnOrAfter")))
      )

      // Last, so only assertions that passed every other check take room in the cache.
      const replayed = yield* replayCache.seen(`${config.idpIssuer} ${assertionId}`, validUntil + skew)
      if (replayed) return yield* reject("assertion already used (replay), or replay cache full")

      const attributes: unknown = profile.attributes
      const email = values(attributes, config.emailAttribute)[0]
      const displayName = values(attributes, config.nameAttribute)[0]
      const tenant = Option.flatMap(config.tenantAttribute, (name) => Option.fromNullable(values(attributes, name)[0]))
      return new ExternalIdentity({
        provider: "saml",
        issuer: config.idpIssuer,
        subject,
        groups: Array.from(new Set(values(attributes, config.groupsAttribute))),
        // The session bound is what the IdP grants; the assertion's own bound
        // only limits how long it may be presented.
        expiresAt: sessionEnd ?? validUntil,
        ...(email === undefined ? {} : { email }),
        ...(displayName === undefined ? {} : { displayName }),
        ...Option.match(tenant, { onNone: () => ({}), onSome: (value) => ({ tenant: value }) })
      })
    },
    Effect.tapError((error) => Effect.annotateCurrentSpan("saml.rejection", error.reason ?? ""))
  )

  return { metadata: () => metadataXml, loginUrl, acs } satisfies SamlServiceProviderShape
})
