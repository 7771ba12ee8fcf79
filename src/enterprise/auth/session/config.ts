import { Config, Duration, type Option, Redacted } from "effect"

/** How browser sessions are sealed and how long they last; see {@link sessionConfig}. */
export interface SessionConfig {
  /** The secret that seals new session cookies (at least 32 characters). */
  readonly key: Redacted.Redacted<string>
  /**
   * The secret used before the last rotation: cookies it sealed stay valid
   * until they expire, new ones are sealed with {@link SessionConfig.key}.
   */
  readonly previousKey: Option.Option<Redacted.Redacted<string>>
  /** Upper bound of a session, whatever the identity provider grants (default 12 hours). */
  readonly maxAge: Duration.Duration
  /**
   * Mark every cookie `Secure`, for a server behind a proxy that terminates
   * TLS without saying so (`X-Forwarded-Proto`). Otherwise cookies are
   * `Secure` when the request came over TLS or the proxy says it did.
   */
  readonly alwaysSecure: boolean
}

const secret = (name: string): Config.Config<Redacted.Redacted<string>> =>
  Config.redacted(name).pipe(
    Config.validate({
      message: `${name} must have at least 32 characters`,
      validation: (key) => Redacted.value(key).length >= 32
    })
  )

/**
 * Reads {@link SessionConfig}: `MLOPS_SESSION_KEY` (secret, at least 32
 * characters), `MLOPS_SESSION_KEY_PREVIOUS` (optional, for key rotation),
 * `MLOPS_SESSION_MAX_AGE` (seconds, default 43200 = 12 hours, at least 60)
 * and `MLOPS_COOKIE_SECURE` (`true` marks every cookie Secure).
 *
 * Every replica of a deployment must be given the same keys: a session
 * lives in its cookie only, so any replica can read it.
 *
 * @example
 * ```ts
 * // MLOPS_SESSION_KEY=$(openssl rand -base64 48)
 * const SessionsLive = Sessions.layerConfig
 * ```
 */
export const sessionConfig: Config.Config<SessionConfig> = Config.all({
  key: secret("MLOPS_SESSION_KEY"),
  previousKey: Config.option(secret("MLOPS_SESSION_KEY_PREVIOUS")),
  maxAge: Config.integer("MLOPS_SESSION_MAX_AGE").pipe(
    Config.withDefault(12 * 60 * 60),
    Config.validate({ message: "expected a number of seconds, at least 60", validation: (seconds) => seconds >= 60 }),
    Config.map(Duration.seconds)
  ),
  alwaysSecure: Config.boolean("MLOPS_COOKIE_SECURE").pipe(Config.withDefault(false))
})
