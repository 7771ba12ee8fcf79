import { assert, describe, it } from "@effect/vitest"
import { decodeChunk, encodeChunk, seriesOf } from "../../../src/core/tracking/chunks.js"

const point = (step: number, value: number, timestamp = 1_700_000_000_000) => ({ key: "loss", step, timestamp, value })

describe("metric chunks", () => {
  it("round-trip NaN, ±Infinity, -0 and the largest safe steps and timestamps exactly", () => {
    const points = [
      point(0, Number.NaN),
      point(1, Number.POSITIVE_INFINITY),
      point(2, Number.NEGATIVE_INFINITY),
      point(3, -0),
      point(Number.MAX_SAFE_INTEGER, 1e-300, Number.MAX_SAFE_INTEGER)
    ]
    const decoded = decodeChunk("loss", encodeChunk(points).points)
    assert.deepStrictEqual(decoded, points)
    assert.isTrue(Object.is(decoded[3]?.value, -0))
  })

  it("record the step and time range of their points", () => {
    const chunk = encodeChunk([point(3, 1, 50), point(4, 1, 10), point(9, 1, 30)])
    assert.deepStrictEqual(
      [chunk.count, chunk.minStep, chunk.maxStep, chunk.minTimestamp, chunk.maxTimestamp],
      [3, 3, 9, 10, 50]
    )
  })

  it("are big-endian doubles, steps then timestamps then values, as PostgreSQL's float8send writes them", () => {
    const bytes = encodeChunk([point(1, 0.5, 2)]).points
    assert.deepStrictEqual(Array.from(bytes.subarray(0, 8)), [0x3f, 0xf0, 0, 0, 0, 0, 0, 0])
    assert.deepStrictEqual(Array.from(bytes.subarray(8, 16)), [0x40, 0, 0, 0, 0, 0, 0, 0])
    assert.deepStrictEqual(Array.from(bytes.subarray(16, 24)), [0x3f, 0xe0, 0, 0, 0, 0, 0, 0])
  })

  it("decode from a slice of a larger buffer, as drivers return pooled buffers", () => {
    const bytes = encodeChunk([point(1, 2), point(2, 3)]).points
    const pooled = Buffer.alloc(bytes.length + 13)
    pooled.set(bytes, 13)
    assert.deepStrictEqual(decodeChunk("loss", pooled.subarray(13)), [point(1, 2), point(2, 3)])
  })

  it("decode only the points a window keeps", () => {
    const bytes = encodeChunk([point(1, 1), point(2, 2), point(3, 3)]).points
    assert.deepStrictEqual(
      decodeChunk("loss", bytes, (step) => step >= 2).map((p) => p.step),
      [2, 3]
    )
  })

  it("group a batch by key, each key's points by step and timestamp, equal ones in logging order", () => {
    const batch = [
      { key: "acc", step: 1, timestamp: 5, value: 0.1 },
      { key: "loss", step: 2, timestamp: 5, value: 1 },
      { key: "loss", step: 1, timestamp: 9, value: 2 },
      { key: "loss", step: 1, timestamp: 5, value: 3 },
      { key: "loss", step: 1, timestamp: 5, value: 4 }
    ]
    assert.deepStrictEqual(
      seriesOf(batch).map((s) => [s.key, s.points.map((p) => [p.step, p.timestamp, p.value])]),
      [
        ["acc", [[1, 5, 0.1]]],
        [
          "loss",
          [
            [1, 5, 3],
            [1, 5, 4],
            [1, 9, 2],
            [2, 5, 1]
          ]
        ]
      ]
    )
  })
})
