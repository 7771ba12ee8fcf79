import { assert, describe, it } from "@effect/vitest"
import { Chunk, Effect, Schema, Stream } from "effect"
import { TransformStep } from "../../../src/core/data/model.js"
import type { DataRecord } from "../../../src/core/data/model.js"
import { fitStandardizer, Transform } from "../../../src/core/data/transforms.js"

const run = (transform: Transform, records: ReadonlyArray<DataRecord>) =>
  Stream.runCollect(transform.apply(Stream.fromIterable(records))).pipe(Effect.map(Chunk.toReadonlyArray))

const rows = Array.from({ length: 1000 }, (_, i) => ({ id: `u${i}`, x: i }))

describe("Transform", () => {
  it.effect("describe() is plain JSON that decodes back to the same steps", () =>
    Effect.gen(function* () {
      const scaler = yield* fitStandardizer(Stream.fromIterable(rows), ["x"])
      const transform = Transform.sequence(
        Transform.select(["id", "x"]),
        Transform.filter("x is even", (r) => (r.x as number) % 2 === 0),
        Transform.standardize(scaler),
        Transform.split({ seed: 3, fractions: { a: 0.5, b: 0.5 }, by: "id" }).a
      )
      const json = JSON.parse(JSON.stringify(transform.describe()))
      assert.deepStrictEqual(Schema.decodeUnknownSync(Schema.Array(TransformStep))(json), transform.describe())
      assert.deepStrictEqual(
        json.map((step: { op: string }) => step.op),
        ["select", "filter", "standardize", "split"]
      )
    })
  )

  it.effect("a split by key keeps each record in its part whatever the order", () =>
    Effect.gen(function* () {
      const { train } = Transform.split({ seed: 9, fractions: { train: 0.5, test: 0.5 }, by: "id" })
      const forward = yield* run(train, rows)
      const backward = yield* run(train, [...rows].reverse())
      assert.deepStrictEqual(backward.map((r) => r.id).sort(), forward.map((r) => r.id).sort())
      // Binomial(1000, 0.5): 3.5 standard deviations is ±55.
      assert.closeTo(forward.length, 500, 55)
    })
  )

  it.effect("rename refuses to merge two columns into one", () =>
    Effect.gen(function* () {
      const onto = yield* Effect.flip(run(Transform.rename({ id: "x" }), rows))
      assert.deepStrictEqual([onto._tag, "row" in onto && onto.row], ["TransformFailed", 0])
      const twice = yield* Effect.flip(run(Transform.rename({ id: "k", x: "k" }), rows))
      assert.deepStrictEqual([twice._tag, "field" in twice && twice.field], ["InvalidArgument", "rename.mapping"])
    })
  )

  it.effect("fillMissing fills null and absent values only", () =>
    Effect.gen(function* () {
      const filled = yield* run(Transform.fillMissing({ a: 0, b: "none" }), [{ a: null }, { a: 5, b: "" }])
      assert.deepStrictEqual(filled, [
        { a: 0, b: "none" },
        { a: 5, b: "" }
      ])
    })
  )

  it.effect("fitStandardizer refuses non-numeric values and columns without numbers", () =>
    Effect.gen(function* () {
      const text = yield* Effect.flip(fitStandardizer(Stream.make({ x: 1 }, { x: "2" }), ["x"]))
      assert.deepStrictEqual([text._tag, "row" in text && text.row], ["TransformFailed", 1])
      const empty = yield* Effect.flip(fitStandardizer(Stream.make({ x: null }), ["x"]))
      assert.deepStrictEqual([empty._tag, "field" in empty && empty.field], ["InvalidArgument", "columns.x"])
    })
  )
})
