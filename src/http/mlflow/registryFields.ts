import { Effect, ParseResult, Schema } from "effect"
import { ModelVersionNumber, Stage } from "../../core/registry/model.js"
import { invalidParameter } from "./errors.js"
import { Int64, optional, Repeated } from "./request.js"

/** A version number, as MLflow's string or as a JSON number. */
export const Version = Schema.compose(
  Schema.transform(Schema.Union(Schema.String, Schema.Number), Schema.String, {
    strict: true,
    decode: String,
    encode: (s) => s
  }),
  ModelVersionNumber
)

/** A stage, case-insensitive as MLflow reads it (`"staging"` is `Staging`). */
export const StageField = Schema.transformOrFail(Schema.String, Stage, {
  strict: true,
  decode: (input, _, ast) => {
    const stage = Stage.literals.find((s) => s.toLowerCase() === input.toLowerCase())
    return stage === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, input, `expected one of ${Stage.literals.join(", ")}`))
      : ParseResult.succeed(stage)
  },
  encode: ParseResult.succeed
})

/** A model-version reference: `name` and `version`. */
export const VersionRef = Schema.Struct({ name: Schema.String, version: Version })

/** `registered-models/search` and `model-versions/search`. */
export const Search = Schema.Struct({
  filter: optional(Schema.String),
  max_results: optional(Int64),
  order_by: optional(Repeated(Schema.String)),
  page_token: optional(Schema.String)
})

/**
 * The core searches have one fixed order (models by name; versions by name,
 * newest version first). An `order_by` asking for that order is accepted; any
 * other is refused rather than silently ignored.
 */
export const checkOrderBy = (orderBy: ReadonlyArray<string> | undefined, accepted: RegExp, order: string) => {
  const refused = (orderBy ?? []).find((clause) => !accepted.test(clause.trim()))
  return refused === undefined
    ? Effect.void
    : Effect.fail(invalidParameter(`order_by '${refused}' is not supported; results are ordered by ${order}`))
}
