/**
 * Authenticated encryption of small values for cookies: AES-256-GCM, then
 * HMAC-SHA-256 over the result (encrypt-then-MAC), each with its own key
 * derived from the configured secret by HKDF. Internal to the session module.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto"
import { Option, Redacted } from "effect"

interface DerivedKeys {
  readonly encryption: Buffer
  readonly mac: Buffer
}

const derive = (secret: Redacted.Redacted<string>): DerivedKeys => {
  const material = Buffer.from(Redacted.value(secret), "utf8")
  const key = (info: string) => Buffer.from(hkdfSync("sha256", material, "effect-mlops", info, 32))
  return { encryption: key("session encryption v1"), mac: key("session mac v1") }
}

/** Far above a session (~500 characters) and far below what a header may carry. */
const maxTokenLength = 4096
const version = "v1"
const ivLength = 12
const tagLength = 16
const macLength = 32

const mac = (keys: DerivedKeys, purpose: string, body: string): Buffer =>
  createHmac("sha256", keys.mac).update(`${purpose}\n${body}`).digest()

/** Seals and opens values; the purpose binds a value to one use (a session cookie is not a login cookie). */
export interface Sealer {
  readonly seal: (purpose: string, plaintext: string) => string
  /** The plaintext, or None for anything not sealed by one of the keys for this purpose. Never throws. */
  readonly unseal: (purpose: string, token: string) => Option.Option<string>
}

/**
 * A sealer whose first key seals and every key opens, so a rotated-out key
 * keeps its cookies readable until they expire.
 */
export const makeSealer = (secrets: ReadonlyArray<Redacted.Redacted<string>>): Sealer => {
  const keys = secrets.map(derive)
  const current = keys[0]
  if (current === undefined) throw new Error("makeSealer needs at least one key")

  const seal = (purpose: string, plaintext: string): string => {
    const iv = randomBytes(ivLength)
    const cipher = createCipheriv("aes-256-gcm", current.encryption, iv, { authTagLength: tagLength })
    cipher.setAAD(Buffer.from(purpose, "utf8"))
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
    const body = [version, iv, ciphertext, cipher.getAuthTag()]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".")
    return `${body}.${mac(current, purpose, body).toString("base64url")}`
  }

  const open = (keys: DerivedKeys, purpose: string, parts: ReadonlyArray<string>): Option.Option<string> => {
    const [, iv = "", ciphertext = "", tag = "", signature = ""] = parts
    const body = parts.slice(0, 4).join(".")
    const received = Buffer.from(signature, "base64url")
    if (received.length !== macLength || !timingSafeEqual(received, mac(keys, purpose, body))) return Option.none()
    try {
      const decipher = createDecipheriv("aes-256-gcm", keys.encryption, Buffer.from(iv, "base64url"), {
        authTagLength: tagLength
      })
      decipher.setAAD(Buffer.from(purpose, "utf8"))
      decipher.setAuthTag(Buffer.from(tag, "base64url"))
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()])
      return Option.some(plaintext.toString("utf8"))
    } catch {
      return Option.none()
    }
  }

  const unseal = (purpose: string, token: string): Option.Option<string> => {
    if (typeof token !== "string" || token.length > maxTokenLength) return Option.none()
    const parts = token.split(".")
    if (parts.length !== 5 || parts[0] !== version) return Option.none()
    for (const candidate of keys) {
      const opened = open(candidate, purpose, parts)
      if (Option.isSome(opened)) return opened
    }
    return Option.none()
  }

  return { seal, unseal }
}
