import { assert, layer } from "@effect/vitest"
import { createHash } from "node:crypto"
import { Chunk, Deferred, Effect, Fiber, type Layer, Stream } from "effect"
import { ArtifactStore } from "../../../src/core/artifacts/index.js"

export const sha256 = (...chunks: ReadonlyArray<Uint8Array>): string => {
  const hash = createHash("sha256")
  for (const chunk of chunks) hash.update(chunk)
  return hash.digest("hex")
}

export const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text)

/** Every byte value, so encodings that mangle binary data are caught. */
export const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i)

/** Emits `chunk` and then never ends; `started` completes once the store has consumed the chunk. */
export const endlessAfter = (chunk: Uint8Array, started: Deferred.Deferred<void>): Stream.Stream<Uint8Array> =>
  Stream.concat(Stream.make(chunk), Stream.drain(Stream.fromEffect(Deferred.succeed(started, undefined)))).pipe(
    Stream.concat(Stream.never)
  )

/** One of each class of path the store must refuse. */
export const badPaths: ReadonlyArray<readonly [label: string, path: string]> = [
  ["empty", ""],
  ["only dot segments", "./."],
  ["parent segment", "../escape.txt"],
  ["inner parent segment", "a/../../escape.txt"],
  ["absolute", "/etc/passwd"],
  ["Windows drive with backslash", "C:\\x"],
  ["Windows drive with slash", "C:/x"],
  ["NUL byte", "a\u0000b"],
  ["backslash", "a\\b"],
  ["overlong segment", "x".repeat(256)]
]

const collect = (stream: Stream.Stream<Uint8Array, unknown>) =>
  Effect.map(Stream.runCollect(stream), (chunks) => Chunk.toReadonlyArray(chunks))

const concat = (chunks: ReadonlyArray<Uint8Array>): Uint8Array => Uint8Array.from(chunks.flatMap((c) => Array.from(c)))

/**
 * The ArtifactStore contract, run against every implementation. The layer is
 * shared by all tests of the suite, so each test works under its own top-level
 * directory.
 */
export const artifactStoreContract = (name: string, storeLayer: Layer.Layer<ArtifactStore, unknown>) =>
  layer(storeLayer)(`ArtifactStore contract: ${name}`, (it) => {
    it.effect("putBytes then getBytes round-trips every byte value", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("roundtrip/all.bin", allBytes)
        assert.deepStrictEqual(yield* store.getBytes("roundtrip/all.bin"), allBytes)
      })
    )

    it.effect("putBytes stores a string as UTF-8", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("utf8/hello.txt", "héllo ✓")
        assert.deepStrictEqual(yield* store.getBytes("utf8/hello.txt"), bytesOf("héllo ✓"))
      })
    )

    it.effect("a multi-chunk stream is stored whole and read back as a stream", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const chunks = [bytesOf("first,"), allBytes, bytesOf(""), bytesOf("last")]
        const info = yield* store.put("chunks/data.bin", Stream.fromIterable(chunks))
        assert.strictEqual(info.size, 6 + 256 + 4)
        const readBack = yield* collect(store.get("chunks/data.bin"))
        assert.deepStrictEqual(concat(readBack), concat(chunks))
      })
    )

    it.effect("an empty stream stores an empty file", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const info = yield* store.put("empty/nothing.bin", Stream.empty)
        assert.deepStrictEqual({ size: info.size, sha256: info.sha256 }, { size: 0, sha256: sha256() })
        assert.strictEqual((yield* store.getBytes("empty/nothing.bin")).length, 0)
      })
    )

    it.effect("the SHA-256 digest equals node:crypto's", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const chunks = [bytesOf("abc"), allBytes]
        const info = yield* store.put("digest/file.bin", Stream.fromIterable(chunks))
        assert.strictEqual(info.sha256, sha256(...chunks))
      })
    )

    it.effect("stat returns the path, size and digest recorded by put", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const stored = yield* store.putBytes("stat/model.bin", allBytes)
        const info = yield* store.stat("stat/model.bin")
        assert.deepStrictEqual(
          { path: info.path, size: info.size, sha256: info.sha256 },
          { path: "stat/model.bin", size: 256, sha256: sha256(allBytes) }
        )
        assert.deepStrictEqual(info, stored)
      })
    )

    it.effect("paths are normalised: empty and '.' segments collapse", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const info = yield* store.putBytes("./normalise//a/./b.txt/", "x")
        assert.strictEqual(info.path, "normalise/a/b.txt")
        assert.deepStrictEqual(yield* store.getBytes("normalise/a/b.txt"), bytesOf("x"))
      })
    )

    it.effect("list returns the immediate children, files with size and digest, directories, sorted by path", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        for (const path of ["list/b.txt", "list/a/x.bin", "list/a/y/z.bin", "list/c/d.txt", "list/A.txt"]) {
          yield* store.putBytes(path, path)
        }
        const entries = yield* store.list("list")
        assert.deepStrictEqual(
          entries.map((e) => [e.path, e.isDir, e.size, e.sha256]),
          [
            ["list/A.txt", false, 10, sha256(bytesOf("list/A.txt"))],
            ["list/a", true, undefined, undefined],
            ["list/b.txt", false, 10, sha256(bytesOf("list/b.txt"))],
            ["list/c", true, undefined, undefined]
          ]
        )
      })
    )

    it.effect("list of a nested directory shows its own children only", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("nested/a/x.bin", "x")
        yield* store.putBytes("nested/a/y/z.bin", "z")
        const entries = yield* store.list("nested/a/")
        assert.deepStrictEqual(
          entries.map((e) => [e.path, e.isDir]),
          [
            ["nested/a/x.bin", false],
            ["nested/a/y", true]
          ]
        )
      })
    )

    it.effect("list of the root shows top-level directories", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("rootlist/file.txt", "x")
        const entry = (yield* store.list("")).find((e) => e.path === "rootlist")
        assert.deepStrictEqual(entry && [entry.path, entry.isDir], ["rootlist", true])
      })
    )

    it.effect("list of a missing prefix, or of a file, is empty", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("listfile/only.txt", "x")
        assert.deepStrictEqual(yield* store.list("no/such/prefix"), [])
        assert.deepStrictEqual(yield* store.list("listfile/only.txt"), [])
      })
    )

    it.effect("put over an existing file replaces its content and digest", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("overwrite/file.txt", "old content")
        const info = yield* store.putBytes("overwrite/file.txt", "new")
        assert.deepStrictEqual(yield* store.getBytes("overwrite/file.txt"), bytesOf("new"))
        assert.deepStrictEqual(yield* store.stat("overwrite/file.txt"), info)
        assert.deepStrictEqual({ size: info.size, sha256: info.sha256 }, { size: 3, sha256: sha256(bytesOf("new")) })
      })
    )

    it.effect("delete removes a file, and a directory left empty disappears", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("delfile/keep.txt", "k")
        yield* store.putBytes("delfile/sub/gone.txt", "g")
        yield* store.delete("delfile/sub/gone.txt")
        const error = yield* Effect.flip(store.stat("delfile/sub/gone.txt"))
        assert.strictEqual(error._tag, "ArtifactNotFound")
        assert.deepStrictEqual(
          (yield* store.list("delfile")).map((e) => e.path),
          ["delfile/keep.txt"]
        )
      })
    )

    it.effect("delete of a directory removes everything under it and nothing else", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("deldir/model/a.bin", "a")
        yield* store.putBytes("deldir/model/deep/b.bin", "b")
        yield* store.putBytes("deldir/model.txt", "sibling with a common name prefix")
        yield* store.delete("deldir/model")
        assert.deepStrictEqual(
          (yield* store.list("deldir")).map((e) => e.path),
          ["deldir/model.txt"]
        )
        assert.strictEqual((yield* Effect.flip(store.stat("deldir/model/deep/b.bin")))._tag, "ArtifactNotFound")
      })
    )

    it.effect("a path that was a directory can hold a file once deleted", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("reuse/x/inner.txt", "inner")
        yield* store.delete("reuse/x")
        yield* store.putBytes("reuse/x", "now a file")
        assert.deepStrictEqual(yield* store.getBytes("reuse/x"), bytesOf("now a file"))
      })
    )

    it.effect("get, stat and delete of a missing path fail with ArtifactNotFound", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const failures = yield* Effect.all([
          Effect.flip(store.getBytes("missing/file.txt")),
          Effect.flip(store.stat("missing/file.txt")),
          Effect.flip(store.delete("missing/file.txt"))
        ])
        assert.deepStrictEqual(
          failures.map((e) => [e._tag, "path" in e ? e.path : undefined]),
          Array(3).fill(["ArtifactNotFound", "missing/file.txt"])
        )
      })
    )

    it.effect("get and stat of a directory, or of a path below a file, fail with ArtifactNotFound", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("isdir/inner/file.txt", "x")
        for (const path of ["isdir/inner", "isdir/inner/file.txt/child"]) {
          assert.strictEqual((yield* Effect.flip(store.getBytes(path)))._tag, "ArtifactNotFound", path)
          assert.strictEqual((yield* Effect.flip(store.stat(path)))._tag, "ArtifactNotFound", path)
        }
      })
    )

    it.effect("a file cannot be stored under a file, nor over a directory, and the stream is not read", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        yield* store.putBytes("placement/file.txt", "x")
        yield* store.putBytes("placement/dir/inner.txt", "y")
        const unread = Stream.die("the stream must not be read")
        const underFile = yield* Effect.flip(store.put("placement/file.txt/child.txt", unread))
        const overDir = yield* Effect.flip(store.put("placement/dir", unread))
        assert.deepStrictEqual([underFile._tag, overDir._tag], ["InvalidArtifactPath", "InvalidArtifactPath"])
        assert.deepStrictEqual(yield* store.getBytes("placement/dir/inner.txt"), bytesOf("y"))
      })
    )

    for (const [label, path] of badPaths) {
      it.effect(`rejects a path with ${label} everywhere, writing nothing`, () =>
        Effect.gen(function* () {
          const store = yield* ArtifactStore
          const before = yield* store.list("")
          const failures = yield* Effect.all([
            Effect.flip(store.putBytes(path, "x")),
            Effect.flip(store.getBytes(path)),
            Effect.flip(store.stat(path)),
            Effect.flip(store.delete(path))
          ])
          assert.deepStrictEqual(
            failures.map((e) => e._tag),
            Array(4).fill("InvalidArtifactPath")
          )
          assert.deepStrictEqual(yield* store.list(""), before)
        })
      )
    }

    it.effect("list rejects a bad prefix but accepts the root", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        assert.strictEqual((yield* Effect.flip(store.list("../up")))._tag, "InvalidArtifactPath")
        assert.deepStrictEqual(yield* store.list("."), yield* store.list(""))
      })
    )

    it.effect("a failing input stream fails put with its error and stores nothing", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const failing = Stream.concat(Stream.make(allBytes), Stream.fail("upload broke" as const))
        const error = yield* Effect.flip(store.put("failing/file.bin", failing))
        assert.strictEqual(error, "upload broke")
        assert.strictEqual((yield* Effect.flip(store.stat("failing/file.bin")))._tag, "ArtifactNotFound")
        assert.deepStrictEqual(yield* store.list("failing"), [])
      })
    )

    it.effect("a failing overwrite keeps the previous content", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const before = yield* store.putBytes("failover/file.txt", "kept")
        yield* Effect.flip(store.put("failover/file.txt", Stream.fail("broke")))
        assert.deepStrictEqual(yield* store.stat("failover/file.txt"), before)
        assert.deepStrictEqual(yield* store.getBytes("failover/file.txt"), bytesOf("kept"))
      })
    )

    it.effect("an interrupted put stores nothing", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const started = yield* Deferred.make<void>()
        const fiber = yield* Effect.fork(store.put("interrupted/file.bin", endlessAfter(allBytes, started)))
        yield* Deferred.await(started)
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual(yield* store.list("interrupted"), [])
      })
    )

    it.effect("a 64 MiB generated stream is stored with the right size and digest", () =>
      Effect.gen(function* () {
        const store = yield* ArtifactStore
        const chunkSize = 64 * 1024
        const chunkCount = 1024
        const chunkAt = (i: number) => new Uint8Array(chunkSize).fill(i % 251)
        function* generate() {
          for (let i = 0; i < chunkCount; i++) yield chunkAt(i)
        }
        const expected = createHash("sha256")
        for (const chunk of generate()) expected.update(chunk)
        // One chunk per pull: the generator is never drained ahead of the store.
        const info = yield* store.put("large/64mib.bin", Stream.fromIteratorSucceed(generate(), 1))
        assert.deepStrictEqual(
          { size: info.size, sha256: info.sha256 },
          { size: chunkSize * chunkCount, sha256: expected.digest("hex") }
        )
        yield* store.delete("large/64mib.bin")
      })
    )
  })
