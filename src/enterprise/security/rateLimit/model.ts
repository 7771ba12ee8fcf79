import { Schema } from "effect"

/**
 * A token bucket's size: it refills at `ratePerSecond` tokens a second up to
 * `burst` tokens, and a request takes one (or its cost). A caller idle long
 * enough may send `burst` requests at once; sustained, it gets
 * `ratePerSecond` a second.
 */
export const RateLimit = Schema.Struct({
  /** Tokens added per second: the sustained rate. Positive; fractions allowed (0.5 is one request every 2 s). */
  ratePerSecond: Schema.Number.pipe(Schema.finite(), Schema.positive()),
  /** The bucket's capacity: the most requests allowed at once after a pause. At least 1. */
  burst: Schema.Number.pipe(Schema.finite(), Schema.greaterThanOrEqualTo(1))
})
export type RateLimit = typeof RateLimit.Type

/** One bucket a request draws from: `key` names it (e.g. `tenant:acme`), `limit` sizes it. */
export interface RateLimitKey {
  readonly key: string
  readonly limit: RateLimit
}

/**
 * The answer of `RateLimiter.take`. Allowed: the tokens were taken from every
 * bucket, and `remaining` / `burst` describe the bucket closest to refusal
 * (whole tokens left after this take, and its capacity; both `Infinity` when
 * no key was given). Refused: nothing was taken; `retryAfterMillis` is how
 * long until every bucket holds enough tokens if nobody else draws from them,
 * and `key` / `burst` name the bucket that needs the longest wait.
 */
export type RateLimitDecision =
  | { readonly allowed: true; readonly remaining: number; readonly burst: number }
  | { readonly allowed: false; readonly retryAfterMillis: number; readonly key: string; readonly burst: number }

/**
 * A request refused because its caller, or the caller's tenant, sent more
 * than its rate limit allows. The native API answers it with status 429, a
 * `Retry-After` header, and this error as the body.
 *
 * @example
 * ```ts
 * // the body of a 429 from /api/v1/...
 * Schema.decodeUnknown(RateLimited)(body) // { _tag: "RateLimited", message, retryAfterSeconds }
 * ```
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  message: Schema.String,
  /** Whole seconds to wait before retrying, as in the `Retry-After` header; at least 1. */
  retryAfterSeconds: Schema.Int.pipe(Schema.positive())
}) {}
