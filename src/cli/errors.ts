import { Schema } from "effect"

/**
 * A command line that parsed but makes no sense (a group without its
 * subcommand, `--data` together with `--url`). Exits with code 2, like a
 * flag the parser rejected.
 */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  reason: Schema.String
}) {
  override get message(): string {
    return this.reason
  }
}

/** The archive given to `import` is not one `export` wrote, or its content does not match its manifest. */
export class ArchiveInvalid extends Schema.TaggedError<ArchiveInvalid>()("ArchiveInvalid", {
  archive: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.archive}: ${this.reason}; nothing was imported`
  }
}

/** `import` refuses to write into a data directory that already holds something, unless forced. */
export class TargetNotEmpty extends Schema.TaggedError<TargetNotEmpty>()("TargetNotEmpty", {
  path: Schema.String
}) {
  override get message(): string {
    return `${this.path} is not empty; pass --force to replace its store and artifacts`
  }
}

/** The data directory has no store to export. */
export class StoreMissing extends Schema.TaggedError<StoreMissing>()("StoreMissing", {
  path: Schema.String
}) {
  override get message(): string {
    return `no store at ${this.path} (expected ${this.path}/mlops.db)`
  }
}

/** A file-system operation of `export` or `import` failed. */
export class TransferFailed extends Schema.TaggedError<TransferFailed>()("TransferFailed", {
  operation: Schema.String,
  path: Schema.String,
  cause: Schema.Defect
}) {
  override get message(): string {
    const reason = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `could not ${this.operation} ${this.path}: ${reason}`
  }
}
