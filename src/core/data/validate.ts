import { Chunk, Effect, Either, Option, ParseResult, Schema, Stream } from "effect"
import { ValidationIssue, ValidationSummary } from "./model.js"
import type { ParsedRecord } from "./parse.js"

/** `age: Expected number, actual "x"; name: is missing`. */
const reasonOf = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.map(String).join(".")}: ${issue.message}`))
    .join("; ")

/** Checks one record against a decoder built once per validation; `undefined` when it is valid. */
const checker = <A, I>(schema: Schema.Schema<A, I>) => {
  // All errors, not the first: a report should say everything wrong with a row.
  const decode = Schema.decodeUnknownEither(schema, { errors: "all" })
  return ({ line, record }: ParsedRecord): ValidationIssue | undefined => {
    const result = decode(record)
    return Either.isLeft(result) ? new ValidationIssue({ line, reason: reasonOf(result.left) }) : undefined
  }
}

/** Every record that fails `schema`, in order; streamed, so the report may be larger than memory. */
export const issues = <A, I, E>(
  records: Stream.Stream<ParsedRecord, E>,
  schema: Schema.Schema<A, I>
): Stream.Stream<ValidationIssue, E> =>
  Stream.suspend(() => {
    const check = checker(schema)
    return Stream.mapChunks(records, (chunk) => Chunk.filterMap(chunk, (record) => Option.fromNullable(check(record))))
  })

/** Counts rows and invalid rows, keeping the first `maxIssues` issues. */
export const summarize = <A, I, E>(
  records: Stream.Stream<ParsedRecord, E>,
  schema: Schema.Schema<A, I>,
  maxIssues: number
): Effect.Effect<ValidationSummary, E> =>
  Effect.suspend(() => {
    const check = checker(schema)
    const kept: Array<ValidationIssue> = []
    let rows = 0
    let invalidRows = 0
    return Stream.runForEachChunk(records, (chunk) =>
      Effect.sync(() => {
        for (const record of chunk) {
          rows++
          const issue = check(record)
          if (issue === undefined) continue
          invalidRows++
          if (kept.length < maxIssues) kept.push(issue)
        }
      })
    ).pipe(Effect.map(() => new ValidationSummary({ rows, invalidRows, issues: kept })))
  })
