import { isolateTenant, run, tenant } from "./schema.js"

// Registry webhooks: a tenant's subscriptions and the log of every delivery
// (pending ones are the outbox a delivery worker drains, so an event
// recorded in a write's transaction is never lost to a crash).
export const webhooks = run((t) => [
  `CREATE TABLE webhook_subscriptions (
    subscription_id TEXT NOT NULL,
    ${tenant},
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active ${t.int} NOT NULL,
    creation_time ${t.int} NOT NULL,
    PRIMARY KEY (tenant_id, subscription_id)
  )`,
  `CREATE TABLE webhook_deliveries (
    delivery_id TEXT NOT NULL,
    ${tenant},
    subscription_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts ${t.int} NOT NULL,
    next_attempt_time ${t.int} NOT NULL,
    last_status ${t.int},
    last_error TEXT,
    creation_time ${t.int} NOT NULL,
    delivered_time ${t.int},
    PRIMARY KEY (tenant_id, delivery_id)
  )`,
  "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_time)",
  "CREATE INDEX webhook_deliveries_by_subscription ON webhook_deliveries (tenant_id, subscription_id, creation_time)",
  ...(t.dialect === "pg" ? ["webhook_subscriptions", "webhook_deliveries"].flatMap(isolateTenant) : [])
])
