import { Schema } from "effect"

/** No logged model with this id in the current tenant, or it was deleted. */
export class LoggedModelNotFound extends Schema.TaggedError<LoggedModelNotFound>()("LoggedModelNotFound", {
  modelId: Schema.String
}) {
  override get message(): string {
    return `logged model ${this.modelId} does not exist`
  }
}
