/**
 * JWT checks and claim mapping shared by the bearer verifier and the login
 * flow. Internal to the OIDC module.
 */
import { Clock, Duration, Effect, Option } from "effect"
import { decodeProtectedHeader, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose"
import { ExternalIdentity, type Unauthenticated } from "../identity.js"
import { KeySetUnavailable } from "./issuer.js"

/**
 * Only signatures made with the provider's private key. `none` would accept
 * anything, and an HMAC algorithm would let whoever knows a shared secret
 * (or tricks a library into using a public key as one) mint tokens.
 */
export const asymmetricAlgorithms: ReadonlyArray<string> = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
  "Ed25519"
]

/** Larger than any HTTP header Node accepts by default (16 KiB); bounds the work spent on hostile input. */
const maxTokenLength = 16 * 1024

/** Rejects what is not a signed JWT with an allowed algorithm, before any network round trip. */
export const precheck = (
  token: string,
  fail: (reason: string) => Unauthenticated
): Effect.Effect<void, Unauthenticated> => {
  if (typeof token !== "string" || token.length === 0) return Effect.fail(fail("malformed token"))
  if (token.length > maxTokenLength) return Effect.fail(fail("token too large"))
  // Five segments would be an encrypted JWT, which this server cannot decrypt.
  if (token.split(".").length !== 3) return Effect.fail(fail("malformed token"))
  let alg: unknown
  try {
    alg = decodeProtectedHeader(token).alg
  } catch {
    return Effect.fail(fail("malformed token"))
  }
  return typeof alg === "string" && asymmetricAlgorithms.includes(alg)
    ? Effect.void
    : Effect.fail(fail("algorithm not allowed"))
}

/** A specific, log-safe reason for a jose rejection; token contents are never echoed. */
const rejectionReason = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) return "token expired"
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === "missing") return `missing ${error.claim} claim`
    switch (error.claim) {
      case "iss":
        return "wrong issuer"
      case "aud":
        return "wrong audience"
      case "nbf":
        return "token not yet valid"
      default:
        return `invalid ${error.claim} claim`
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return "bad signature"
  if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm not allowed"
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown signing key"
  if (error instanceof errors.JWKSMultipleMatchingKeys) return "ambiguous signing key"
  if (error instanceof errors.JOSENotSupported) return "unsupported token"
  return "malformed token"
}

export interface VerifyOptions {
  readonly issuer: string
  readonly audience: string
  readonly clockTolerance: Duration.Duration
  readonly requiredClaims: ReadonlyArray<string>
}

/**
 * Signature, algorithm, issuer, audience and time checks. Time comes from
 * the Effect `Clock`, so expiry is testable and consistent with the rest of
 * the program. A key set that cannot be fetched is a defect, not a rejection.
 */
export const verifyJwt = (
  token: string,
  keys: JWTVerifyGetKey,
  options: VerifyOptions,
  fail: (reason: string) => Unauthenticated
): Effect.Effect<JWTPayload, Unauthenticated> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.tryPromise({
      try: () =>
        jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [...asymmetricAlgorithms],
          clockTolerance: Duration.toSeconds(options.clockTolerance),
          currentDate: new Date(now),
          requiredClaims: [...options.requiredClaims]
        }),
      catch: (error) => error
    }).pipe(
      Effect.map((result) => result.payload),
      Effect.catchAll((error) =>
        error instanceof KeySetUnavailable ? Effect.die(error) : Effect.fail(fail(rejectionReason(error)))
      )
    )
  )

export interface ClaimNames {
  readonly groupsClaim: string
  readonly tenantClaim: Option.Option<string>
}

const stringClaim = (payload: JWTPayload, name: string): string | undefined => {
  const value = payload[name]
  return typeof value === "string" && value !== "" ? value : undefined
}

/**
 * Groups drive authorisation, so anything unexpected yields fewer groups,
 * never a failure nor a stringified object: a single string is one group,
 * non-string members of an array are dropped.
 */
const groupsOf = (value: unknown): ReadonlyArray<string> => {
  if (typeof value === "string") return value === "" ? [] : [value]
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === "string" && group !== "")
  return []
}

/** Maps a verified claims set to the identity, or names the claim that makes it unusable. */
export const identityFromClaims = (
  issuer: string,
  payload: JWTPayload,
  names: ClaimNames,
  fail: (reason: string) => Unauthenticated
): Effect.Effect<ExternalIdentity, Unauthenticated> => {
  const subject = stringClaim(payload, "sub")
  if (subject === undefined) return Effect.fail(fail("invalid sub claim"))
  const exp = payload.exp
  // JSON.parse turns 1e400 into Infinity: a token that would never expire.
  if (exp !== undefined && !Number.isFinite(exp)) return Effect.fail(fail("invalid exp claim"))
  const email = stringClaim(payload, "email")
  const displayName = stringClaim(payload, "name") ?? stringClaim(payload, "preferred_username")
  const tenant = Option.getOrUndefined(Option.flatMapNullable(names.tenantClaim, (name) => stringClaim(payload, name)))
  return Effect.succeed(
    new ExternalIdentity({
      provider: "oidc",
      issuer,
      subject,
      groups: groupsOf(payload[names.groupsClaim]),
      ...(email === undefined ? {} : { email }),
      ...(displayName === undefined ? {} : { displayName }),
      ...(tenant === undefined ? {} : { tenant }),
      ...(exp === undefined ? {} : { expiresAt: exp * 1000 })
    })
  )
}
