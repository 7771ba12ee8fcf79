import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"

/**
 * API key format: `mlk_<key id: 16 hex>_<secret: 43 base64url chars>`. The
 * key id is public (it finds the row); the secret carries 256 random bits,
 * so a fast keyed digest (HMAC-SHA-256 with a server-side pepper) is as safe
 * as a slow password hash would be, at a cost ingest can afford on every
 * request.
 */
const keyPattern = /^mlk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/

/** A fresh key: its id, and the whole key to show once. */
export const generateKey = (): { readonly keyId: string; readonly key: Redacted.Redacted<string> } => {
  const keyId = randomBytes(8).toString("hex")
  return { keyId, key: Redacted.make(`mlk_${keyId}_${randomBytes(32).toString("base64url")}`) }
}

/** The key id of a well-formed key, or undefined. */
export const parseKey = (key: string): { readonly keyId: string } | undefined => {
  const match = keyPattern.exec(key)
  return match?.[1] === undefined ? undefined : { keyId: match[1] }
}

/** The stored digest of a key under the pepper (hex). */
export const digestKey = (pepper: Redacted.Redacted<string>, key: string): string =>
  createHmac("sha256", Redacted.value(pepper)).update(key).digest("hex")

/** Whether `key` matches a stored digest, compared in constant time. */
export const matchesDigest = (pepper: Redacted.Redacted<string>, key: string, digest: string): boolean => {
  const expected = Buffer.from(digest, "hex")
  const actual = Buffer.from(digestKey(pepper, key), "hex")
  return expected.length === actual.length && timingSafeEqual(expected, actual)
}
