import { Chunk, Effect, Stream } from "effect"
import { TransformFailed } from "./errors.js"
import type { DataRecord, DatasetFormat, DataValue } from "./model.js"

const encoder = new TextEncoder()

const needsQuotes = /[",\r\n]|^\s|\s$/

/** One CSV cell, readable back by the parser: `null` is empty, nested values are JSON. */
const csvCell = (value: DataValue | undefined): string => {
  if (value === null || value === undefined) return ""
  const text = typeof value === "object" ? JSON.stringify(value) : String(value)
  return needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/**
 * CSV with the first record's columns as the header (RFC 4180 quoting, `\n`
 * line ends). A later record with a column the header lacks fails, since CSV
 * cannot hold it; a missing column is written empty.
 */
const encodeCsv = <E>(records: Stream.Stream<DataRecord, E>): Stream.Stream<Uint8Array, E | TransformFailed> =>
  Stream.suspend(() => {
    let header: ReadonlyArray<string> | undefined
    let known: ReadonlySet<string> = new Set()
    let row = 0
    return Stream.mapChunksEffect(records, (chunk) => {
      let text = ""
      for (const record of chunk) {
        if (header === undefined) {
          header = Object.keys(record)
          known = new Set(header)
          text += `${header.map(csvCell).join(",")}\n`
        }
        for (const key in record) {
          if (!known.has(key)) {
            return Effect.fail(
              new TransformFailed({
                op: "write csv",
                row,
                reason: `column "${key}" is not in the header written from the first record; write JSONL instead`
              })
            )
          }
        }
        text += `${header.map((column) => csvCell(record[column])).join(",")}\n`
        row++
      }
      return Effect.succeed(text === "" ? Chunk.empty() : Chunk.of(encoder.encode(text)))
    })
  })

const encodeJsonl = <E>(records: Stream.Stream<DataRecord, E>): Stream.Stream<Uint8Array, E> =>
  Stream.mapChunks(records, (chunk) => {
    let text = ""
    for (const record of chunk) text += `${JSON.stringify(record)}\n`
    return text === "" ? Chunk.empty() : Chunk.of(encoder.encode(text))
  })

/** Serialises records as `format`, one byte chunk per chunk of records. */
export const encodeRecords = <E>(
  records: Stream.Stream<DataRecord, E>,
  format: DatasetFormat
): Stream.Stream<Uint8Array, E | TransformFailed> => (format === "csv" ? encodeCsv(records) : encodeJsonl(records))
