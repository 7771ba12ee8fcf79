import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Duration, Effect, Option, Random, type Scope, Stream } from "effect"
import { signatureHeaders, signWebhook } from "./signature.js"
import { literalHostRefusal, PrivateAddressRefused, publicOnlyLookup } from "./url.js"

/** How deliveries are sent and retried. */
export interface DeliveryPolicy {
  readonly maxAttempts: number
  readonly timeout: Duration.Duration
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  readonly allowPrivateNetworks: boolean
}

/** What one POST came to: the answer's status and the start of its body, or why there was no answer. */
export interface SendResult {
  readonly status: number | null
  readonly body: string
  readonly error: string | null
  readonly retryAfter: string | undefined
  /** No answer can ever succeed: the host is not allowed. */
  readonly refused: boolean
}

/** The longest a `Retry-After` may hold a subscription back. */
const longestRetryAfter = Duration.hours(1)
/** How much of an answer's body the log keeps. */
const bodyLimit = 1000

const readBody = (stream: Stream.Stream<Uint8Array, unknown>) =>
  stream.pipe(
    Stream.decodeText(),
    Stream.runFoldWhile(
      "",
      (text) => text.length < bodyLimit,
      (text, chunk) => text + chunk
    ),
    Effect.map((text) => text.slice(0, bodyLimit)),
    Effect.orElseSucceed(() => "")
  )

const failure = (error: string, refused = false): SendResult => ({
  status: null,
  body: "",
  error,
  retryAfter: undefined,
  refused
})

/** A transport error's outcome: refused for good when the connection's lookup found a private address. */
const transportFailure = (error: HttpClientError.HttpClientError): SendResult =>
  error.cause instanceof PrivateAddressRefused ? failure(error.cause.message, true) : failure(error.message)

/**
 * The client deliveries go out through, with connection pools (Node's HTTP
 * and HTTPS agents) of its own, closed with `Scope`. Unless private networks
 * are allowed, every connection resolves its host with
 * {@link publicOnlyLookup}, so the address checked is the address connected
 * to. Redirects are never followed (the client has no redirect policy), so a
 * 3xx comes back as the answer and cannot lead a request into a private
 * network.
 *
 * @example
 * ```ts
 * const client = yield* deliveryClient(false)
 * ```
 */
export const deliveryClient = (
  allowPrivateNetworks: boolean
): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  NodeHttpClient.make.pipe(
    Effect.provideServiceEffect(
      NodeHttpClient.HttpAgent,
      NodeHttpClient.makeAgent(allowPrivateNetworks ? {} : { lookup: publicOnlyLookup })
    )
  )

/**
 * One signed POST of `payload` to `url` through a {@link deliveryClient}
 * (which follows no redirect): the answer's body
 * is read up to 1,000 characters, and the request gives up after the
 * policy's timeout. Never fails: every outcome is a {@link SendResult}.
 */
export const send = (
  client: HttpClient.HttpClient,
  policy: DeliveryPolicy,
  request: {
    readonly url: string
    readonly secret: string
    readonly deliveryId: string
    readonly payload: string
    readonly nowMillis: number
  }
): Effect.Effect<SendResult> => {
  const url = new URL(request.url)
  const timestamp = String(Math.floor(request.nowMillis / 1000))
  const post = HttpClientRequest.post(url).pipe(
    HttpClientRequest.setHeaders({
      [signatureHeaders.deliveryId]: request.deliveryId,
      [signatureHeaders.timestamp]: timestamp,
      [signatureHeaders.signature]: signWebhook({
        secret: request.secret,
        deliveryId: request.deliveryId,
        timestamp,
        payload: request.payload
      }),
      "user-agent": "effect-mlops-webhooks"
    }),
    HttpClientRequest.bodyText(request.payload, "application/json")
  )
  const exchange = client.execute(post).pipe(
    Effect.flatMap((response) =>
      Effect.map(
        readBody(response.stream),
        (body): SendResult => ({
          status: response.status,
          body,
          error: response.status >= 200 && response.status < 300 ? null : `HTTP ${response.status}`,
          retryAfter: response.headers["retry-after"],
          refused: false
        })
      )
    ),
    Effect.timeoutFail({
      duration: policy.timeout,
      onTimeout: () => `no answer within ${Duration.format(policy.timeout)}`
    }),
    Effect.catchAll((error) => Effect.succeed(typeof error === "string" ? failure(error) : transportFailure(error)))
  )
  const refusal = policy.allowPrivateNetworks ? undefined : literalHostRefusal(url)
  return refusal === undefined ? exchange : Effect.succeed(failure(refusal, true))
}

/** What the worker does after an attempt. */
export type Verdict =
  | { readonly _tag: "Delivered" }
  | { readonly _tag: "Failed" }
  | { readonly _tag: "Retry"; readonly delayMillis: number }

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date; RFC 9110 §10.2.3), at most an hour. */
const retryAfterMillis = (header: string | undefined, nowMillis: number): Option.Option<number> => {
  const value = header?.trim()
  if (value === undefined || value === "") return Option.none()
  const millis = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - nowMillis
  return Number.isFinite(millis)
    ? Option.some(Math.min(Math.max(0, millis), Duration.toMillis(longestRetryAfter)))
    : Option.none()
}

/**
 * The verdict on attempt number `attempt`: a 2xx is delivered; a redirect or
 * a 4xx other than 408 and 429 will not change on a retry, so it fails for
 * good, as does a refused host; anything else (5xx, 408, 429, no answer) is
 * retried after an exponential backoff with jitter (half to all of
 * `baseDelay·2^(attempt-1)`, at most `maxDelay`), or after the answer's
 * `Retry-After` when that is longer, until `maxAttempts` attempts are spent.
 */
export const judge = (
  policy: DeliveryPolicy,
  result: SendResult,
  attempt: number,
  nowMillis: number
): Effect.Effect<Verdict> => {
  const status = result.status
  if (status !== null && status >= 200 && status < 300) return Effect.succeed({ _tag: "Delivered" })
  const permanent =
    result.refused || (status !== null && status >= 300 && status < 500 && status !== 408 && status !== 429)
  if (permanent || attempt >= policy.maxAttempts) return Effect.succeed({ _tag: "Failed" })
  const ceiling = Math.min(Duration.toMillis(policy.baseDelay) * 2 ** (attempt - 1), Duration.toMillis(policy.maxDelay))
  return Effect.map(Random.nextRange(0.5, 1), (factor) => {
    const backoff = Math.round(ceiling * factor)
    const asked = Option.getOrElse(retryAfterMillis(result.retryAfter, nowMillis), () => 0)
    return { _tag: "Retry", delayMillis: Math.max(backoff, asked) }
  })
}
