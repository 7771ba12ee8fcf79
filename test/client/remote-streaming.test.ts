import { assert, layer } from "@effect/vitest"
import { Effect, Stream } from "effect"
import { ArtifactStore } from "../../src/core/artifacts/ArtifactStore.js"
import { remoteOverBasicServer } from "./remote.js"

const chunk = new Uint8Array(1024 * 1024).fill(7)
const mib = 256

/** Peak growth of the process's memory (heap + array buffers) while `effect` runs, sampled every 20 ms. */
const peakGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const used = () => {
      const usage = process.memoryUsage()
      return usage.heapUsed + usage.arrayBuffers
    }
    const before = used()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, used())
    }, 20)
    const result = yield* Effect.ensuring(
      effect,
      Effect.sync(() => clearInterval(sampler))
    )
    return { result, growthMiB: (peak - before) / 2 ** 20 }
  })

layer(remoteOverBasicServer(), { excludeTestServices: true })("RemoteLayer artifacts", (it) => {
  it.effect(`a ${mib} MiB upload and download stream through without being held in memory`, () =>
    Effect.gen(function* () {
      const store = yield* ArtifactStore
      const upload = yield* peakGrowth(store.put("big/blob.bin", Stream.repeatValue(chunk).pipe(Stream.take(mib))))
      assert.strictEqual(upload.result.size, mib * chunk.length)
      const download = yield* peakGrowth(Stream.runFold(store.get("big/blob.bin"), 0, (n, bytes) => n + bytes.length))
      assert.strictEqual(download.result, mib * chunk.length)
      // Garbage not yet collected counts too, so the bound is half the file:
      // a client that buffered the body would need all of it at once.
      assert.isBelow(upload.growthMiB, mib / 2, "upload")
      assert.isBelow(download.growthMiB, mib / 2, "download")
    })
  )
})
