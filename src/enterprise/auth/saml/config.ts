import { createPrivateKey, X509Certificate } from "node:crypto"
import { Config, ConfigError, Either, Option, Redacted } from "effect"

/**
 * How this deployment acts as a SAML 2.0 service provider (SP) towards one
 * identity provider (IdP). Read from the environment by {@link samlConfig}, or
 * built by hand (tests, programs that keep settings elsewhere).
 */
export interface SamlConfig {
  /** The IdP's single-sign-on URL (HTTP-Redirect binding), where `loginUrl` sends the browser. */
  readonly entryPoint: string
  /** The IdP's entity id: the only `Issuer` accepted on assertions. */
  readonly idpIssuer: string
  /** The IdP's signing certificate (PEM); the only key trusted to sign responses and assertions. */
  readonly idpCert: string
  /** Our entity id: the `Issuer` of our AuthnRequests and the `Audience` assertions must name. */
  readonly spEntityId: string
  /** Our assertion consumer service (ACS) URL, where the IdP posts the `SAMLResponse`. */
  readonly callbackUrl: string
  /** PEM private key that signs our AuthnRequests; none means they go unsigned. */
  readonly spPrivateKey: Option.Option<Redacted.Redacted<string>>
  /** PEM certificate of {@link SamlConfig.spPrivateKey}, published in our metadata. */
  readonly spCert: Option.Option<string>
  /** Attribute holding group names (one value or several). */
  readonly groupsAttribute: string
  /** Attribute holding the tenant; none means identities carry no tenant. */
  readonly tenantAttribute: Option.Option<string>
  /** Attribute holding the e-mail address. */
  readonly emailAttribute: string
  /** Attribute holding the display name. */
  readonly nameAttribute: string
  /** Clock difference tolerated between us and the IdP, in milliseconds. */
  readonly clockSkewMs: number
}

// Secrets and certificates set through container environments often arrive
// with literal "\n" sequences instead of line breaks.
const unescapeNewlines = (text: string): string => text.trim().replace(/\\n/g, "\n")

// node-saml also accepts a bare base64 body; normalising to PEM here lets
// node:crypto check it once, at startup, rather than at the first login.
const toPem = (text: string, label: "CERTIFICATE" | "PRIVATE KEY"): string => {
  const trimmed = unescapeNewlines(text)
  if (trimmed.startsWith("-----BEGIN")) return `${trimmed}\n`
  const body =
    trimmed
      .replace(/\s+/g, "")
      .match(/.{1,64}/g)
      ?.join("\n") ?? ""
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`
}

const certificate = (name: string): Config.Config<string> =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      const pem = toPem(text, "CERTIFICATE")
      try {
        new X509Certificate(pem)
        return Either.right(pem)
      } catch {
        return Either.left(ConfigError.InvalidData([name], "Expected a PEM X.509 certificate"))
      }
    })
  )

const privateKey = (name: string): Config.Config<Redacted.Redacted<string>> =>
  Config.redacted(name).pipe(
    Config.mapOrFail((secret) => {
      const pem = toPem(Redacted.value(secret), "PRIVATE KEY")
      try {
        createPrivateKey(pem)
        return Either.right(Redacted.make(pem))
      } catch {
        // The message must not echo the value: it is a secret.
        return Either.left(ConfigError.InvalidData([name], "Expected a PEM private key"))
      }
    })
  )

const httpUrl = (name: string): Config.Config<string> =>
  Config.string(name).pipe(
    Config.validate({
      message: "Expected an absolute http(s) URL",
      validation: (text: string) => {
        try {
          const url = new URL(text)
          return url.protocol === "https:" || url.protocol === "http:"
        } catch {
          return false
        }
      }
    })
  )

const attributeName = (name: string, fallback: string): Config.Config<string> =>
  Config.nonEmptyString(name).pipe(Config.withDefault(fallback))

/**
 * Reads {@link SamlConfig} from `MLOPS_SAML_*` keys of the current
 * `ConfigProvider`, checking URLs, certificates and the private key so that a
 * bad setting fails at startup, not at the first login:
 *
 * - `MLOPS_SAML_ENTRY_POINT`, `MLOPS_SAML_IDP_ISSUER`, `MLOPS_SAML_IDP_CERT`,
 *   `MLOPS_SAML_SP_ENTITY_ID`, `MLOPS_SAML_CALLBACK_URL` (required);
 * - `MLOPS_SAML_SP_PRIVATE_KEY` (secret) with `MLOPS_SAML_SP_CERT`, both or neither;
 * - `MLOPS_SAML_GROUPS_ATTRIBUTE` ("groups"), `MLOPS_SAML_TENANT_ATTRIBUTE` (none),
 *   `MLOPS_SAML_EMAIL_ATTRIBUTE` ("email"), `MLOPS_SAML_NAME_ATTRIBUTE` ("displayName"),
 *   `MLOPS_SAML_CLOCK_SKEW` (milliseconds, 30000).
 *
 * @example
 * ```ts
 * const sp = Effect.flatMap(samlConfig, (config) => makeSamlServiceProvider(config))
 * ```
 */
export const samlConfig: Config.Config<SamlConfig> = Config.all({
  entryPoint: httpUrl("MLOPS_SAML_ENTRY_POINT"),
  idpIssuer: Config.nonEmptyString("MLOPS_SAML_IDP_ISSUER"),
  idpCert: certificate("MLOPS_SAML_IDP_CERT"),
  spEntityId: Config.nonEmptyString("MLOPS_SAML_SP_ENTITY_ID"),
  callbackUrl: httpUrl("MLOPS_SAML_CALLBACK_URL"),
  spPrivateKey: Config.option(privateKey("MLOPS_SAML_SP_PRIVATE_KEY")),
  spCert: Config.option(certificate("MLOPS_SAML_SP_CERT")),
  groupsAttribute: attributeName("MLOPS_SAML_GROUPS_ATTRIBUTE", "groups"),
  tenantAttribute: Config.option(Config.nonEmptyString("MLOPS_SAML_TENANT_ATTRIBUTE")),
  emailAttribute: attributeName("MLOPS_SAML_EMAIL_ATTRIBUTE", "email"),
  nameAttribute: attributeName("MLOPS_SAML_NAME_ATTRIBUTE", "displayName"),
  clockSkewMs: Config.integer("MLOPS_SAML_CLOCK_SKEW").pipe(
    Config.withDefault(30_000),
    Config.validate({ message: "Expected a non-negative number of milliseconds", validation: (ms: number) => ms >= 0 })
  )
}).pipe(
  Config.mapOrFail((config): Either.Either<SamlConfig, ConfigError.ConfigError> => {
    const key = config.spPrivateKey
    const cert = config.spCert
    if (Option.isSome(key) !== Option.isSome(cert)) {
      // Metadata must publish the certificate of the key that signs requests,
      // so one without the other is a configuration mistake.
      return Either.left(
        ConfigError.InvalidData(
          ["MLOPS_SAML_SP_PRIVATE_KEY"],
          "MLOPS_SAML_SP_PRIVATE_KEY and MLOPS_SAML_SP_CERT must be set together"
        )
      )
    }
    if (Option.isSome(key) && Option.isSome(cert)) {
      const matches = new X509Certificate(cert.value).checkPrivateKey(createPrivateKey(Redacted.value(key.value)))
      if (!matches) {
        return Either.left(
          ConfigError.InvalidData(["MLOPS_SAML_SP_CERT"], "MLOPS_SAML_SP_CERT does not match MLOPS_SAML_SP_PRIVATE_KEY")
        )
      }
    }
    return Either.right(config)
  })
)
