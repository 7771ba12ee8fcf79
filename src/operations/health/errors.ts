import { Schema } from "effect"

/**
 * A health check found its dependency unusable. `reason` is shown to anyone
 * who asks `/readyz` (unauthenticated), so it names the symptom only;
 * `cause`, which may name hosts or paths, goes to the server's log.
 *
 * @example
 * ```ts
 * const queueCheck = pingQueue.pipe(
 *   Effect.as(undefined),
 *   Effect.mapError((cause) => new HealthCheckFailed({ reason: "the queue does not answer", cause }))
 * )
 * ```
 */
export class HealthCheckFailed extends Schema.TaggedError<HealthCheckFailed>()("HealthCheckFailed", {
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  override get message(): string {
    return this.reason
  }
}
