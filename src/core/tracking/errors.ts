import { Schema } from "effect"

export class ExperimentNotFound extends Schema.TaggedError<ExperimentNotFound>()("ExperimentNotFound", {
  /** The id or the name that was looked up. */
  experiment: Schema.String
}) {
  override get message(): string {
    return `experiment ${this.experiment} does not exist`
  }
}

export class ExperimentAlreadyExists extends Schema.TaggedError<ExperimentAlreadyExists>()("ExperimentAlreadyExists", {
  name: Schema.String
}) {
  override get message(): string {
    return `an experiment named "${this.name}" already exists`
  }
}

/** A write to an experiment that is deleted (restore it first). */
export class ExperimentNotActive extends Schema.TaggedError<ExperimentNotActive>()("ExperimentNotActive", {
  experimentId: Schema.String
}) {
  override get message(): string {
    return `experiment ${this.experimentId} is deleted`
  }
}

export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  runId: Schema.String
}) {
  override get message(): string {
    return `run ${this.runId} does not exist`
  }
}

/** A write to a run that is deleted (restore it first). */
export class RunNotActive extends Schema.TaggedError<RunNotActive>()("RunNotActive", {
  runId: Schema.String
}) {
  override get message(): string {
    return `run ${this.runId} is deleted`
  }
}

/** Params are immutable: logging the same key again with another value fails. */
export class ParamAlreadyLogged extends Schema.TaggedError<ParamAlreadyLogged>()("ParamAlreadyLogged", {
  runId: Schema.String,
  key: Schema.String,
  loggedValue: Schema.String,
  newValue: Schema.String
}) {
  override get message(): string {
    return `param "${this.key}" of run ${this.runId} was already logged with value "${this.loggedValue}"; changing it to "${this.newValue}" is not allowed`
  }
}

/** A malformed search filter. `position` is the 0-based character offset of the problem. */
export class InvalidFilter extends Schema.TaggedError<InvalidFilter>()("InvalidFilter", {
  filter: Schema.String,
  position: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid filter at position ${this.position}: ${this.reason}`
  }
}

/** A malformed `orderBy` clause. */
export class InvalidOrderBy extends Schema.TaggedError<InvalidOrderBy>()("InvalidOrderBy", {
  orderBy: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid order by "${this.orderBy}": ${this.reason}`
  }
}

/** A tag to delete that the run does not have. */
export class TagNotFound extends Schema.TaggedError<TagNotFound>()("TagNotFound", {
  runId: Schema.String,
  key: Schema.String
}) {
  override get message(): string {
    return `run ${this.runId} has no tag "${this.key}"`
  }
}
