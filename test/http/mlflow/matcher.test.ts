import { assert, describe, it } from "@effect/vitest"
import { Bindings, mismatches } from "./matcher.js"

const recordedRun = "a2a0542436444447aa3abce372310be6"
const ourRun = "0123456789abcdef0123456789abcdef"

describe("the transcript matcher", () => {
  it("treats ids, timestamps, artifact roots and page tokens as placeholders", () => {
    const expected = {
      run_id: recordedRun,
      start_time: 1795691837342,
      artifact_uri: `/srv/mlflow/artifacts/1/${recordedRun}/artifacts`,
      next_page_token: "eyJvZmZzZXQiOiAxfQ=="
    }
    const actual = {
      run_id: ourRun,
      start_time: 5,
      artifact_uri: `mlflow-artifacts:/1/${ourRun}/artifacts`,
      next_page_token: "abc"
    }
    assert.deepStrictEqual(mismatches(expected, actual, new Bindings()), [])
  })

  it("reports missing and unexpected fields, other values, and an id bound to two of ours", () => {
    const bindings = new Bindings()
    assert.deepStrictEqual(mismatches({ run_id: recordedRun }, { run_id: ourRun }, bindings), [])
    assert.deepStrictEqual(
      mismatches(
        { run_id: recordedRun, source: `runs:/${recordedRun}/model`, tags: [{ key: "a", value: "1" }] },
        { run_id: "f".repeat(32), source: `runs:/${ourRun}/model`, description: "" },
        bindings
      ),
      [
        "tags: missing",
        'description: unexpected field ("")',
        `run_id: ${"f".repeat(32)} is not the id bound to ${recordedRun}`
      ]
    )
  })

  it("compares a run's tags in any order, other lists in order, and refuses SQL in messages", () => {
    const tags = [
      { key: "a", value: "1" },
      { key: "b", value: "2" }
    ]
    assert.deepStrictEqual(
      mismatches({ run: { data: { tags } } }, { run: { data: { tags: [...tags].reverse() } } }, new Bindings()),
      []
    )
    assert.lengthOf(mismatches({ aliases: ["x", "y"] }, { aliases: ["y", "x"] }, new Bindings()), 2)
    assert.deepStrictEqual(
      mismatches({ error_code: "E", message: "" }, { error_code: "E", message: "[SQL: INSERT ...]" }, new Bindings()),
      ["message: the message leaks SQL: [SQL: INSERT ...]"]
    )
  })
})
