import { afterEach, assert, describe, it, vi } from "@effect/vitest"
import { newRunId } from "../../../src/core/tracking/naming.js"

describe("newRunId", () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it("is 32 lowercase hex characters, as MLflow's run ids are", () => {
    assert.match(newRunId(), /^[0-9a-f]{32}$/)
  })

  it("starts with the creation millisecond and has UUIDv7's version and variant digits", () => {
    vi.useFakeTimers({ now: 1_795_000_000_123 })
    const id = newRunId()
    assert.strictEqual(Number.parseInt(id.slice(0, 12), 16), 1_795_000_000_123)
    assert.strictEqual(id[12], "7")
    assert.match(id[16]!, /^[89ab]$/)
  })

  it("sorts a run made in a later millisecond after an earlier one", () => {
    vi.useFakeTimers({ now: 1_795_000_000_000 })
    const earlier = Array.from({ length: 50 }, newRunId)
    vi.setSystemTime(1_795_000_000_001)
    const later = Array.from({ length: 50 }, newRunId)
    for (const a of earlier) for (const b of later) assert.isTrue(a < b, `${a} < ${b}`)
  })

  it("differs between runs made in the same millisecond", () => {
    vi.useFakeTimers({ now: 1_795_000_000_000 })
    const ids = new Set(Array.from({ length: 10_000 }, newRunId))
    assert.strictEqual(ids.size, 10_000)
  })
})
