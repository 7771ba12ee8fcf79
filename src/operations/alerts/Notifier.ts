import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type { HttpBodyError } from "@effect/platform/HttpBody"
import { type Cause, Duration, Effect, Schedule, Schema } from "effect"
import type { AlertNotification } from "./model.js"

/** A notifier gave up on a notification (after its own retries). */
export class NotificationFailed extends Schema.TaggedError<NotificationFailed>()("NotificationFailed", {
  notifier: Schema.String,
  rule: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `notifier ${this.notifier} could not announce alert ${this.rule}: ${this.reason}`
  }
}

/** Somewhere alert transitions are announced: called once per transition to firing and once per resolution. */
export interface Notifier {
  readonly name: string
  readonly notify: (notification: AlertNotification) => Effect.Effect<void, NotificationFailed>
}

const title = (notification: AlertNotification) =>
  `[${notification.status.toUpperCase()}] ${notification.rule}${notification.series === "" ? "" : ` {${notification.series}}`}`

const formatValue = (value: number | null) => (value === null ? "no data" : String(value))

/**
 * Writes each transition as an Effect log line (warning when firing, info
 * when resolved) annotated with the rule, series, value and labels, so it
 * reaches whatever logger the program installed.
 *
 * @example
 * ```ts
 * AlertEvaluator.layer({ rules, notifiers: [logNotifier] })
 * ```
 */
export const logNotifier: Notifier = {
  name: "log",
  notify: (notification) =>
    (notification.status === "firing" ? Effect.logWarning : Effect.logInfo)(
      `${title(notification)}: ${notification.summary}`
    ).pipe(
      Effect.annotateLogs({
        "alert.rule": notification.rule,
        "alert.series": notification.series,
        "alert.status": notification.status,
        "alert.value": formatValue(notification.value),
        ...Object.fromEntries(Object.entries(notification.labels).map(([key, value]) => [`alert.label.${key}`, value]))
      })
    )
}

/**
 * The Slack incoming-webhook body of a notification: `text` (the fallback
 * and what non-block clients show), a section and a context block, and an
 * attachment whose colour tells firing (red) from resolved (green).
 */
export const slackMessage = (notification: AlertNotification) => {
  const details = [
    `*${title(notification)}*`,
    notification.summary,
    `value: \`${formatValue(notification.value)}\``,
    ...Object.entries(notification.annotations).map(([key, value]) => `${key}: ${value}`)
  ]
    .filter((line) => line !== "")
    .join("\n")
  const labels = Object.entries(notification.labels).map(([key, value]) => `${key}=${value}`)
  return {
    text: `${title(notification)}: ${notification.summary}`,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: details } },
      ...(labels.length === 0 ? [] : [{ type: "context", elements: [{ type: "mrkdwn", text: labels.join("  ") }] }])
    ],
    attachments: [
      {
        color: notification.status === "firing" ? "#d00000" : "#2eb886",
        fallback: `${title(notification)}: ${notification.summary}`,
        ts: Math.floor(notification.at / 1000)
      }
    ]
  }
}

/** Options of {@link makeWebhookNotifier}. */
export interface WebhookOptions {
  readonly url: string
  /** Retries of a transport error, timeout, 408, 429 or 5xx (default 5). */
  readonly retries?: number
  /** First delay of the exponential backoff between retries (default 1 second). */
  readonly backoff?: Duration.DurationInput
  /** Time allowed to each attempt (default 10 seconds). */
  readonly timeout?: Duration.DurationInput
}

/**
 * Why a webhook post failed, from the error's kind and status only: the
 * platform's own messages quote the URL, and a webhook URL is a secret (Slack's
 * path is its credential), so it must reach neither logs nor traces.
 */
const failureReason = (error: HttpClientError.HttpClientError | HttpBodyError | Cause.TimeoutException): string => {
  switch (error._tag) {
    case "HttpBodyError":
      return "the message could not be encoded"
    case "TimeoutException":
      return "the receiver did not answer in time"
    case "RequestError":
      return `the request failed (${error.reason})`
    case "ResponseError":
      return `the receiver answered ${error.response.status} (${error.reason})`
  }
}

/**
 * Posts each transition as Slack-compatible JSON to a webhook URL (Slack
 * incoming webhooks, Mattermost, Rocket.Chat, or any receiver of JSON),
 * retrying transient failures with exponential backoff. The URL is kept
 * out of errors, logs and client spans.
 *
 * @example
 * ```ts
 * const webhook = yield* makeWebhookNotifier({ url: "https://hooks.slack.com/services/T/B/X" })
 * ```
 */
export const makeWebhookNotifier = (options: WebhookOptions) =>
  Effect.map(HttpClient.HttpClient, (base): Notifier => {
    const client = base.pipe(
      // The client span would export the secret URL as `url.full`.
      HttpClient.withTracerDisabledWhen(() => true),
      HttpClient.filterStatusOk,
      HttpClient.transformResponse(Effect.timeout(options.timeout ?? Duration.seconds(10))),
      HttpClient.retryTransient({
        schedule: Schedule.exponential(options.backoff ?? Duration.seconds(1)),
        times: options.retries ?? 5
      })
    )
    return {
      name: "webhook",
      notify: (notification) =>
        HttpClientRequest.post(options.url).pipe(
          HttpClientRequest.bodyJson(slackMessage(notification)),
          Effect.flatMap(client.execute),
          Effect.asVoid,
          Effect.scoped,
          Effect.mapError(
            (error) =>
              new NotificationFailed({
                notifier: "webhook",
                rule: notification.rule,
                reason: failureReason(error)
              })
          ),
          Effect.withSpan("WebhookNotifier.notify", { attributes: { "alert.rule": notification.rule } })
        )
    }
  })
