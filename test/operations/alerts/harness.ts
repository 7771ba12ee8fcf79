import { randomUUID } from "node:crypto"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import {
  Context,
  Duration,
  Effect,
  Layer,
  type MetricPair,
  Option,
  Ref,
  Schedule,
  type Scope,
  TestServices
} from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { AlertEvaluator, type AlertEvaluatorShape } from "../../../src/operations/alerts/AlertEvaluator.js"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import { decodeAlertRules } from "../../../src/operations/alerts/load.js"
import type { AlertNotification, AlertRuleSet } from "../../../src/operations/alerts/model.js"
import type { Notifier } from "../../../src/operations/alerts/Notifier.js"

/** A metric name no other test uses: Effect's metric registry is global to the process. */
export const unique = (base: string) => `${base}_${randomUUID().slice(0, 8)}`

/** A notifier that remembers what it was told, and the list it fills. */
export const recordingNotifier = Effect.map(Ref.make<ReadonlyArray<AlertNotification>>([]), (received) => {
  const notifier: Notifier = {
    name: "recording",
    notify: (notification) => Ref.update(received, (all) => [...all, notification])
  }
  return { notifier, received: Ref.get(received) }
})

/** A rule set evaluated every minute, from rules written as in a file. */
export const everyMinute = (...rules: ReadonlyArray<Record<string, unknown>>) =>
  decodeAlertRules({ evaluationInterval: "1m", rules }).pipe(Effect.orDie)

/**
 * Waits (on the real clock, a few milliseconds at a time) until the evaluator
 * has finished its tick at the current test time: a tick over a database
 * completes asynchronously after `TestClock.adjust` woke it.
 */
export const ticked = (evaluator: AlertEvaluatorShape, at: number) =>
  TestServices.provideLive(
    evaluator.lastTick.pipe(
      Effect.repeat({
        until: (last) => Option.getOrElse(last, () => -1) >= at,
        schedule: Schedule.spaced(Duration.millis(5))
      }),
      Effect.timeoutFail({ duration: Duration.seconds(10), onTimeout: () => new Error(`no tick at ${at}`) }),
      Effect.orDie
    )
  )

interface Received {
  readonly body: unknown
  readonly contentType: string | undefined
}

/**
 * A real HTTP receiver on a free loopback port that answers the given
 * statuses in turn (then 200) and records each request; closed with the scope.
 */
export const receiver = (statuses: ReadonlyArray<number> = []) =>
  Effect.gen(function* () {
    const received: Array<Received> = []
    const server = yield* Effect.acquireRelease(
      Effect.async<http.Server>((resume) => {
        let answered = 0
        const server = http.createServer((request, response) => {
          const chunks: Array<Buffer> = []
          request.on("data", (chunk: Buffer) => chunks.push(chunk))
          request.on("end", () => {
            const entry = {
              body: JSON.parse(Buffer.concat(chunks).toString("utf8")),
              contentType: request.headers["content-type"]
            }
            received.push(entry)
            response.statusCode = statuses[answered++] ?? 200
            response.end("ok")
          })
        })
        server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
      }),
      (server) =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
        })
    )
    const { port } = server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/hooks/alerts`, received: Effect.sync(() => [...received]) }
  })

const Tracking = ModelRegistry.layerMemory.pipe(Layer.provideMerge(ExperimentTracker.layerMemory))

/** The store in context (shared by a test's replicas) as it is. */
export const asIs = Layer.effect(AlertStore, AlertStore)

/**
 * One replica: an evaluator over `store` (a view of the store shared by the
 * test's replicas), built in `scope` so a test can stop it.
 */
export const startReplica = (
  rules: AlertRuleSet,
  notifier: Notifier,
  instanceId: string,
  store: Layer.Layer<AlertStore, never, AlertStore>,
  scope: Scope.Scope,
  metrics?: Effect.Effect<ReadonlyArray<MetricPair.MetricPair.Untyped>>
) =>
  Layer.buildWithScope(
    AlertEvaluator.layer({
      rules,
      notifiers: [notifier],
      instanceId,
      ...(metrics === undefined ? {} : { metrics })
    }).pipe(Layer.provide(Tracking), Layer.provide(store)),
    scope
  ).pipe(Effect.map(Context.get(AlertEvaluator)))
