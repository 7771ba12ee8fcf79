import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import {
  artifactPathFromUri,
  type InvalidArtifactPath,
  normalizeArtifactPath,
  normalizeArtifactPrefix,
  runArtifactPath
} from "../../../src/core/artifacts/index.js"

const reasonOf = (result: Either.Either<string, InvalidArtifactPath>): string =>
  Either.match(result, { onLeft: (error) => error.reason, onRight: (path) => `accepted as "${path}"` })

describe("normalizeArtifactPath", () => {
  it("keeps a plain relative path", () => {
    assert.deepStrictEqual(normalizeArtifactPath("model/weights.bin"), Either.right("model/weights.bin"))
  })

  it("collapses empty and '.' segments and a trailing slash", () => {
    assert.deepStrictEqual(normalizeArtifactPath("./model//./v1/weights.bin/"), Either.right("model/v1/weights.bin"))
  })

  it("keeps dots inside names, spaces and non-ASCII characters", () => {
    assert.deepStrictEqual(normalizeArtifactPath("a..b/.hidden/été 1.txt"), Either.right("a..b/.hidden/été 1.txt"))
  })

  const rejected: ReadonlyArray<readonly [input: string, reason: RegExp]> = [
    ["", /is empty/],
    [".", /is empty/],
    ["./", /is empty/],
    ["//", /is absolute/],
    ["..", /'\.\.' segment/],
    ["../x", /'\.\.' segment/],
    ["a/../b", /'\.\.' segment/],
    ["a/..", /'\.\.' segment/],
    ["/x", /is absolute/],
    ["C:/x", /Windows drive/],
    ["c:x", /Windows drive/],
    ["C:\\x", /backslash/],
    ["a\\b", /backslash/],
    ["a\u0000b", /NUL byte/],
    ["x".repeat(256), /longer than 255 bytes/],
    ["é".repeat(128), /longer than 255 bytes/]
  ]
  for (const [input, reason] of rejected) {
    it(`rejects ${JSON.stringify(input.length > 20 ? `${input.slice(0, 8)}…` : input)} with a reason`, () => {
      assert.match(reasonOf(normalizeArtifactPath(input)), reason)
    })
  }

  it("names the path as given in the error", () => {
    const result = normalizeArtifactPath("../secret")
    assert.deepStrictEqual(
      Either.map(Either.flip(result), (e) => [e._tag, e.path]),
      Either.right(["InvalidArtifactPath", "../secret"])
    )
  })

  it("accepts a segment of exactly 255 bytes", () => {
    assert.isTrue(Either.isRight(normalizeArtifactPath("x".repeat(255))))
  })
})

describe("normalizeArtifactPrefix", () => {
  it("allows the root as '', '.' and './'", () => {
    for (const root of ["", ".", "./"]) assert.deepStrictEqual(normalizeArtifactPrefix(root), Either.right(""))
  })

  it("applies the path rules otherwise", () => {
    assert.deepStrictEqual(normalizeArtifactPrefix("model/"), Either.right("model"))
    assert.match(reasonOf(normalizeArtifactPrefix("/")), /is absolute/)
    assert.match(reasonOf(normalizeArtifactPrefix("a/../..")), /'\.\.' segment/)
  })
})

describe("runArtifactPath", () => {
  const runId = "0123456789abcdef0123456789abcdef"

  it("is <experimentId>/<runId>/artifacts for the run's root", () => {
    assert.strictEqual(runArtifactPath("7", runId), `7/${runId}/artifacts`)
    assert.strictEqual(runArtifactPath("7", runId, ""), `7/${runId}/artifacts`)
  })

  it("appends a relative path", () => {
    assert.strictEqual(runArtifactPath("7", runId, "model/weights.bin"), `7/${runId}/artifacts/model/weights.bin`)
  })
})

describe("artifactPathFromUri", () => {
  it("maps mlflow-artifacts:/a/b to a/b", () => {
    assert.deepStrictEqual(artifactPathFromUri("mlflow-artifacts:/1/abc/artifacts"), Either.right("1/abc/artifacts"))
  })

  it("drops an authority and maps the root to ''", () => {
    assert.deepStrictEqual(artifactPathFromUri("mlflow-artifacts://host:5000/a/b"), Either.right("a/b"))
    assert.deepStrictEqual(artifactPathFromUri("mlflow-artifacts:/"), Either.right(""))
  })

  it("rejects another scheme and a traversal, naming the URI", () => {
    assert.match(reasonOf(artifactPathFromUri("s3://bucket/a")), /not an mlflow-artifacts: URI/)
    const traversal = artifactPathFromUri("mlflow-artifacts:/a/../../etc")
    assert.deepStrictEqual(
      Either.map(Either.flip(traversal), (e) => e.path),
      Either.right("mlflow-artifacts:/a/../../etc")
    )
  })
})
