import * as NodeContext from "@effect/platform-node/NodeContext"
import { assert, layer } from "@effect/vitest"
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Deferred, Effect, Fiber, Layer, Stream } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/index.js"
import { allBytes, artifactStoreContract, bytesOf, endlessAfter, sha256 } from "./contract.js"

/** The root directory of the local store under test. */
class StoreRoot extends Context.Tag("test/artifacts/StoreRoot")<StoreRoot, string>() {}

const tempRoot = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "effect-mlops-artifacts-"))),
  (root) => Effect.promise(() => rm(root, { recursive: true, force: true }))
)

// A fresh directory per suite, removed when the suite ends.
const LocalStore = Layer.unwrapScoped(
  Effect.map(tempRoot, (root) => Layer.merge(ArtifactStore.layer(root), Layer.succeed(StoreRoot, root)))
).pipe(Layer.provide(NodeContext.layer))

artifactStoreContract("local", LocalStore)

const tempFiles = Effect.flatMap(StoreRoot, (root) => Effect.promise(() => readdir(join(root, "tmp"))))

layer(LocalStore)("ArtifactStore local layout and crash safety", (it) => {
  it.effect("bytes live under files/ and { size, sha256 } under meta/", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const root = yield* StoreRoot
      yield* store.putBytes("layout/model.bin", allBytes)
      const data = yield* Effect.promise(() => readFile(join(root, "files", "layout", "model.bin")))
      const meta = yield* Effect.promise(() => readFile(join(root, "meta", "layout", "model.bin"), "utf8"))
      assert.deepStrictEqual(new Uint8Array(data), allBytes)
      assert.deepStrictEqual(JSON.parse(meta), { size: 256, sha256: sha256(allBytes) })
    })
  )

  it.effect("a file and a directory named like its metadata can coexist", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      yield* store.putBytes("collide/x", "file")
      yield* store.putBytes("collide/x.json/y", "nested")
      assert.deepStrictEqual(
        (yield* store.list("collide")).map((e) => [e.path, e.isDir]),
        [
          ["collide/x", false],
          ["collide/x.json", true]
        ]
      )
    })
  )

  it.effect("a failing input stream leaves no temp file behind", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      yield* Effect.flip(store.put("tmpfail/file.bin", Stream.concat(Stream.make(allBytes), Stream.fail("broke"))))
      assert.deepStrictEqual(yield* tempFiles, [])
    })
  )

  it.effect("an interrupted put removes its temp file", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const started = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(store.put("tmpinterrupt/file.bin", endlessAfter(allBytes, started)))
      yield* Deferred.await(started)
      assert.strictEqual((yield* tempFiles).length, 1, "the upload is being written to a temp file")
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(yield* tempFiles, [])
    })
  )

  it.effect("a successful put leaves no temp file behind", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      yield* store.putBytes("tmpok/file.bin", allBytes)
      assert.deepStrictEqual(yield* tempFiles, [])
    })
  )

  it.effect("metadata lost in a crash is recomputed from the bytes", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const root = yield* StoreRoot
      const stored = yield* store.putBytes("repair/file.bin", allBytes)
      yield* Effect.promise(() => rm(join(root, "meta", "repair", "file.bin")))
      assert.deepStrictEqual(yield* store.stat("repair/file.bin"), stored)
      const meta = yield* Effect.promise(() => readFile(join(root, "meta", "repair", "file.bin"), "utf8"))
      assert.deepStrictEqual(JSON.parse(meta), { size: 256, sha256: sha256(allBytes) })
    })
  )

  it.effect("corrupt metadata fails with ArtifactStorageError, not a raw platform error", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const root = yield* StoreRoot
      yield* store.putBytes("corrupt/file.bin", "x")
      yield* Effect.promise(() => writeFile(join(root, "meta", "corrupt", "file.bin"), "{not json"))
      const error = yield* Effect.flip(store.stat("corrupt/file.bin"))
      assert.deepStrictEqual(
        [error._tag, "operation" in error ? error.operation : ""],
        ["ArtifactStorageError", "read metadata"]
      )
    })
  )

  it.effect("a new store on the same root sees the stored artifacts", () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const root = yield* StoreRoot
      const stored = yield* store.putBytes("reopen/file.txt", "persisted")
      const reopened = yield* Effect.provide(
        ArtifactStore,
        ArtifactStore.layer(root).pipe(Layer.provide(NodeContext.layer))
      )
      assert.deepStrictEqual(yield* reopened.stat("reopen/file.txt"), stored)
      assert.deepStrictEqual(yield* reopened.getBytes("reopen/file.txt"), bytesOf("persisted"))
    })
  )
})

layer(NodeContext.layer)("ArtifactStore.layer", (it) => {
  it.effect("fails with ArtifactStorageError when the root cannot be created", () =>
    Effect.gen(function* () {
      const dir = yield* tempRoot
      const blocker = join(dir, "a-file")
      yield* Effect.promise(() => writeFile(blocker, "not a directory"))
      const error = yield* Effect.flip(Layer.build(ArtifactStore.layer(join(blocker, "store"))))
      assert.deepStrictEqual([error._tag, error.operation], ["ArtifactStorageError", "open store"])
    }).pipe(Effect.scoped)
  )
})
