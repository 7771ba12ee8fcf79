import { Console, Effect, Schema } from "effect"

/** One table cell per column; `null` prints as `-`. */
export type Row = ReadonlyArray<string | number | null>

const cell = (value: string | number | null): string => (value === null ? "-" : String(value))

/**
 * A plain-text table: upper-case headers, columns padded to their widest
 * cell, two spaces apart, no trailing blanks. Meant for people; scripts use
 * `--json`.
 */
export const formatTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<Row>): string => {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((row) => row.map(cell))]
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)))
  return cells
    .map((row) =>
      row
        .map((value, column) => (column === row.length - 1 ? value : value.padEnd(widths[column] ?? 0)))
        .join("  ")
        .trimEnd()
    )
    .join("\n")
}

/** Prints a table, or `empty` (e.g. "no runs") when there are no rows. */
export const printTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<Row>, empty: string) =>
  rows.length === 0 ? Console.log(empty) : Console.log(formatTable(headers, rows))

/** `key: value` lines with the keys aligned, for a single record. */
export const formatFields = (fields: ReadonlyArray<readonly [string, string | number | null]>): string => {
  const width = Math.max(...fields.map(([key]) => key.length)) + 1
  return fields.map(([key, value]) => `${`${key}:`.padEnd(width)} ${cell(value)}`).join("\n")
}

/**
 * Prints `value` as JSON in the wire format of the HTTP API (the schema's
 * encoded side), so non-finite metric values read `"NaN"` rather than `null`.
 */
export const printJson = <A, I>(schema: Schema.Schema<A, I>, value: A) =>
  Effect.flatMap(Effect.orDie(Schema.encode(schema)(value)), (encoded) => Console.log(JSON.stringify(encoded, null, 2)))

/** Milliseconds since the epoch as `2025-01-31 12:00:00` (UTC). */
export const formatTime = (millis: number | null): string | null =>
  millis === null ? null : new Date(millis).toISOString().slice(0, 19).replace("T", " ")

/** A metric value as MLflow prints it: up to six significant digits, `NaN` and `±Infinity` spelled out. */
export const formatNumber = (value: number): string =>
  Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value)

/** `text` cut to `max` characters with an ellipsis, for wide free-text columns. */
export const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`
