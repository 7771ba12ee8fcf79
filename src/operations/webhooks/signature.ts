import { createHmac, timingSafeEqual } from "node:crypto"

/**
 * MLflow's webhook signature (itself the Standard Webhooks scheme): HMAC-SHA256,
 * keyed by the secret's UTF-8 bytes, over `<delivery id>.<unix seconds>.<body>`,
 * sent as `X-MLflow-Signature: v1,<base64>` next to `X-MLflow-Delivery-Id`
 * and `X-MLflow-Timestamp`. A receiver written for MLflow verifies ours.
 */
export const signatureHeaders = {
  signature: "x-mlflow-signature",
  deliveryId: "x-mlflow-delivery-id",
  timestamp: "x-mlflow-timestamp"
} as const

/**
 * The `X-MLflow-Signature` value of one request.
 *
 * @example
 * ```ts
 * const header = signWebhook({ secret, deliveryId, timestamp: "1767225600", payload: body })
 * ```
 */
export const signWebhook = (input: {
  readonly secret: string
  readonly deliveryId: string
  readonly timestamp: string
  readonly payload: string
}): string =>
  `v1,${createHmac("sha256", input.secret)
    .update(`${input.deliveryId}.${input.timestamp}.${input.payload}`)
    .digest("base64")}`

/**
 * Whether a received request carries a valid signature, for receivers
 * written in TypeScript: any `v1` signature of the (space-separated) header
 * matches, compared in constant time, and the timestamp lies within
 * `toleranceSeconds` (default 300) of `nowSeconds` so a captured request
 * cannot be replayed later.
 *
 * @example
 * ```ts
 * const ok = verifyWebhook({
 *   secret,
 *   deliveryId: req.headers["x-mlflow-delivery-id"],
 *   timestamp: req.headers["x-mlflow-timestamp"],
 *   signature: req.headers["x-mlflow-signature"],
 *   payload: rawBody,
 *   nowSeconds: Math.floor(Date.now() / 1000)
 * })
 * ```
 */
export const verifyWebhook = (input: {
  readonly secret: string
  readonly deliveryId: string | undefined
  readonly timestamp: string | undefined
  readonly signature: string | undefined
  readonly payload: string
  readonly nowSeconds: number
  readonly toleranceSeconds?: number
}): boolean => {
  const { deliveryId, timestamp, signature } = input
  if (deliveryId === undefined || timestamp === undefined || signature === undefined) return false
  if (!/^\d+$/.test(timestamp)) return false
  if (Math.abs(input.nowSeconds - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(signWebhook({ secret: input.secret, deliveryId, timestamp, payload: input.payload }))
  return signature
    .split(" ")
    .map((candidate) => Buffer.from(candidate))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))
}
