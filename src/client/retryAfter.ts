import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpClientError from "@effect/platform/HttpClientError"
import { Clock, Duration, Effect, Option, Schedule } from "effect"

/** The longest wait a server's `Retry-After` can impose on one retry. */
const longestWait = Duration.minutes(1)

/** The HTTP answer behind a failure: the error itself, or a cause it wraps (as the metric buffer's `Retry`). */
const responseOf = (error: unknown, depth = 0): HttpClientResponse.HttpClientResponse | undefined => {
  if (HttpClientError.isHttpClientError(error)) return error._tag === "ResponseError" ? error.response : undefined
  if (depth < 2 && typeof error === "object" && error !== null && "cause" in error) {
    return responseOf(error.cause, depth + 1)
  }
  return undefined
}

/**
 * How long a refused request's `Retry-After` asks to wait (delta-seconds or
 * an HTTP date; RFC 9110 §10.2.3), at most a minute; none without the header.
 */
export const retryAfterOf = (error: unknown, now: number): Option.Option<Duration.Duration> => {
  const header = responseOf(error)?.headers["retry-after"]?.trim()
  if (header === undefined || header === "") return Option.none()
  const millis = /^\d+$/.test(header) ? Number(header) * 1000 : Date.parse(header) - now
  return Number.isFinite(millis)
    ? Option.some(Duration.min(Duration.millis(Math.max(0, millis)), longestWait))
    : Option.none()
}

/**
 * `schedule`, except that a failure answered with `Retry-After` (a 429 of
 * the server's rate limits, a 503) waits at least as long as it asks.
 *
 * @example
 * ```ts
 * const retrying = HttpClient.retryTransient(client, { schedule: honouringRetryAfter(Schedule.exponential("100 millis")) })
 * ```
 */
export const honouringRetryAfter = <Out, In, R>(
  schedule: Schedule.Schedule<Out, In, R>
): Schedule.Schedule<[Out, In], In, R> =>
  schedule.pipe(
    Schedule.intersect(Schedule.identity<In>()),
    Schedule.modifyDelayEffect(([, input], delay) =>
      Effect.map(Clock.currentTimeMillis, (now) =>
        Option.match(retryAfterOf(input, now), { onNone: () => delay, onSome: (wait) => Duration.max(wait, delay) })
      )
    )
  )
