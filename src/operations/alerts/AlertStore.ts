import { SqlClient, SqlSchema } from "@effect/sql"
import { Clock, Context, Duration, Effect, Layer, Ref, Schema } from "effect"
import { type AlertState, AlertStatus } from "./model.js"
import type { Sample } from "./samples.js"

/**
 * Where alert evaluators coordinate: a named lease that makes one of several
 * replicas the evaluator, and each series' alert state, so a new leader
 * carries on with pending and firing alerts without announcing them again.
 * Lease times come from `Clock`, so `TestClock` drives expiry in tests.
 */
export interface AlertStoreShape {
  /**
   * Takes the lease `name` for `holder` until now + `ttl`, or extends it if
   * `holder` already has it; `false` while another holder's lease is unexpired.
   */
  readonly acquireLease: (name: string, holder: string, ttl: Duration.DurationInput) => Effect.Effect<boolean>
  /**
   * Extends the lease `name` to now + `ttl` only if `holder` still has it,
   * expired or not (nobody took it over since); `false` when another holder
   * took it or it was released, i.e. `holder` must not act as leader any more.
   */
  readonly renewLease: (name: string, holder: string, ttl: Duration.DurationInput) => Effect.Effect<boolean>
  /** Gives the lease up early (only if `holder` has it), so another replica can take over at its next tick. */
  readonly releaseLease: (name: string, holder: string) => Effect.Effect<void>
  /** The states of one rule set's series (evaluators of different rule sets keep theirs apart). */
  readonly loadStates: (ruleSet: string) => Effect.Effect<ReadonlyArray<AlertState>>
  /** Inserts or replaces the states of the given series of a rule set. */
  readonly saveStates: (ruleSet: string, states: ReadonlyArray<AlertState>) => Effect.Effect<void>
  /** Forgets the states of the given series of a rule set (absent ones are ignored). */
  readonly deleteStates: (ruleSet: string, series: ReadonlyArray<SeriesKey>) => Effect.Effect<void>
  /** Shares a replica's metric sample with the leader (a sample already written is kept). */
  readonly writeSample: (sample: Sample) => Effect.Effect<void>
  /** Every replica's samples taken at or after `since`. */
  readonly readSamples: (since: number) => Effect.Effect<ReadonlyArray<Sample>>
  /** Forgets samples taken before `before`. */
  readonly pruneSamples: (before: number) => Effect.Effect<void>
}

/** A rule's series, the key of its state. */
export interface SeriesKey {
  readonly rule: string
  readonly series: string
}

const StateRow = Schema.Struct({
  ruleName: Schema.String,
  series: Schema.String,
  state: AlertStatus,
  activeSince: Schema.NullOr(Schema.Number),
  lastValue: Schema.NullOr(Schema.Number),
  lastEvaluation: Schema.Number
})

const SeriesPoints = Schema.parseJson(
  Schema.Array(
    Schema.Struct({
      name: Schema.String,
      tags: Schema.Record({ key: Schema.String, value: Schema.String }),
      value: Schema.Number,
      buckets: Schema.Array(Schema.Tuple(Schema.Number, Schema.Number))
    })
  )
)
const encodePoints = Schema.encodeSync(SeriesPoints)

const SampleRow = Schema.Struct({ instance: Schema.String, sampledAt: Schema.Number, points: SeriesPoints })

// SQLite stores NaN as NULL; an alert's last value is informational, so NaN is kept as "no value" on both dialects.
const storable = (value: number | null) => (value === null || Number.isNaN(value) ? null : value)

const makeSql = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // One statement, atomic on both dialects: insert the lease, or take it over
  // when it has expired or is already ours; RETURNING yields no row when the
  // WHERE refused the update, i.e. someone else holds an unexpired lease.
  const acquireLease = (name: string, holder: string, ttl: Duration.DurationInput) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      sql<{ readonly holder: string }>`
        INSERT INTO leases (name, holder, expires_at) VALUES (${name}, ${holder}, ${now + Duration.toMillis(ttl)})
        ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
        WHERE leases.expires_at <= ${now} OR leases.holder = excluded.holder
        RETURNING holder`.pipe(Effect.map((rows) => rows.length === 1))
    ).pipe(Effect.orDie, Effect.withSpan("AlertStore.acquireLease"))

  const renewLease = (name: string, holder: string, ttl: Duration.DurationInput) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      sql<{ readonly holder: string }>`
        UPDATE leases SET expires_at = ${now + Duration.toMillis(ttl)}
        WHERE name = ${name} AND holder = ${holder}
        RETURNING holder`.pipe(Effect.map((rows) => rows.length === 1))
    ).pipe(Effect.orDie, Effect.withSpan("AlertStore.renewLease"))

  const releaseLease = (name: string, holder: string) =>
    sql`DELETE FROM leases WHERE name = ${name} AND holder = ${holder}`.pipe(
      Effect.asVoid,
      Effect.orDie,
      Effect.withSpan("AlertStore.releaseLease")
    )

  const selectStates = SqlSchema.findAll({
    Request: Schema.String,
    Result: StateRow,
    execute: (ruleSet) =>
      sql`SELECT rule_name, series, state, active_since, last_value, last_evaluation FROM alert_states
        WHERE rule_set = ${ruleSet}`
  })

  const loadStates = (ruleSet: string) =>
    selectStates(ruleSet).pipe(
      Effect.map((rows) =>
        rows.map(
          (row): AlertState => ({
            rule: row.ruleName,
            series: row.series,
            status: row.state,
            activeSince: row.activeSince,
            lastValue: row.lastValue,
            lastEvaluation: row.lastEvaluation
          })
        )
      ),
      Effect.orDie,
      Effect.withSpan("AlertStore.loadStates")
    )

  const saveStates = Effect.fn("AlertStore.saveStates")(
    function* (ruleSet: string, states: ReadonlyArray<AlertState>) {
      for (const state of states) {
        yield* sql`
          INSERT INTO alert_states (rule_set, rule_name, series, state, active_since, last_value, last_evaluation)
          VALUES (${ruleSet}, ${state.rule}, ${state.series}, ${state.status}, ${state.activeSince}, ${storable(state.lastValue)}, ${state.lastEvaluation})
          ON CONFLICT (rule_set, rule_name, series) DO UPDATE SET state = excluded.state,
            active_since = excluded.active_since, last_value = excluded.last_value,
            last_evaluation = excluded.last_evaluation`
      }
    },
    (effect) => effect.pipe(sql.withTransaction, Effect.orDie)
  )

  const deleteStates = Effect.fn("AlertStore.deleteStates")(
    function* (ruleSet: string, series: ReadonlyArray<SeriesKey>) {
      for (const key of series) {
        yield* sql`
          DELETE FROM alert_states WHERE rule_set = ${ruleSet} AND rule_name = ${key.rule} AND series = ${key.series}`
      }
    },
    (effect) => effect.pipe(sql.withTransaction, Effect.orDie)
  )

  const writeSample = (sample: Sample) =>
    sql`
      INSERT INTO alert_metric_samples (instance, sampled_at, points)
      VALUES (${sample.instance}, ${sample.at}, ${encodePoints(sample.points)})
      ON CONFLICT (instance, sampled_at) DO NOTHING`.pipe(
      Effect.asVoid,
      Effect.orDie,
      Effect.withSpan("AlertStore.writeSample")
    )

  const selectSamples = SqlSchema.findAll({
    Request: Schema.Number,
    Result: SampleRow,
    execute: (since) => sql`SELECT instance, sampled_at, points FROM alert_metric_samples WHERE sampled_at >= ${since}`
  })

  const readSamples = (since: number) =>
    selectSamples(since).pipe(
      Effect.map((rows) =>
        rows.map((row): Sample => ({ instance: row.instance, at: row.sampledAt, points: row.points }))
      ),
      Effect.orDie,
      Effect.withSpan("AlertStore.readSamples")
    )

  const pruneSamples = (before: number) =>
    sql`DELETE FROM alert_metric_samples WHERE sampled_at < ${before}`.pipe(
      Effect.asVoid,
      Effect.orDie,
      Effect.withSpan("AlertStore.pruneSamples")
    )

  return {
    acquireLease,
    renewLease,
    releaseLease,
    loadStates,
    saveStates,
    deleteStates,
    writeSample,
    readSamples,
    pruneSamples
  } satisfies AlertStoreShape
})

interface Lease {
  readonly holder: string
  readonly expiresAt: number
}

const makeMemory = Effect.gen(function* () {
  const leases = yield* Ref.make(new Map<string, Lease>())
  const states = yield* Ref.make(new Map<string, AlertState & { readonly ruleSet: string }>())
  const samples = yield* Ref.make<ReadonlyArray<Sample>>([])
  const key = (ruleSet: string, series: SeriesKey) => JSON.stringify([ruleSet, series.rule, series.series])
  return {
    acquireLease: (name, holder, ttl) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(leases, (current) => {
          const lease = current.get(name)
          if (lease !== undefined && lease.holder !== holder && lease.expiresAt > now) return [false, current]
          return [true, new Map(current).set(name, { holder, expiresAt: now + Duration.toMillis(ttl) })]
        })
      ),
    renewLease: (name, holder, ttl) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(leases, (current) =>
          current.get(name)?.holder === holder
            ? [true, new Map(current).set(name, { holder, expiresAt: now + Duration.toMillis(ttl) })]
            : [false, current]
        )
      ),
    releaseLease: (name, holder) =>
      Ref.update(leases, (current) => {
        if (current.get(name)?.holder !== holder) return current
        const next = new Map(current)
        next.delete(name)
        return next
      }),
    loadStates: (ruleSet) =>
      Effect.map(Ref.get(states), (current) =>
        [...current.values()].flatMap(({ ruleSet: owner, ...state }) => (owner === ruleSet ? [state] : []))
      ),
    saveStates: (ruleSet, saved) =>
      Ref.update(states, (current) => {
        const next = new Map(current)
        for (const state of saved)
          next.set(key(ruleSet, state), { ...state, ruleSet, lastValue: storable(state.lastValue) })
        return next
      }),
    deleteStates: (ruleSet, series) =>
      Ref.update(states, (current) => {
        const next = new Map(current)
        for (const forgotten of series) next.delete(key(ruleSet, forgotten))
        return next
      }),
    writeSample: (sample) =>
      Ref.update(samples, (held) =>
        held.some((other) => other.instance === sample.instance && other.at === sample.at) ? held : [...held, sample]
      ),
    readSamples: (since) => Effect.map(Ref.get(samples), (held) => held.filter((sample) => sample.at >= since)),
    pruneSamples: (before) => Ref.update(samples, (held) => held.filter((sample) => sample.at >= before))
  } satisfies AlertStoreShape
})

/**
 * The alert coordination store.
 *
 * @example
 * ```ts
 * const leader = yield* (yield* AlertStore).acquireLease("alerts", "replica-1", Duration.seconds(90))
 * ```
 */
export class AlertStore extends Context.Tag("effect-mlops/operations/AlertStore")<AlertStore, AlertStoreShape>() {
  /** Tables `leases`, `alert_states` and `alert_metric_samples` (migration `10_alerts`), shared by every replica on one database. */
  static readonly layer: Layer.Layer<AlertStore, never, SqlClient.SqlClient> = Layer.effect(this, makeSql)
  /** In memory: one process, state lost on restart; each build of the layer starts empty. */
  static readonly layerMemory: Layer.Layer<AlertStore> = Layer.effect(this, makeMemory)
}
