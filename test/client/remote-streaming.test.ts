import { assert, layer } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { ArtifactStore } from "../../src/core/artifacts/ArtifactStore.js"
import { peakMemoryGrowth } from "../support/memory.js"
import { remoteOverBasicServer } from "./remote.js"

const chunk = new Uint8Array(1024 * 1024).fill(7)
const mib = 256

layer(remoteOverBasicServer(), { excludeTestServices: true })("RemoteLayer artifacts", (it) => {
  it.effect(`a ${mib} MiB upload and download stream through without being held in memory`, () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const upload = yield* peakMemoryGrowth(
        store.put("big/blob.bin", Stream.repeatValue(chunk).pipe(Stream.take(mib)))
      )
      assert.strictEqual(upload.result.size, mib * chunk.length)
      const download = yield* peakMemoryGrowth(
        Stream.runFold(store.get("big/blob.bin"), 0, (n, bytes) => n + bytes.length)
      )
      assert.strictEqual(download.result, mib * chunk.length)
      // Client and server share this process; the bound is half the file:
      // a client that buffered the body would need all of it at once.
      assert.isBelow(upload.growth / 2 ** 20, mib / 2, "upload")
      assert.isBelow(download.growth / 2 ** 20, mib / 2, "download")
    })
  )
})
