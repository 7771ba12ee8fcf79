import { Effect, Either, type Scope, Stream } from "effect"
import { InvalidDatasetFile } from "./errors.js"
import type { DataRecord, DatasetFormat, DataValue } from "./model.js"

/** A record and the 1-based line where it starts. */
export interface ParsedRecord {
  readonly line: number
  readonly record: DataRecord
}

/**
 * An incremental parser: bytes go in chunk by chunk, the records completed by
 * each chunk come out. Memory is bounded by one chunk plus one record.
 */
export interface RecordParser {
  readonly push: (chunk: Uint8Array) => Effect.Effect<ReadonlyArray<ParsedRecord>, InvalidDatasetFile>
  /** Flushes the last record; the input must end here. */
  readonly end: Effect.Effect<ReadonlyArray<ParsedRecord>, InvalidDatasetFile>
}

const numberPattern = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/
const integerPattern = /^-?\d+$/

/**
 * Types one CSV cell (see `DataValue`). Integers beyond 2^53 stay strings so
 * long identifiers are never rounded.
 */
export const castCell = (cell: string): DataValue => {
  if (cell === "") return null
  const first = cell.charCodeAt(0)
  if ((first >= 48 && first <= 57) || first === 45) {
    if (!numberPattern.test(cell)) return cell
    const value = Number(cell)
    if (!Number.isFinite(value)) return cell
    return Number.isSafeInteger(value) || !integerPattern.test(cell) ? value : cell
  }
  if (cell.length === 4 || cell.length === 5) {
    const lower = cell.toLowerCase()
    if (lower === "true") return true
    if (lower === "false") return false
  }
  return cell
}

/** Column names from a CSV header: blanks become `column_<n>`, duplicates are refused. */
const headerOf = (cells: ReadonlyArray<string>): Either.Either<ReadonlyArray<string>, string> => {
  const names = cells.map((cell, i) => (cell.trim() === "" ? `column_${i + 1}` : cell))
  const seen = new Set<string>()
  for (const name of names) {
    // Assigning "__proto__" on a plain object would replace its prototype instead of adding a column.
    if (name === "__proto__") return Either.left(`"__proto__" is not allowed as a column name`)
    if (seen.has(name)) return Either.left(`duplicate column name "${name}" in the header`)
    seen.add(name)
  }
  return Either.right(names)
}

/** Line breaks inside a cell: `\r\n`, `\n` and `\r` count once each. */
const lineBreaks = (cell: string): number => {
  if (cell.indexOf("\n") === -1 && cell.indexOf("\r") === -1) return 0
  let count = 0
  for (let i = 0; i < cell.length; i++) {
    const code = cell.charCodeAt(i)
    if (code === 10) count++
    else if (code === 13) {
      count++
      if (cell.charCodeAt(i + 1) === 10) i++
    }
  }
  return count
}

/**
 * CSV through csv-parse's stream API (RFC 4180 quoting, UTF-8 BOM stripped).
 * The first record is the header; every row must have as many cells as the
 * header; blank lines are skipped (so is a line holding one empty cell, which
 * looks the same). The Node Transform is driven by hand: each chunk is
 * written, the records it completed are drained, and the write callback
 * tells when the chunk has been consumed, so backpressure is the caller's pull.
 *
 * Line numbers are counted here rather than with csv-parse's `info` option,
 * which allocates a snapshot per record and halves throughput (and counts a
 * CRLF inside a quoted cell as two lines): a record starts one line after the
 * previous one ends, and ends as many lines later as its cells hold breaks.
 */
const csvParser = (source: string): Effect.Effect<RecordParser, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      // csv-parse loads with the first CSV file rather than with the server.
      Effect.promise(() => import("csv-parse")).pipe(
        Effect.map(({ parse }) => parse({ bom: true, relax_column_count: true }))
      ),
      (parser) => Effect.sync(() => parser.destroy())
    ),
    (parser) => {
      // Failures reach us through the write and end callbacks; the event would otherwise be unhandled.
      parser.on("error", () => {})
      const ready: Array<ParsedRecord> = []
      let header: ReadonlyArray<string> | undefined
      let failure: InvalidDatasetFile | undefined
      let nextLine = 1

      const accept = (cells: ReadonlyArray<string>) => {
        const line = nextLine
        nextLine++
        for (const cell of cells) nextLine += lineBreaks(cell)
        if (failure !== undefined || (cells.length === 1 && cells[0] === "")) return
        if (header === undefined) {
          const names = headerOf(cells)
          if (Either.isLeft(names)) failure = new InvalidDatasetFile({ source, line, reason: names.left })
          else header = names.right
          return
        }
        if (cells.length !== header.length) {
          failure = new InvalidDatasetFile({
            source,
            line,
            reason: `expected ${header.length} cells as in the header, got ${cells.length}`
          })
          return
        }
        const values: Record<string, DataValue> = {}
        for (let i = 0; i < header.length; i++) values[header[i]!] = castCell(cells[i]!)
        ready.push({ line, record: values })
      }
      const drain = () => {
        for (let cells = parser.read(); cells !== null; cells = parser.read()) accept(cells)
      }
      parser.on("readable", drain)

      const settle =
        (resume: (effect: Effect.Effect<ReadonlyArray<ParsedRecord>, InvalidDatasetFile>) => void) =>
        (error?: Error | null) => {
          drain()
          if (failure !== undefined) {
            resume(Effect.fail(failure))
          } else if (error) {
            // The record csv-parse could not finish starts where the last complete one ended.
            resume(Effect.fail(new InvalidDatasetFile({ source, line: nextLine, reason: error.message })))
          } else {
            resume(Effect.succeed(ready.splice(0)))
          }
        }

      return {
        push: (chunk) => Effect.async((resume) => void parser.write(chunk, settle(resume))),
        end: Effect.async((resume) => void parser.end(settle(resume)))
      }
    }
  )

const noBytes: Uint8Array = new Uint8Array(0)

const concatBytes = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

/**
 * JSON Lines: one JSON object per line, blank lines skipped, `\r\n` accepted.
 * Lines are cut on the bytes and decoded one by one, so an invalid UTF-8
 * sequence is reported on its own line and at most one line is held in memory.
 */
const jsonlParser = (source: string): RecordParser => {
  const decoder = new TextDecoder("utf-8", { fatal: true })
  let carry = noBytes
  let line = 0

  const parseLine = (bytes: Uint8Array, into: Array<ParsedRecord>): InvalidDatasetFile | undefined => {
    line++
    let text: string
    try {
      text = decoder.decode(bytes)
    } catch {
      return new InvalidDatasetFile({ source, line, reason: "invalid UTF-8" })
    }
    if (text.endsWith("\r")) text = text.slice(0, -1)
    if (text.trim() === "") return undefined
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      return new InvalidDatasetFile({ source, line, reason: `invalid JSON: ${(error as Error).message}` })
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      const kind = value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`
      return new InvalidDatasetFile({ source, line, reason: `expected a JSON object, got ${kind}` })
    }
    into.push({ line, record: value as DataRecord })
    return undefined
  }

  const push = (chunk: Uint8Array): Either.Either<ReadonlyArray<ParsedRecord>, InvalidDatasetFile> => {
    const records: Array<ParsedRecord> = []
    let start = 0
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, end)
      const error = parseLine(carry.length === 0 ? piece : concatBytes(carry, piece), records)
      if (error !== undefined) return Either.left(error)
      carry = noBytes
      start = end + 1
    }
    // Copied: the caller may reuse the chunk's buffer.
    if (start < chunk.length) carry = concatBytes(carry, chunk.subarray(start))
    return Either.right(records)
  }

  return {
    push,
    end: Effect.suspend(() => {
      const records: Array<ParsedRecord> = []
      const error = carry.length === 0 ? undefined : parseLine(carry, records)
      carry = noBytes
      return error === undefined ? Effect.succeed(records) : Effect.fail(error)
    })
  }
}

/** A fresh parser for `format`; `source` names the input in errors. Closed with the scope. */
export const makeRecordParser = (
  format: DatasetFormat,
  source: string
): Effect.Effect<RecordParser, never, Scope.Scope> =>
  format === "csv" ? csvParser(source) : Effect.sync(() => jsonlParser(source))

/**
 * The records of a byte stream, with the line where each starts.
 *
 * @example
 * ```ts
 * parseRecords(Stream.make(new TextEncoder().encode("a,b\n1,x\n")), "csv", "inline")
 * // emits { line: 2, record: { a: 1, b: "x" } }
 * ```
 */
export const parseRecords = <E>(
  bytes: Stream.Stream<Uint8Array, E>,
  format: DatasetFormat,
  source: string
): Stream.Stream<ParsedRecord, E | InvalidDatasetFile> =>
  Stream.unwrapScoped(
    Effect.map(makeRecordParser(format, source), (parser) =>
      bytes.pipe(Stream.mapEffect(parser.push), Stream.concat(Stream.fromEffect(parser.end)), Stream.flattenIterables)
    )
  )
