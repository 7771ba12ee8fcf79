import { assert, describe, it } from "@effect/vitest"
import { Chunk, Context, Effect, Exit, Layer, Queue, Scope, TestClock } from "effect"
import { AuditCheckpoints } from "../../../../src/enterprise/security/audit/AuditCheckpoints.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import type { AuditCheckpoint } from "../../../../src/enterprise/security/audit/model.js"
import { checkpointInterval } from "../../../../src/enterprise/security/audit/sql.js"
import { SqliteTest } from "../../../support/sqlite.js"
import { as, auditKey, record } from "./fixtures.js"

/** Checkpoints in memory that put the seq of every checkpoint written on `writes`. */
const recordingCheckpoints = (writes: Queue.Enqueue<number>) =>
  Layer.effect(
    AuditCheckpoints,
    Effect.map(AuditCheckpoints, (inner) => ({
      ...inner,
      write: (tenantId: string, checkpoint: AuditCheckpoint) =>
        Effect.zipLeft(inner.write(tenantId, checkpoint), Queue.offer(writes, checkpoint.seq))
    }))
  ).pipe(Layer.provide(AuditCheckpoints.layerMemory))

/** Waits until the background writer rests on the TestClock, so adjusting the clock wakes it. */
const writerResting = Effect.repeat(TestClock.sleeps(), { until: Chunk.isNonEmpty })

describe("the SQL trail's checkpoint writer", () => {
  it.effect("writes at once after an idle spell, then at most once per interval, always the newest head", () =>
    Effect.gen(function* () {
      const writes = yield* Queue.unbounded<number>()
      const scope = yield* Scope.make()
      const trail = Context.get(
        yield* Layer.buildWithScope(
          AuditTrail.layer(auditKey).pipe(Layer.provide(recordingCheckpoints(writes)), Layer.provide(SqliteTest)),
          scope
        ),
        AuditTrail
      )

      yield* trail.append(record(1))
      assert.strictEqual(yield* Queue.take(writes), 1)
      yield* writerResting
      // Committed while the writer rests: none of these is written on its own.
      yield* trail.append(record(2))
      yield* trail.append(record(3))
      yield* trail.append(record(4))
      assert.strictEqual(yield* Queue.size(writes), 0)

      yield* TestClock.adjust(checkpointInterval)
      assert.strictEqual(yield* Queue.take(writes), 4, "one write, of the newest head")
      assert.strictEqual(yield* Queue.size(writes), 0)

      // Closing the trail writes the last head without waiting for the interval.
      yield* trail.append(record(5))
      assert.strictEqual(yield* Queue.size(writes), 0)
      yield* Scope.close(scope, Exit.void)
      assert.deepStrictEqual(Chunk.toReadonlyArray(yield* Queue.takeAll(writes)), [5])
    }).pipe(as("w-coalesce"))
  )
})
