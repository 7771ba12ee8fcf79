import { assert, layer } from "@effect/vitest"
import { Effect, Layer, Stream } from "effect"
import { makeBasicLayer } from "../../../layers/Basic.js"
import { ArtifactStore } from "../../../src/core/artifacts/ArtifactStore.js"
import { Datasets } from "../../../src/core/data/Datasets.js"
import { DataSource } from "../../../src/core/data/model.js"
import { tempDir } from "../../support/sqlite.js"

const Basic = Layer.unwrapScoped(Effect.map(tempDir("dataset-files"), (dataPath) => makeBasicLayer({ dataPath })))
const csv = "id,score\n1,0.5\n2,0.7\n"

layer(Basic)("the artifact store beside Datasets", (it) => {
  it.effect("refuses to overwrite or delete a registered version's file, which stays as registered", () =>
    Effect.gen(function* () {
      const version = yield* (yield* Datasets).register({
        name: "scores",
        source: DataSource.bytes(Stream.make(new TextEncoder().encode(csv)), "csv")
      })
      const path = version.content?.path ?? ""
      assert.strictEqual(path, "datasets/scores/v1/data.csv")
      const artifacts = yield* ArtifactStore
      for (const attempt of [
        artifacts.putBytes(path, "id,score\n1,99\n"),
        artifacts.delete(path),
        artifacts.delete("datasets"),
        artifacts.delete("tenants"),
        artifacts.putBytes("tenants/acme/datasets/scores/v1/data.csv", "x")
      ]) {
        const refused = yield* Effect.flip(attempt)
        assert.deepInclude(refused, { _tag: "InvalidArtifactPath" })
      }
      assert.strictEqual(new TextDecoder().decode(yield* artifacts.getBytes(path)), csv)
      assert.strictEqual((yield* artifacts.stat(path)).size, version.content?.sizeBytes)
    })
  )

  it.effect("stores and deletes run artifacts as before", () =>
    Effect.gen(function* () {
      const artifacts = yield* ArtifactStore
      yield* artifacts.putBytes("1/abc/artifacts/datasets/notes.txt", "kept")
      yield* artifacts.delete("1/abc/artifacts/datasets/notes.txt")
      assert.deepStrictEqual(yield* artifacts.list("1/abc/artifacts/datasets"), [])
    })
  )
})
