import { SqlClient, type Statement } from "@effect/sql"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import {
  compileRunFilter,
  compileRunOrderBy,
  parseRunFilter,
  parseRunOrderBy
} from "../../src/core/tracking/filter/index.js"
import { SqliteTest } from "../support/sqlite.js"

/*
 * The statements below are the hot queries of src/core/tracking/sql.ts,
 * written the same way (filters and ORDER BY come from the same compilers).
 * The store is a freshly migrated file without ANALYZE statistics, as every
 * store the library creates is, so SQLite plans from the schema alone.
 */

const runId = "0123456789abcdef0123456789abcdef"
const otherRunId = "fedcba9876543210fedcba9876543210"

const planOf = (statement: Statement.Statement<unknown>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [text, params] = statement.compile()
    const rows = yield* sql.unsafe<{ readonly detail: string }>(`EXPLAIN QUERY PLAN ${text}`, params)
    return rows.map((row) => row.detail)
  })

/** The table accesses of a plan, in plan order: `SEARCH ...` (index lookup) or `SCAN ...` (full pass). */
const accesses = (plan: ReadonlyArray<string>) => plan.filter((line) => /^(SEARCH|SCAN) /.test(line))

const sortsInMemory = (plan: ReadonlyArray<string>) => plan.some((line) => line.includes("TEMP B-TREE FOR ORDER BY"))

const searchRuns = (options: {
  readonly experimentIds: ReadonlyArray<number>
  readonly stages: ReadonlyArray<string>
  readonly filter?: string
  readonly orderBy?: ReadonlyArray<string>
}) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const filter = yield* parseRunFilter(options.filter ?? "")
    const orderBy = yield* parseRunOrderBy(options.orderBy ?? [])
    return yield* planOf(sql`SELECT r.* FROM runs r
      WHERE ${sql.in("r.experiment_id", options.experimentIds)}
        AND ${sql.in("r.lifecycle_stage", options.stages)}
        AND ${compileRunFilter(sql, filter)}
      ORDER BY ${compileRunOrderBy(sql, orderBy)}
      LIMIT ${1001} OFFSET ${0}`)
  })

const byExperiment = "SEARCH r USING INDEX runs_by_experiment (experiment_id=? AND lifecycle_stage=?)"

layer(SqliteTest)("query plans of the hot queries", (it) => {
  it.effect("a run is looked up by its primary key", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* planOf(sql`SELECT * FROM runs WHERE run_id = ${runId}`)
      assert.deepStrictEqual(accesses(plan), ["SEARCH runs USING INDEX sqlite_autoindex_runs_1 (run_id=?)"])
    })
  )

  it.effect("a metric history reads the series' chunks in index order, without sorting", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* planOf(sql`SELECT chunk_id, points FROM metric_chunks
        WHERE ${sql.and([sql`run_id = ${runId}`, sql`key = ${"loss"}`])} ORDER BY min_step, max_step, chunk_id`)
      assert.deepStrictEqual(accesses(plan), [
        "SEARCH metric_chunks USING INDEX metric_chunks_by_series (run_id=? AND key=?)"
      ])
      assert.isFalse(sortsInMemory(plan))
    })
  )

  it.effect("a downsampled history reads one level of metric_tiers as a primary-key range", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* planOf(sql`SELECT min_step, min_timestamp, min_value, max_step, max_timestamp, max_value,
          nan_step, nan_timestamp FROM metric_tiers
        WHERE run_id = ${runId} AND key = ${"loss"} AND level = ${2} AND bucket BETWEEN ${0} AND ${3906}`)
      assert.deepStrictEqual(accesses(plan), [
        "SEARCH metric_tiers USING PRIMARY KEY (run_id=? AND key=? AND level=? AND bucket>? AND bucket<?)"
      ])
    })
  )

  it.effect("the first and last point of a window start from the chunks' step ranges alone, in the index", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* planOf(sql`SELECT chunk_id, min_step, max_step FROM metric_chunks
        WHERE run_id = ${runId} AND key = ${"loss"}`)
      assert.deepStrictEqual(accesses(plan), [
        "SEARCH metric_chunks USING COVERING INDEX metric_chunks_by_series (run_id=? AND key=?)"
      ])
    })
  )

  it.effect("a series' newest chunk, which small appends join, is one step of metric_chunks_newest", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* planOf(sql`SELECT chunk_id, count, points FROM metric_chunks
        WHERE run_id = ${runId} AND key = ${"loss"} ORDER BY chunk_id DESC LIMIT 1`)
      assert.deepStrictEqual(accesses(plan), [
        "SEARCH metric_chunks USING INDEX metric_chunks_newest (run_id=? AND key=?)"
      ])
      assert.isFalse(sortsInMemory(plan))
    })
  )

  it.effect("a step window of a metric history is a range of metric_chunks_by_series", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* planOf(sql`SELECT chunk_id, points FROM metric_chunks
        WHERE ${sql.and([sql`run_id = ${runId}`, sql`key = ${"loss"}`, sql`max_step >= ${100}`, sql`min_step <= ${200}`])}
        ORDER BY min_step, max_step, chunk_id`)
      assert.deepStrictEqual(accesses(plan), [
        "SEARCH metric_chunks USING INDEX metric_chunks_by_series (run_id=? AND key=? AND min_step<?)"
      ])
      assert.isFalse(sortsInMemory(plan))
    })
  )

  it.effect("latest metrics, params and tags of a page of runs are read by primary key", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const ids = [runId, otherRunId]
      const latest = yield* planOf(sql`SELECT run_id AS owner_id, key, step, timestamp, value, is_nan
        FROM latest_metrics WHERE ${sql.in("run_id", ids)} ORDER BY key`)
      const params = yield* planOf(
        sql`SELECT run_id AS owner_id, key, value FROM params WHERE ${sql.in("run_id", ids)} ORDER BY key`
      )
      const tags = yield* planOf(
        sql`SELECT run_id AS owner_id, key, value FROM tags WHERE ${sql.in("run_id", ids)} ORDER BY key`
      )
      assert.deepStrictEqual(accesses(latest), ["SEARCH latest_metrics USING PRIMARY KEY (run_id=?)"])
      assert.deepStrictEqual(accesses(params), ["SEARCH params USING PRIMARY KEY (run_id=?)"])
      assert.deepStrictEqual(accesses(tags), ["SEARCH tags USING PRIMARY KEY (run_id=?)"])
    })
  )

  it.effect("searchRuns in one experiment reads runs_by_experiment in the default order, without sorting", () =>
    Effect.gen(function* () {
      const plan = yield* searchRuns({ experimentIds: [1], stages: ["active"] })
      assert.deepStrictEqual(accesses(plan), [byExperiment])
      assert.isFalse(sortsInMemory(plan))
    })
  )

  it.effect("searchRuns over several experiments and stages still reads runs_by_experiment", () =>
    Effect.gen(function* () {
      const plan = yield* searchRuns({ experimentIds: [1, 2, 3], stages: ["active", "deleted"] })
      assert.deepStrictEqual(accesses(plan), [byExperiment])
    })
  )

  it.effect("a metric filter probes latest_metrics by (run_id, key)", () =>
    Effect.gen(function* () {
      const plan = yield* searchRuns({ experimentIds: [1], stages: ["active"], filter: "metrics.accuracy > 0.9" })
      assert.deepStrictEqual(accesses(plan), [byExperiment, "SEARCH m USING PRIMARY KEY (run_id=? AND key=?)"])
      assert.isFalse(sortsInMemory(plan))
    })
  )

  it.effect("an equality filter reads the (key, value) index once; other comparators probe by (run_id, key)", () =>
    Effect.gen(function* () {
      const plan = yield* searchRuns({
        experimentIds: [1],
        stages: ["active"],
        filter: "params.lr = '0.01' AND tags.team LIKE 'vis%'"
      })
      assert.deepStrictEqual(accesses(plan), [
        byExperiment,
        "SEARCH x USING COVERING INDEX params_by_value (key=? AND value=?)",
        "SEARCH x USING PRIMARY KEY (run_id=? AND key=?)"
      ])
    })
  )

  it.effect("ordering by a metric probes latest_metrics by (run_id, key)", () =>
    Effect.gen(function* () {
      const plan = yield* searchRuns({ experimentIds: [1], stages: ["active"], orderBy: ["metrics.loss ASC"] })
      assert.deepStrictEqual(accesses(plan), [
        byExperiment,
        "SEARCH m USING PRIMARY KEY (run_id=? AND key=?)",
        "SEARCH m USING PRIMARY KEY (run_id=? AND key=?)"
      ])
    })
  )
})
