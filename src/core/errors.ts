import { Schema } from "effect"

/**
 * A caller supplied a value that breaks a documented rule (key syntax, a
 * reserved name, an unknown enum member). `field` names the offending input,
 * e.g. `"metrics[3].key"`.
 *
 * @example
 * ```ts
 * Effect.catchTag("InvalidArgument", (e) => Effect.logWarning(`${e.field}: ${e.reason}`))
 * ```
 */
export class InvalidArgument extends Schema.TaggedError<InvalidArgument>()("InvalidArgument", {
  field: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.field}: ${this.reason}`
  }
}

/**
 * A size or count limit was exceeded. Values are never truncated: the whole
 * request is rejected and nothing is stored.
 */
export class LimitExceeded extends Schema.TaggedError<LimitExceeded>()("LimitExceeded", {
  field: Schema.String,
  limit: Schema.Number,
  actual: Schema.Number,
  unit: Schema.Literal("items", "bytes", "characters")
}) {
  override get message(): string {
    return `${this.field}: ${this.actual} ${this.unit} exceeds the limit of ${this.limit}`
  }
}

/** A page token that this store did not issue, or one issued for a different query. */
export class InvalidPageToken extends Schema.TaggedError<InvalidPageToken>()("InvalidPageToken", {
  pageToken: Schema.String
}) {
  override get message(): string {
    return `invalid page token "${this.pageToken}"`
  }
}

/**
 * The store on disk was written by a newer release of effect-mlops. It is
 * refused rather than risk corrupting data this release does not understand.
 */
export class StoreVersionTooNew extends Schema.TaggedError<StoreVersionTooNew>()("StoreVersionTooNew", {
  storeVersion: Schema.Number,
  supportedVersion: Schema.Number
}) {
  override get message(): string {
    return `the store has schema version ${this.storeVersion}, this release supports up to ${this.supportedVersion}`
  }
}

/**
 * The current principal may not do this. The core owns the concept, never the
 * decision: the services themselves never raise it, an authorization layer
 * wrapped around them does (the enterprise RBAC decorators). `action` names
 * the operation (`"ExperimentTracker.createRun"`), `resource` what it acts on
 * (`"experiment:3"`, `"registered_model:churn"`, `"tenant"`).
 *
 * @example
 * ```ts
 * tracker.createRun({ experimentId }).pipe(
 *   Effect.catchTag("Forbidden", (e) => Effect.logWarning(`${e.action} on ${e.resource} refused`))
 * )
 * ```
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  action: Schema.String,
  resource: Schema.String,
  message: Schema.String
}) {}
