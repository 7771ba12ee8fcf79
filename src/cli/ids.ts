import { Effect, ParseResult, Schema } from "effect"
import { InvalidArgument } from "../core/errors.js"
import { ModelVersionNumber } from "../core/registry/model.js"
import { ExperimentId, RunId } from "../core/tracking/model.js"

// A malformed id on the command line is the user's domain error (exit 1 with
// the reason), the same error a server returns for it.
const decoder =
  <A>(schema: Schema.Schema<A, string>, field: string) =>
  (raw: string): Effect.Effect<A, InvalidArgument> =>
    Schema.decode(schema)(raw).pipe(
      Effect.mapError(
        (error) =>
          new InvalidArgument({
            field,
            reason: `"${raw}" is not valid: ${ParseResult.ArrayFormatter.formatErrorSync(error)[0]?.message ?? error.message}`
          })
      )
    )

export const parseRunId = decoder(RunId, "RUN_ID")
export const parseExperimentId = decoder(ExperimentId, "experiment")
export const parseModelVersion = decoder(ModelVersionNumber, "VERSION")
