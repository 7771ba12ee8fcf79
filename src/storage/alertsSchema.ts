import { run } from "./schema.js"

// Alert evaluation: the lease that makes one replica the evaluator, each
// rule's state per rule set (named like its lease), so a new leader continues
// pending and firing alerts where the previous one left them instead of
// notifying twice, and every replica's
// recent metric samples (JSON), so the leader's rates and burn rates cover
// all replicas' traffic, not only its own.
export const alerts = run((t) => [
  `CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at ${t.int} NOT NULL
  )`,
  `CREATE TABLE alert_states (
    rule_set TEXT NOT NULL,
    rule_name TEXT NOT NULL,
    series TEXT NOT NULL,
    state TEXT NOT NULL,
    active_since ${t.int},
    last_value ${t.real},
    last_evaluation ${t.int} NOT NULL,
    PRIMARY KEY (rule_set, rule_name, series)
  )`,
  `CREATE TABLE alert_metric_samples (
    instance TEXT NOT NULL,
    sampled_at ${t.int} NOT NULL,
    points TEXT NOT NULL,
    PRIMARY KEY (instance, sampled_at)
  )`,
  "CREATE INDEX alert_metric_samples_by_time ON alert_metric_samples (sampled_at)"
])
