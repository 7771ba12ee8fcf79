import { Schema } from "effect"

export class RegisteredModelNotFound extends Schema.TaggedError<RegisteredModelNotFound>()("RegisteredModelNotFound", {
  name: Schema.String
}) {
  override get message(): string {
    return `registered model "${this.name}" does not exist`
  }
}

export class RegisteredModelAlreadyExists extends Schema.TaggedError<RegisteredModelAlreadyExists>()(
  "RegisteredModelAlreadyExists",
  { name: Schema.String }
) {
  override get message(): string {
    return `a registered model named "${this.name}" already exists`
  }
}

export class ModelVersionNotFound extends Schema.TaggedError<ModelVersionNotFound>()("ModelVersionNotFound", {
  name: Schema.String,
  version: Schema.String
}) {
  override get message(): string {
    return `version ${this.version} of model "${this.name}" does not exist`
  }
}

export class AliasNotFound extends Schema.TaggedError<AliasNotFound>()("AliasNotFound", {
  name: Schema.String,
  alias: Schema.String
}) {
  override get message(): string {
    return `model "${this.name}" has no alias "${this.alias}"`
  }
}
