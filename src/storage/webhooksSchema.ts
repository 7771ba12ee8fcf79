import { isolateTenant, run, tenant } from "./schema.js"

// Registry webhooks: a tenant's subscriptions, the log of every delivery and
// each attempt at it. Pending deliveries are the outbox a delivery worker
// drains: an event is recorded in the transaction of the write it reports,
// so it is never lost to a crash. `delivery_seq` orders a subscription's
// deliveries (several events may share a millisecond), which the worker
// sends strictly one after another.
export const webhooks = run((t) => [
  `CREATE TABLE webhook_subscriptions (
    subscription_id TEXT NOT NULL,
    ${tenant},
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    creation_time ${t.int} NOT NULL,
    last_updated_time ${t.int} NOT NULL,
    PRIMARY KEY (tenant_id, subscription_id)
  )`,
  `CREATE TABLE webhook_deliveries (
    delivery_seq ${t.serial},
    delivery_id TEXT NOT NULL UNIQUE,
    ${tenant},
    subscription_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts ${t.int} NOT NULL,
    next_attempt_time ${t.int} NOT NULL,
    last_status ${t.int},
    last_error TEXT,
    creation_time ${t.int} NOT NULL,
    delivered_time ${t.int}
  )`,
  "CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (tenant_id, state, subscription_id, delivery_seq)",
  "CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (tenant_id, subscription_id, delivery_seq)",
  `CREATE TABLE webhook_delivery_attempts (
    delivery_id TEXT NOT NULL,
    attempt ${t.int} NOT NULL,
    ${tenant},
    attempt_time ${t.int} NOT NULL,
    status ${t.int},
    error TEXT,
    duration_ms ${t.int} NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
  )`,
  ...(t.dialect === "pg"
    ? ["webhook_subscriptions", "webhook_deliveries", "webhook_delivery_attempts"].flatMap(isolateTenant)
    : [])
])
