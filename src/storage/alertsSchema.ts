import { run } from "./schema.js"

// Alert evaluation: the lease that makes one replica the evaluator, and each
// rule's state, so a new leader continues pending and firing alerts where the
// previous one left them instead of notifying twice.
export const alerts = run((t) => [
  `CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at ${t.int} NOT NULL
  )`,
  `CREATE TABLE alert_states (
    rule_name TEXT NOT NULL,
    series TEXT NOT NULL,
    state TEXT NOT NULL,
    active_since ${t.int},
    last_value ${t.real},
    last_evaluation ${t.int} NOT NULL,
    PRIMARY KEY (rule_name, series)
  )`
])
