import { Effect } from "effect"
import type { ExperimentTrackerShape } from "../tracking/ExperimentTracker.js"
import { Tag } from "../tracking/model.js"
import { ModelAlias, type ModelVersion, ModelVersionLineage, ModelVersionNumber } from "./model.js"

/**
 * Conversions shared by the implementations so both render tags, aliases and
 * lineage identically. Order is by UTF-16 code units in both, never by a
 * database collation.
 */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Tags sorted by key. */
export const toTags = (pairs: Iterable<readonly [key: string, value: string]>): ReadonlyArray<Tag> =>
  Array.from(pairs, ([key, value]) => new Tag({ key, value })).sort((a, b) => byCodeUnits(a.key, b.key))

/** Stored version numbers are integers; the domain renders them as strings. */
export const versionNumber = (version: number): ModelVersionNumber => ModelVersionNumber.make(String(version))

/** A model's aliases sorted by alias. */
export const toModelAliases = (
  aliases: Iterable<readonly [alias: string, version: number]>
): ReadonlyArray<ModelAlias> =>
  Array.from(aliases, ([alias, version]) => new ModelAlias({ alias, version: versionNumber(version) })).sort((a, b) =>
    byCodeUnits(a.alias, b.alias)
  )

/** The aliases pointing at one version, sorted. */
export const aliasesOf = (
  aliases: Iterable<readonly [alias: string, version: number]>,
  version: number
): ReadonlyArray<string> =>
  Array.from(aliases)
    .filter(([, v]) => v === version)
    .map(([alias]) => alias)
    .sort(byCodeUnits)

/**
 * Version → run → experiment → the run's inputs. A run that no longer exists
 * (or a version registered without one) yields `null`s rather than an error:
 * the version itself is still valid.
 */
export const resolveLineage = (tracker: ExperimentTrackerShape, version: ModelVersion) =>
  Effect.gen(function* () {
    const empty = new ModelVersionLineage({ version, run: null, experiment: null, inputs: [] })
    if (version.runId === null) return empty
    const run = yield* tracker.getRun(version.runId).pipe(Effect.option)
    if (run._tag === "None") return empty
    const experiment = yield* tracker.getExperiment(run.value.info.experimentId).pipe(Effect.option)
    return new ModelVersionLineage({
      version,
      run: run.value.info,
      experiment: experiment._tag === "Some" ? experiment.value : null,
      inputs: run.value.inputs
    })
  })
