import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { castCell, parseRecords } from "../../../src/core/data/parse.js"
import { Profiler } from "../../../src/core/data/profile.js"
import { bytesOf } from "./Datasets.contract.js"

const parse = (text: string | Uint8Array, format: "csv" | "jsonl", chunkBytes?: number) =>
  Stream.runCollect(
    parseRecords(typeof text === "string" ? bytesOf(text, chunkBytes) : Stream.make(text), format, "test")
  ).pipe(Effect.map(Chunk.toReadonlyArray))

describe("castCell", () => {
  it("types numbers, booleans and nulls, and keeps identifiers as strings", () => {
    const cases: ReadonlyArray<readonly [string, unknown]> = [
      ["", null],
      ["42", 42],
      ["-0.5", -0.5],
      ["1e3", 1000],
      ["2.50", 2.5],
      ["007", "007"],
      ["+1", "+1"],
      ["1,5", "1,5"],
      ["12345678901234567890", "12345678901234567890"],
      ["1e999", "1e999"],
      ["TRUE", true],
      ["false", false],
      ["yes", "yes"],
      ["2024-01-05", "2024-01-05"],
      [" 1", " 1"]
    ]
    for (const [cell, expected] of cases) assert.deepStrictEqual(castCell(cell), expected, cell)
  })
})

describe("parseRecords", () => {
  it.effect("CSV: BOM stripped, CRLF, blank header cells named, lines are where records start", () =>
    Effect.gen(function* () {
      const text = '\uFEFFa,,c\r\n1,"two\r\nlines",x\r\n\r\n3,4,y\r\n'
      const records = yield* parse(text, "csv", 4)
      assert.deepStrictEqual(records, [
        { line: 2, record: { a: 1, column_2: "two\r\nlines", c: "x" } },
        { line: 5, record: { a: 3, column_2: 4, c: "y" } }
      ])
    })
  )

  it.effect("CSV: a __proto__ column is refused rather than corrupting records", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(parse("__proto__,b\n1,2\n", "csv"))
      assert.deepStrictEqual([error._tag, error.line], ["InvalidDatasetFile", 1])
    })
  )

  it.effect("JSONL: invalid UTF-8 fails on its line", () =>
    Effect.gen(function* () {
      const bytes = Uint8Array.from([...new TextEncoder().encode('{"a":1}\n{"a":"'), 0xff, 0x22, 0x7d, 0x0a])
      const error = yield* Effect.flip(parse(bytes, "jsonl"))
      assert.deepStrictEqual([error._tag, error.line, error.reason], ["InvalidDatasetFile", 2, "invalid UTF-8"])
    })
  )

  it.effect("JSONL: a last line without a newline is read", () =>
    Effect.gen(function* () {
      const records = yield* parse('{"a":1}\n{"a":2}', "jsonl", 3)
      assert.deepStrictEqual(
        records.map((r) => [r.line, r.record]),
        [
          [1, { a: 1 }],
          [2, { a: 2 }]
        ]
      )
    })
  )
})

describe("Profiler", () => {
  it("widens mixed types: integer and number to number, anything else to string", () => {
    const profiler = new Profiler()
    profiler.add({ n: 1, mixed: 1, flag: true, when: "2024-01-01T00:00:00+02:00", empty: null })
    profiler.add({ n: 2.5, mixed: "x", flag: false, when: "2024-01-02 10:30" })
    const { schema } = profiler.result()
    assert.deepStrictEqual(
      schema.columns.map((c) => [c.name, c.type, c.nullable]),
      [
        ["n", "number", false],
        ["mixed", "string", false],
        ["flag", "boolean", false],
        ["when", "datetime", false],
        ["empty", "null", true]
      ]
    )
  })

  it("keeps the top-value bracket in a column where text follows numbers", () => {
    const profiler = new Profiler()
    for (const value of [1, 1, 1, "n/a", "n/a", 1, 2]) profiler.add({ v: value })
    const [column] = profiler.result().profile.columns
    assert.deepStrictEqual(
      column?.topValues.map((t) => [t.value, t.count, t.error]),
      // "1" occurred 4 times: 1 counted after the first text value, plus up to 3 before it.
      [
        ["1", 4, 3],
        ["2", 4, 3],
        ["n/a", 2, 0]
      ]
    )
  })

  it("refuses a record that would exceed the column limit", () => {
    const profiler = new Profiler()
    assert.isUndefined(profiler.add(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`c${i}`, i]))))
    assert.strictEqual(profiler.add({ another: 1 }), "more than 1000 distinct columns")
  })
})
