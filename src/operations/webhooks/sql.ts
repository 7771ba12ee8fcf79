import { randomBytes, randomUUID } from "node:crypto"
import { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { Array as Arr, Clock, Duration, Effect, Either, Option, Redacted, Schema, type Scope } from "effect"
import { CurrentTenant, TenantId } from "../../core/context.js"
import { InvalidArgument } from "../../core/errors.js"
import { withWriteTransaction } from "../../storage/transaction.js"
import { type DeliveryPolicy, deliveryClient, judge, send } from "./delivery.js"
import { WebhookDeliveryNotFound, WebhookNotFound } from "./errors.js"
import {
  CreatedWebhook,
  type CreateWebhook,
  type DeliveriesQuery,
  DeliveryAttempt,
  DeliveryState,
  type UpdateWebhook,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryDetail,
  type WebhookEvent,
  WebhookEventType,
  WebhookStatus,
  WebhookTestResult,
  webhookEventTypes
} from "./model.js"
import { envelope, exampleEvent } from "./payloads.js"
import { checkWebhookUrl } from "./url.js"
import type { WebhooksShape } from "./Webhooks.js"

interface SubscriptionRow {
  readonly subscriptionId: string
  readonly name: string
  readonly url: string
  readonly events: string
  readonly secret: string
  readonly description: string
  readonly status: string
  readonly creationTime: number
  readonly lastUpdatedTime: number
}

interface DeliveryRow {
  readonly deliveryId: string
  readonly subscriptionId: string
  readonly eventType: string
  readonly payload: string
  readonly state: string
  readonly attempts: number
  readonly nextAttemptTime: number
  readonly lastStatus: number | null
  readonly lastError: string | null
  readonly creationTime: number
  readonly deliveredTime: number | null
}

/** A due delivery with what sending it takes. */
interface PendingRow {
  readonly deliveryId: string
  readonly subscriptionId: string
  readonly payload: string
  readonly attempts: number
  readonly nextAttemptTime: number
  readonly url: string
  readonly secret: string
}

const decodeEvents = Schema.decodeUnknownSync(Schema.parseJson(Schema.Array(WebhookEventType)))
const decodeStatus = Schema.decodeUnknownSync(WebhookStatus)
const decodeState = Schema.decodeUnknownSync(DeliveryState)
const decodeEventType = Schema.decodeUnknownSync(WebhookEventType)
const isEventType = Schema.is(WebhookEventType)

const toWebhook = (row: SubscriptionRow) =>
  new Webhook({
    webhookId: row.subscriptionId,
    name: row.name,
    description: row.description,
    url: row.url,
    events: decodeEvents(row.events),
    status: decodeStatus(row.status),
    creationTimestamp: row.creationTime,
    lastUpdatedTimestamp: row.lastUpdatedTime
  })

const toDelivery = (row: DeliveryRow) =>
  new WebhookDelivery({
    deliveryId: row.deliveryId,
    webhookId: row.subscriptionId,
    eventType: decodeEventType(row.eventType),
    payload: JSON.parse(row.payload),
    state: decodeState(row.state),
    attempts: row.attempts,
    nextAttemptTimestamp: row.nextAttemptTime,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    creationTimestamp: row.creationTime,
    deliveredTimestamp: row.deliveredTime
  })

/** The subscribed events, each known and listed once; the first mistake names its index. */
const checkEvents = (
  events: ReadonlyArray<string>
): Either.Either<ReadonlyArray<WebhookEventType>, InvalidArgument> => {
  if (events.length === 0) {
    return Either.left(new InvalidArgument({ field: "events", reason: "must name at least one event" }))
  }
  const unknown = events.findIndex((event) => !isEventType(event))
  if (unknown >= 0) {
    return Either.left(
      new InvalidArgument({
        field: `events[${unknown}]`,
        reason: `"${events[unknown]}" is not an event; one of ${webhookEventTypes.join(", ")}`
      })
    )
  }
  return Either.right(Arr.dedupe(events.filter(isEventType)))
}

const checkText = (field: string, value: string, min: number, max: number) =>
  value.trim().length < min || value.length > max
    ? Either.left(new InvalidArgument({ field, reason: `must be ${min}-${max} characters` }))
    : Either.right(value)

/** The fields of a creation or an update that are given, checked. */
const checkFields = (input: UpdateWebhook, allowPrivateNetworks: boolean) =>
  Either.all({
    name: input.name === undefined ? Either.right(undefined) : checkText("name", input.name, 1, 256),
    url:
      input.url === undefined
        ? Either.right(undefined)
        : Either.map(checkWebhookUrl("url", input.url, allowPrivateNetworks), (url) => url.href),
    events: input.events === undefined ? Either.right(undefined) : checkEvents(input.events),
    secret: input.secret === undefined ? Either.right(undefined) : checkText("secret", input.secret, 16, 1024),
    description:
      input.description === undefined ? Either.right(undefined) : checkText("description", input.description, 0, 1000)
  })

/** How many deliveries of one subscription a worker pass may send. */
const queueBatch = 50
/** How many subscriptions, of every tenant, a worker pass serves at once. */
const passConcurrency = 8

/** {@link WebhooksShape} over the `webhook_*` tables. */
export const make = (policy: DeliveryPolicy): Effect.Effect<WebhooksShape, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const client = yield* deliveryClient(policy.allowPrivateNetworks)
    const inWriteTransaction = withWriteTransaction(sql)

    const findSubscription = (tenant: TenantId, webhookId: string) =>
      sql<SubscriptionRow>`SELECT subscription_id, name, url, events, secret, description, status, creation_time,
        last_updated_time FROM webhook_subscriptions WHERE tenant_id = ${tenant} AND subscription_id = ${webhookId}`.pipe(
        Effect.map(Arr.head)
      )

    const requireSubscription = (tenant: TenantId, webhookId: string) =>
      Effect.flatMap(findSubscription(tenant, webhookId), (row) =>
        Option.match(row, { onNone: () => Effect.fail(new WebhookNotFound({ webhookId })), onSome: Effect.succeed })
      )

    const deliveryColumns = sql.literal(`delivery_id, subscription_id, event_type, payload, state, attempts,
      next_attempt_time, last_status, last_error, creation_time, delivered_time`)

    const findDelivery = (tenant: TenantId, deliveryId: string) =>
      sql<DeliveryRow>`SELECT ${deliveryColumns} FROM webhook_deliveries
        WHERE tenant_id = ${tenant} AND delivery_id = ${deliveryId}`.pipe(
        Effect.flatMap((rows) =>
          Option.match(Arr.head(rows), {
            onNone: () => Effect.fail(new WebhookDeliveryNotFound({ deliveryId })),
            onSome: Effect.succeed
          })
        )
      )

    const insertDelivery = (
      tenant: TenantId,
      subscriptionId: string,
      eventType: string,
      payload: string,
      now: number
    ) =>
      Effect.gen(function* () {
        const deliveryId = randomUUID()
        yield* sql`INSERT INTO webhook_deliveries ${sql.insert({
          deliveryId,
          tenantId: tenant,
          subscriptionId,
          eventType,
          payload,
          state: "pending",
          attempts: 0,
          nextAttemptTime: now,
          creationTime: now
        })}`
        return deliveryId
      })

    const create = Effect.fn("Webhooks.create")(
      function* (input: CreateWebhook) {
        const fields = yield* checkFields(input, policy.allowPrivateNetworks)
        if (fields.name === undefined || fields.url === undefined || fields.events === undefined) {
          return yield* new InvalidArgument({ field: "body", reason: "name, url and events are required" })
        }
        const tenant = yield* CurrentTenant
        const now = yield* Clock.currentTimeMillis
        const secret = fields.secret ?? randomBytes(32).toString("hex")
        const row: SubscriptionRow = {
          subscriptionId: randomUUID().replaceAll("-", ""),
          name: fields.name,
          url: fields.url,
          events: JSON.stringify(fields.events),
          secret,
          description: fields.description ?? "",
          status: input.status ?? "ACTIVE",
          creationTime: now,
          lastUpdatedTime: now
        }
        yield* sql`INSERT INTO webhook_subscriptions ${sql.insert({ ...row, tenantId: tenant })}`
        return new CreatedWebhook({ webhook: toWebhook(row), secret: Redacted.make(secret) })
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const list = Effect.fn("Webhooks.list")(
      function* () {
        const tenant = yield* CurrentTenant
        const rows = yield* sql<SubscriptionRow>`SELECT subscription_id, name, url, events, secret, description, status,
          creation_time, last_updated_time FROM webhook_subscriptions WHERE tenant_id = ${tenant}
          ORDER BY creation_time, subscription_id`
        return rows.map(toWebhook)
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const get = Effect.fn("Webhooks.get")(
      function* (webhookId: string) {
        return toWebhook(yield* requireSubscription(yield* CurrentTenant, webhookId))
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const update = Effect.fn("Webhooks.update")(
      function* (webhookId: string, patch: UpdateWebhook) {
        const fields = yield* checkFields(patch, policy.allowPrivateNetworks)
        const tenant = yield* CurrentTenant
        const current = yield* requireSubscription(tenant, webhookId)
        const row: SubscriptionRow = {
          ...current,
          name: fields.name ?? current.name,
          url: fields.url ?? current.url,
          events: fields.events === undefined ? current.events : JSON.stringify(fields.events),
          secret: fields.secret ?? current.secret,
          description: fields.description ?? current.description,
          status: patch.status ?? current.status,
          lastUpdatedTime: yield* Clock.currentTimeMillis
        }
        yield* sql`UPDATE webhook_subscriptions SET name = ${row.name}, url = ${row.url}, events = ${row.events},
          secret = ${row.secret}, description = ${row.description}, status = ${row.status},
          last_updated_time = ${row.lastUpdatedTime}
          WHERE tenant_id = ${tenant} AND subscription_id = ${webhookId}`
        return toWebhook(row)
      },
      inWriteTransaction,
      Effect.catchTag("SqlError", Effect.die)
    )

    const delete_ = Effect.fn("Webhooks.delete")(
      function* (webhookId: string) {
        const tenant = yield* CurrentTenant
        yield* requireSubscription(tenant, webhookId)
        // The deliveries go first: a worker recording an attempt meanwhile
        // either updates its delivery before (then this waits for it, and the
        // attempt is among those deleted next) or finds it gone and records
        // nothing (see `attempt`).
        yield* sql`DELETE FROM webhook_deliveries WHERE tenant_id = ${tenant} AND subscription_id = ${webhookId}`
        yield* sql`DELETE FROM webhook_delivery_attempts AS a WHERE tenant_id = ${tenant} AND NOT EXISTS
          (SELECT 1 FROM webhook_deliveries d WHERE d.tenant_id = ${tenant} AND d.delivery_id = a.delivery_id)`
        yield* sql`DELETE FROM webhook_subscriptions WHERE tenant_id = ${tenant} AND subscription_id = ${webhookId}`
      },
      inWriteTransaction,
      Effect.catchTag("SqlError", Effect.die)
    )

    const test = Effect.fn("Webhooks.test")(
      function* (webhookId: string, event?: WebhookEventType) {
        const tenant = yield* CurrentTenant
        const row = yield* requireSubscription(tenant, webhookId)
        const subscribed = decodeEvents(row.events)
        const type = event ?? subscribed[0]
        if (type === undefined) {
          return yield* new InvalidArgument({ field: "event", reason: "the webhook subscribes to no event" })
        }
        const now = yield* Clock.currentTimeMillis
        const result = yield* send(client, policy, {
          url: row.url,
          secret: row.secret,
          deliveryId: randomUUID(),
          payload: envelope(exampleEvent(type), tenant, now),
          nowMillis: now
        })
        return new WebhookTestResult({
          success: result.status !== null && result.status >= 200 && result.status < 300,
          ...(result.status === null ? {} : { responseStatus: result.status, responseBody: result.body }),
          ...(result.error === null ? {} : { errorMessage: result.error })
        })
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const deliveries = Effect.fn("Webhooks.deliveries")(
      function* (query: DeliveriesQuery = {}) {
        const limit = query.limit ?? 100
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
          return yield* new InvalidArgument({ field: "limit", reason: "must be an integer from 1 to 1000" })
        }
        const tenant = yield* CurrentTenant
        if (query.webhookId !== undefined) yield* requireSubscription(tenant, query.webhookId)
        const bySubscription = query.webhookId === undefined ? sql`1=1` : sql`subscription_id = ${query.webhookId}`
        const byState = query.state === undefined ? sql`1=1` : sql`state = ${query.state}`
        const rows = yield* sql<DeliveryRow>`SELECT ${deliveryColumns} FROM webhook_deliveries
          WHERE tenant_id = ${tenant} AND ${bySubscription} AND ${byState}
          ORDER BY delivery_seq DESC LIMIT ${limit}`
        return rows.map(toDelivery)
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const getDelivery = Effect.fn("Webhooks.getDelivery")(
      function* (deliveryId: string) {
        const tenant = yield* CurrentTenant
        const row = yield* findDelivery(tenant, deliveryId)
        const attempts = yield* sql<{
          readonly attempt: number
          readonly attemptTime: number
          readonly status: number | null
          readonly error: string | null
          readonly durationMs: number
        }>`SELECT attempt, attempt_time, status, error, duration_ms FROM webhook_delivery_attempts
          WHERE tenant_id = ${tenant} AND delivery_id = ${deliveryId} ORDER BY attempt`
        return new WebhookDeliveryDetail({
          delivery: toDelivery(row),
          attempts: attempts.map(
            (a) =>
              new DeliveryAttempt({
                attempt: a.attempt,
                timestamp: a.attemptTime,
                status: a.status,
                error: a.error,
                durationMs: a.durationMs
              })
          )
        })
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const redeliver = Effect.fn("Webhooks.redeliver")(
      function* (deliveryId: string) {
        const tenant = yield* CurrentTenant
        const original = yield* findDelivery(tenant, deliveryId)
        const now = yield* Clock.currentTimeMillis
        const id = yield* insertDelivery(tenant, original.subscriptionId, original.eventType, original.payload, now)
        return toDelivery(yield* findDelivery(tenant, id))
      },
      inWriteTransaction,
      Effect.catchTag("SqlError", Effect.die)
    )

    const publish = Effect.fn("Webhooks.publish")(
      function* (event: WebhookEvent) {
        const tenant = yield* CurrentTenant
        const subscriptions = yield* sql<{ readonly subscriptionId: string; readonly events: string }>`
          SELECT subscription_id, events FROM webhook_subscriptions
          WHERE tenant_id = ${tenant} AND status = 'ACTIVE' ORDER BY subscription_id`
        const listening = subscriptions.filter((row) => decodeEvents(row.events).includes(event.type))
        if (listening.length === 0) return
        const now = yield* Clock.currentTimeMillis
        const payload = envelope(event, tenant, now)
        yield* Effect.forEach(
          listening,
          (row) => insertDelivery(tenant, row.subscriptionId, event.type, payload, now),
          {
            discard: true
          }
        )
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    const lock = (key: string) =>
      sql.onDialectOrElse({
        pg: () => Effect.asVoid(sql`SELECT pg_advisory_xact_lock(hashtext(${key}))`),
        orElse: () => Effect.void
      })

    const transaction = <A, E>(effect: Effect.Effect<A, E>, lockKey?: string): Effect.Effect<A, E> =>
      Effect.catchAll(
        inWriteTransaction(lockKey === undefined ? effect : Effect.zipRight(lock(lockKey), effect)),
        (error) => (error instanceof SqlError ? Effect.die(error) : Effect.fail(error))
      )

    /**
     * Takes a due delivery for this worker: only one replica's update matches
     * the row as it was read, and the row is not due again until the attempt
     * has had its time, so a crash mid-attempt retries it later.
     */
    const claim = (tenant: TenantId, row: PendingRow, now: number) =>
      sql<{ readonly deliveryId: string }>`UPDATE webhook_deliveries
        SET next_attempt_time = ${now + Duration.toMillis(policy.timeout) + 60_000}
        WHERE tenant_id = ${tenant} AND delivery_id = ${row.deliveryId} AND state = 'pending'
          AND attempts = ${row.attempts} AND next_attempt_time = ${row.nextAttemptTime}
        RETURNING delivery_id`.pipe(Effect.map((rows) => rows.length === 1))

    /** Sends one delivery and records the attempt; whether the subscription's queue may move on. */
    const attempt = (tenant: TenantId, row: PendingRow) =>
      Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const result = yield* send(client, policy, {
          url: row.url,
          secret: row.secret,
          deliveryId: row.deliveryId,
          payload: row.payload,
          nowMillis: started
        })
        const now = yield* Clock.currentTimeMillis
        const number = row.attempts + 1
        const verdict = yield* judge(policy, result, number, now)
        const error =
          result.error === null ? null : result.body === "" ? result.error : `${result.error}: ${result.body}`
        // The delivery may have been deleted with its subscription while the
        // request was out: then there is nothing to record the attempt on.
        const recorded = yield* inWriteTransaction(
          Effect.gen(function* () {
            const updated = yield* sql`UPDATE webhook_deliveries SET attempts = ${number},
              last_status = ${result.status}, last_error = ${error},
              state = ${verdict._tag === "Delivered" ? "delivered" : verdict._tag === "Failed" ? "failed" : "pending"},
              next_attempt_time = ${verdict._tag === "Retry" ? now + verdict.delayMillis : now},
              delivered_time = ${verdict._tag === "Delivered" ? now : null}
              WHERE tenant_id = ${tenant} AND delivery_id = ${row.deliveryId} RETURNING delivery_id`
            if (updated.length === 0) return false
            yield* sql`INSERT INTO webhook_delivery_attempts ${sql.insert({
              deliveryId: row.deliveryId,
              attempt: number,
              tenantId: tenant,
              attemptTime: started,
              status: result.status,
              error,
              durationMs: now - started
            })}`
            return true
          })
        )
        return recorded && verdict._tag !== "Retry"
      })

    /**
     * A subscription's due deliveries in order, until one must wait or the
     * subscription has had one `timeout` of this pass: a slow receiver keeps
     * its slot only that long, the rest of its queue waits for the next pass.
     */
    const drain = (tenant: TenantId, queue: ReadonlyArray<PendingRow>) =>
      Effect.gen(function* () {
        const deadline = (yield* Clock.currentTimeMillis) + Duration.toMillis(policy.timeout)
        let attempts = 0
        for (const row of queue) {
          const now = yield* Clock.currentTimeMillis
          if (now >= deadline || row.nextAttemptTime > now || !(yield* claim(tenant, row, now))) break
          attempts++
          if (!(yield* attempt(tenant, row))) break
        }
        return attempts
      }).pipe(Effect.provideService(CurrentTenant, tenant))

    /** The due queues of a tenant's active subscriptions. */
    const dueQueues = (tenant: TenantId) =>
      Effect.gen(function* () {
        // The head of each subscription's queue (a backlog on one must not
        // starve the others), in order.
        const pending = yield* sql<PendingRow>`SELECT d.delivery_id, d.subscription_id, d.payload, d.attempts,
          d.next_attempt_time, s.url, s.secret
          FROM (SELECT delivery_id, tenant_id, subscription_id, payload, attempts, next_attempt_time, delivery_seq,
              ROW_NUMBER() OVER (PARTITION BY subscription_id ORDER BY delivery_seq) AS position
            FROM webhook_deliveries WHERE tenant_id = ${tenant} AND state = 'pending') d
          JOIN webhook_subscriptions s ON s.tenant_id = d.tenant_id AND s.subscription_id = d.subscription_id
          WHERE d.position <= ${queueBatch} AND s.status = 'ACTIVE'
          ORDER BY d.subscription_id, d.delivery_seq`
        return Object.values(Arr.groupBy(pending, (row) => row.subscriptionId)).map((queue) => ({ tenant, queue }))
      }).pipe(Effect.provideService(CurrentTenant, tenant))

    // Under row-level security a transaction sees one tenant's rows, so the
    // worker reads each tenant's queues (tenants are a global table) with its
    // own `app.tenant_id`; on SQLite the explicit tenant filter does the same.
    // The queues of all tenants are then served together, a few at a time,
    // so a slow receiver holds back neither its tenant nor the others.
    const deliverDue = Effect.fn("Webhooks.deliverDue")(
      function* () {
        const tenants = yield* sql<{ readonly tenantId: string }>`SELECT tenant_id FROM tenants ORDER BY tenant_id`
        const queues = yield* Effect.forEach(tenants, (row) => dueQueues(TenantId.make(row.tenantId)))
        const counts = yield* Effect.forEach(queues.flat(), ({ tenant, queue }) => drain(tenant, queue), {
          concurrency: passConcurrency
        })
        return counts.reduce((sum, count) => sum + count, 0)
      },
      Effect.catchTag("SqlError", Effect.die)
    )

    return {
      create,
      list,
      get,
      update,
      delete: delete_,
      test,
      deliveries,
      getDelivery,
      redeliver,
      publish,
      transaction,
      deliverDue
    }
  })
