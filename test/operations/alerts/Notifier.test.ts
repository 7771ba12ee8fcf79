import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Logger, Metric, Tracer } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { AlertEvaluator } from "../../../src/operations/alerts/AlertEvaluator.js"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import type { AlertNotification } from "../../../src/operations/alerts/model.js"
import { logNotifier, makeWebhookNotifier } from "../../../src/operations/alerts/Notifier.js"
import { freePort } from "../../support/freePort.js"
import { everyMinute, receiver, ticked, unique } from "./harness.js"

const firing: AlertNotification = {
  rule: "champion-accuracy",
  series: "",
  status: "firing",
  value: 0.85,
  labels: { severity: "page" },
  annotations: { run_id: "0123456789abcdef0123456789abcdef" },
  summary: "churn@champion val_accuracy is 0.85",
  activeSince: 1_700_000_000_000,
  at: 1_700_000_600_000
}

describe("webhook notifier", () => {
  it.live("posts a Slack-compatible message: text, blocks and a coloured attachment", () =>
    Effect.gen(function* () {
      const hook = yield* receiver()
      const notifier = yield* makeWebhookNotifier({ url: hook.url })
      yield* notifier.notify(firing)
      const [request] = yield* hook.received
      assert.strictEqual(request?.contentType, "application/json")
      const body = request?.body as {
        text: string
        blocks: ReadonlyArray<{ type: string; text?: { text: string } }>
        attachments: ReadonlyArray<{ color: string }>
      }
      assert.strictEqual(body.text, "[FIRING] champion-accuracy: churn@champion val_accuracy is 0.85")
      assert.deepStrictEqual(
        body.blocks.map((block) => block.type),
        ["section", "context"]
      )
      assert.include(body.blocks[0]?.text?.text ?? "", "run_id: 0123456789abcdef0123456789abcdef")
      assert.strictEqual(body.attachments[0]?.color, "#d00000")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer))
  )

  it.live("retries a receiver that answers 503, then delivers once", () =>
    Effect.gen(function* () {
      const hook = yield* receiver([503, 503])
      const notifier = yield* makeWebhookNotifier({ url: hook.url, backoff: "5 millis" })
      yield* notifier.notify({ ...firing, status: "resolved" })
      const requests = yield* hook.received
      assert.lengthOf(requests, 3)
      assert.strictEqual((requests[2]?.body as { text: string }).text.startsWith("[RESOLVED]"), true)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer))
  )

  it.live("gives up with NotificationFailed on a client error, without retrying", () =>
    Effect.gen(function* () {
      const hook = yield* receiver([404])
      const notifier = yield* makeWebhookNotifier({ url: hook.url, backoff: "5 millis" })
      const error = yield* Effect.flip(notifier.notify(firing))
      assert.strictEqual(error._tag, "NotificationFailed")
      assert.strictEqual(error.rule, "champion-accuracy")
      assert.lengthOf(yield* hook.received, 1)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer))
  )
})

describe("webhook notifier secrecy", () => {
  // The path of a Slack webhook URL is its credential.
  const secretPath = "/services/T000/B000/SECRET"

  it.live("a receiver answering 500 fails with its status, never the URL", () =>
    Effect.gen(function* () {
      const hook = yield* receiver([500])
      const notifier = yield* makeWebhookNotifier({ url: hook.url.replace("/hooks/alerts", secretPath), retries: 0 })
      const error = yield* Effect.flip(notifier.notify(firing))
      assert.include(error.reason, "500")
      assert.notInclude(error.message, secretPath)
      assert.notInclude(error.message, "127.0.0.1")
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer))
  )

  it.live("a webhook post exports no span attribute holding the URL", () =>
    Effect.gen(function* () {
      const base = yield* Effect.tracer
      const spans: Array<Tracer.Span> = []
      const recording = Tracer.make({
        span: (...args) => {
          const span = base.span(...args)
          spans.push(span)
          return span
        },
        context: (f, fiber) => base.context(f, fiber)
      })
      const hook = yield* receiver()
      const notifier = yield* makeWebhookNotifier({ url: hook.url.replace("/hooks/alerts", secretPath) })
      yield* notifier.notify(firing).pipe(Effect.withTracer(recording))
      assert.include(
        spans.map((span) => span.name),
        "WebhookNotifier.notify"
      )
      for (const span of spans)
        for (const [key, value] of span.attributes) assert.notInclude(String(value), secretPath, key)
    }).pipe(Effect.scoped, Effect.provide(NodeHttpClient.layer))
  )

  it.live("an unreachable webhook leaves the URL out of the evaluator's log", () =>
    Effect.gen(function* () {
      const lines: Array<string> = []
      const capture = Logger.make(({ annotations, cause, message }) => {
        lines.push(JSON.stringify({ message, cause: String(cause), annotations: Object.fromEntries(annotations) }))
      })
      const name = unique("webhook_secrecy")
      yield* Metric.set(Metric.gauge(name), 1)
      const rules = yield* everyMinute({
        kind: "operational",
        name: "up",
        metric: { name },
        aggregation: { kind: "value" },
        op: ">",
        threshold: 0
      })
      const closed = `http://127.0.0.1:${yield* freePort}${secretPath}`
      const webhook = yield* makeWebhookNotifier({ url: closed, retries: 0 })
      const evaluator = AlertEvaluator.layer({ rules, notifiers: [webhook] }).pipe(
        Layer.provide(Layer.mergeAll(AlertStore.layerMemory, ModelRegistry.layerMemory)),
        Layer.provide(ExperimentTracker.layerMemory)
      )
      yield* Effect.flatMap(AlertEvaluator, (running) => ticked(running, 0)).pipe(
        Effect.provide(evaluator),
        Effect.provide(Logger.replace(Logger.defaultLogger, capture))
      )
      const failure = lines.find((line) => line.includes("could not announce alert up"))
      assert.isDefined(failure)
      assert.include(failure ?? "", "Transport")
      for (const line of lines) assert.notInclude(line, secretPath)
    }).pipe(Effect.provide(NodeHttpClient.layer))
  )
})

describe("log notifier", () => {
  it.effect("logs a firing alert as a warning annotated with the rule, value and labels", () =>
    Effect.gen(function* () {
      const lines: Array<{ level: string; message: unknown; annotations: Record<string, unknown> }> = []
      const capture = Logger.make(({ annotations, logLevel, message }) => {
        lines.push({ level: logLevel.label, message, annotations: Object.fromEntries(annotations) })
      })
      yield* logNotifier.notify(firing).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      const [line] = lines
      assert.strictEqual(line?.level, "WARN")
      assert.deepStrictEqual(line?.message, ["[FIRING] champion-accuracy: churn@champion val_accuracy is 0.85"])
      assert.include(line?.annotations ?? {}, {
        "alert.rule": "champion-accuracy",
        "alert.value": "0.85",
        "alert.label.severity": "page"
      })
    })
  )
})
