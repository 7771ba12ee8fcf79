import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { parseLoggedModelFilter, parseLoggedModelOrderBy } from "../../../src/core/models/filter.js"

const parsed = (filter: string | undefined) => Either.getOrThrow(parseLoggedModelFilter(filter))

const failure = (filter: string) => {
  const result = parseLoggedModelFilter(filter)
  assert.isTrue(Either.isLeft(result))
  return Either.isLeft(result) ? result.left : undefined
}

describe("logged model filter parser", () => {
  it("a blank filter has no comparisons", () => {
    assert.deepStrictEqual(parsed(undefined), [])
    assert.deepStrictEqual(parsed("  "), [])
  })

  it("reads attributes, aliases, metrics, params and tags joined by AND in any case", () => {
    assert.deepStrictEqual(
      parsed(
        "name = 'docs' and attributes.creation_time > 5 AND metrics.acc >= 0.9 AND params.lr != '0.1' AND tags.`a b` LIKE 'x%'"
      ),
      [
        { kind: "attribute", key: "name", comparator: "=", value: "docs", position: 0 },
        { kind: "timestamp", key: "creation_timestamp", comparator: ">", value: 5, position: 18 },
        { kind: "metric", key: "acc", comparator: ">=", value: 0.9, position: 51 },
        { kind: "param", key: "lr", comparator: "!=", value: "0.1", position: 74 },
        { kind: "tag", key: "a b", comparator: "LIKE", value: "x%", position: 97 }
      ]
    )
  })

  it("reads IN and NOT IN lists on string attributes", () => {
    assert.deepStrictEqual(parsed("source_run_id NOT IN ('a', \"b\")"), [
      { kind: "attributeList", key: "source_run_id", comparator: "NOT IN", value: ["a", "b"], position: 0 }
    ])
  })

  it("points at the offending token", () => {
    assert.deepInclude(failure("name = 'a' OR name = 'b'"), { position: 11 })
    assert.deepInclude(failure("metrics.acc LIKE 1"), { position: 12 })
    assert.deepInclude(failure("datasets.name = 'x'"), { position: 0 })
    assert.deepInclude(failure("name = 'a' AND"), { position: 14 })
  })

  it("parses order_by entries on attributes and metrics, refusing others", () => {
    assert.deepStrictEqual(
      Either.getOrThrow(
        parseLoggedModelOrderBy([{ fieldName: "metrics.acc", ascending: false }, { fieldName: "last_updated_time" }])
      ),
      [
        { kind: "metric", key: "acc", ascending: false },
        { kind: "attribute", key: "last_updated_timestamp", ascending: true }
      ]
    )
    assert.isTrue(Either.isLeft(parseLoggedModelOrderBy([{ fieldName: "tags.team" }])))
  })
})
