import { Schema } from "effect"

/** The outcome of one health check, with how long it took in milliseconds (and a reason when it failed). */
export const CheckReport = Schema.Struct({
  status: Schema.Literal("ok", "failed"),
  latencyMs: Schema.NonNegative,
  detail: Schema.optional(Schema.String)
})
export type CheckReport = typeof CheckReport.Type

/** Every check's outcome: `ok` when all passed, `unavailable` when any failed. The body of `/readyz`. */
export const HealthReport = Schema.Struct({
  status: Schema.Literal("ok", "unavailable"),
  checks: Schema.Record({ key: Schema.String, value: CheckReport })
})
export type HealthReport = typeof HealthReport.Type
