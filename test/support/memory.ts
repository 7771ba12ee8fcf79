import { runInNewContext } from "node:vm"
import { setFlagsFromString } from "node:v8"
import { Effect } from "effect"

// A full collection before each sample, so only memory something still holds is counted, not garbage.
setFlagsFromString("--expose_gc")
const collect = runInNewContext("gc") as () => void

/** Samples live heap and buffer memory while `effect` runs; the highest growth over the start, in bytes. */
export const peakMemoryGrowth = <A, E, R>(effect: Effect.Effect<A, E, R>, intervalMs = 500) =>
  Effect.gen(function* () {
    const used = () => {
      collect()
      const m = process.memoryUsage()
      return m.heapUsed + m.arrayBuffers
    }
    const start = used()
    let peak = start
    const timer = setInterval(() => {
      peak = Math.max(peak, used())
    }, intervalMs)
    const result = yield* Effect.ensuring(
      effect,
      Effect.sync(() => clearInterval(timer))
    )
    return { result, growth: peak - start }
  })
