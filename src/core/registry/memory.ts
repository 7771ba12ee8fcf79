import { Clock, Effect, Either, Ref } from "effect"
import { CurrentPrincipal, CurrentTenant } from "../context.js"
import { checkAlias, checkKey } from "../limits.js"
import { pageOf } from "../paging.js"
import { compareCodePoints } from "../search/memory.js"
import { method } from "../spans.js"
import { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import type { RunId } from "../tracking/model.js"
import { AliasNotFound, ModelVersionNotFound, RegisteredModelAlreadyExists, RegisteredModelNotFound } from "./errors.js"
import { toPredicate } from "./filter.js"
import {
  AliasChange,
  type CreateModelVersion,
  type CreateRegisteredModel,
  ModelVersion,
  type ModelVersionNumber,
  type ModelVersionStatus,
  RegisteredModel,
  type SearchModelVersions,
  type SearchRegisteredModels,
  type Stage
} from "./model.js"
import type { ModelRegistryShape } from "./ModelRegistry.js"
import { aliasesOf, resolveLineage, toModelAliases, toTags, versionNumber } from "./records.js"
import { prepareModelSearch, prepareVersionSearch } from "./search.js"
import {
  check,
  checkCreateModelVersion,
  checkDescription,
  checkStageTransition,
  checkCreateRegisteredModel,
  checkModelName,
  checkTag,
  checkUpdateModelVersion,
  uniqueTags
} from "./validation.js"

interface VersionRecord {
  readonly version: number
  readonly creationTimestamp: number
  readonly lastUpdatedTimestamp: number
  readonly description: string
  readonly userId: string
  readonly currentStage: Stage
  readonly source: string
  readonly runId: RunId | null
  readonly runLink: string
  readonly status: ModelVersionStatus
  readonly statusMessage: string
  readonly tags: ReadonlyMap<string, string>
}

interface ModelRecord {
  readonly id: number
  readonly tenant: string
  readonly name: string
  readonly description: string
  readonly creationTimestamp: number
  readonly lastUpdatedTimestamp: number
  readonly nextVersion: number
  readonly tags: ReadonlyMap<string, string>
  readonly versions: ReadonlyMap<number, VersionRecord>
  readonly aliases: ReadonlyMap<string, number>
}

interface HistoryRecord {
  readonly modelId: number
  readonly alias: string
  readonly fromVersion: number | null
  readonly toVersion: number | null
  readonly changedBy: string
  readonly changedAt: number
}

interface State {
  readonly nextModelId: number
  readonly models: ReadonlyMap<number, ModelRecord>
  readonly history: ReadonlyArray<HistoryRecord>
}

const emptyState: State = { nextModelId: 1, models: new Map(), history: [] }

const withEntry = <K, V>(map: ReadonlyMap<K, V>, key: K, value: V): ReadonlyMap<K, V> => new Map(map).set(key, value)

const withoutEntry = <K, V>(map: ReadonlyMap<K, V>, key: K): ReadonlyMap<K, V> => {
  const copy = new Map(map)
  copy.delete(key)
  return copy
}

const putModel = (state: State, model: ModelRecord): State => ({
  ...state,
  models: withEntry(state.models, model.id, model)
})

const putVersion = (model: ModelRecord, version: VersionRecord): ModelRecord => ({
  ...model,
  versions: withEntry(model.versions, version.version, version)
})

const findModel = (state: State, tenant: string, name: string): ModelRecord | undefined => {
  for (const model of state.models.values()) {
    if (model.tenant === tenant && model.name === name) return model
  }
  return undefined
}

const requireModel = (
  state: State,
  tenant: string,
  name: string
): Either.Either<ModelRecord, RegisteredModelNotFound> => {
  const model = findModel(state, tenant, name)
  return model === undefined ? Either.left(new RegisteredModelNotFound({ name })) : Either.right(model)
}

const requireVersion = (
  model: ModelRecord,
  version: ModelVersionNumber
): Either.Either<VersionRecord, ModelVersionNotFound> => {
  const record = model.versions.get(Number(version))
  return record === undefined
    ? Either.left(new ModelVersionNotFound({ name: model.name, version }))
    : Either.right(record)
}

const toRegisteredModel = (model: ModelRecord): RegisteredModel =>
  new RegisteredModel({
    name: model.name,
    description: model.description,
    creationTimestamp: model.creationTimestamp,
    lastUpdatedTimestamp: model.lastUpdatedTimestamp,
    tags: toTags(model.tags),
    aliases: toModelAliases(model.aliases)
  })

const toModelVersion = (model: ModelRecord, version: VersionRecord): ModelVersion =>
  new ModelVersion({
    name: model.name,
    version: versionNumber(version.version),
    creationTimestamp: version.creationTimestamp,
    lastUpdatedTimestamp: version.lastUpdatedTimestamp,
    description: version.description,
    userId: version.userId,
    currentStage: version.currentStage,
    source: version.source,
    runId: version.runId,
    runLink: version.runLink,
    status: version.status,
    statusMessage: version.statusMessage,
    tags: toTags(version.tags),
    aliases: aliasesOf(model.aliases, version.version)
  })

const byName = (a: ModelRecord, b: ModelRecord): number => compareCodePoints(a.name, b.name)

/**
 * The in-memory ModelRegistry: the same contract as the SQL one, with one
 * store per layer build. Every write is one `Ref.modify`, so it is atomic and
 * a failed call leaves the store untouched.
 */
export const make: Effect.Effect<ModelRegistryShape, never, ExperimentTracker> = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const store = yield* Ref.make(emptyState)

  /** Applies `f` atomically: its new state is kept on success, discarded on failure. */
  const modify = <A, E>(f: (state: State) => Either.Either<readonly [A, State], E>): Effect.Effect<A, E> =>
    Ref.modify(store, (state): readonly [Either.Either<A, E>, State] => {
      const result = f(state)
      return Either.isRight(result)
        ? [Either.right(result.right[0]), result.right[1]]
        : [Either.left(result.left), state]
    }).pipe(Effect.flatten)

  const read = <A, E>(f: (state: State) => Either.Either<A, E>): Effect.Effect<A, E> =>
    Ref.get(store).pipe(Effect.flatMap((state) => f(state)))

  /** Updates one model of the current tenant, failing if it does not exist. */
  const updateModel = <A, E>(
    tenant: string,
    name: string,
    f: (model: ModelRecord, state: State) => Either.Either<readonly [A, State], E>
  ) => modify((state) => Either.flatMap(requireModel(state, tenant, name), (model) => f(model, state)))

  const recordChange = (
    state: State,
    change: Omit<HistoryRecord, "changedBy" | "changedAt">,
    changedBy: string,
    changedAt: number
  ): State => ({ ...state, history: [...state.history, { ...change, changedBy, changedAt }] })

  const createRegisteredModel = method("ModelRegistry.createRegisteredModel")(function* (input: CreateRegisteredModel) {
    yield* checkCreateRegisteredModel(input)
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    return yield* modify((state) => {
      if (findModel(state, tenant, input.name) !== undefined) {
        return Either.left(new RegisteredModelAlreadyExists({ name: input.name }))
      }
      const model: ModelRecord = {
        id: state.nextModelId,
        tenant,
        name: input.name,
        description: input.description ?? "",
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        nextVersion: 1,
        tags: new Map(uniqueTags(input.tags).map((t) => [t.key, t.value])),
        versions: new Map(),
        aliases: new Map()
      }
      return Either.right([toRegisteredModel(model), putModel({ ...state, nextModelId: model.id + 1 }, model)] as const)
    })
  })

  const getRegisteredModel = method("ModelRegistry.getRegisteredModel")(function* (name: string) {
    const tenant = yield* CurrentTenant
    return yield* read((state) => Either.map(requireModel(state, tenant, name), toRegisteredModel))
  })

  const renameRegisteredModel = method("ModelRegistry.renameRegisteredModel")(function* (
    name: string,
    newName: string
  ) {
    yield* check(checkModelName("newName", newName))
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    return yield* updateModel(tenant, name, (model, state) => {
      if (newName !== name && findModel(state, tenant, newName) !== undefined) {
        return Either.left(new RegisteredModelAlreadyExists({ name: newName }))
      }
      const renamed: ModelRecord = { ...model, name: newName, lastUpdatedTimestamp: now }
      return Either.right([toRegisteredModel(renamed), putModel(state, renamed)] as const)
    })
  })

  const updateRegisteredModel = method("ModelRegistry.updateRegisteredModel")(function* (
    name: string,
    update: { readonly description: string }
  ) {
    yield* check(checkDescription(update.description))
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    return yield* updateModel(tenant, name, (model, state) => {
      const updated: ModelRecord = { ...model, description: update.description, lastUpdatedTimestamp: now }
      return Either.right([toRegisteredModel(updated), putModel(state, updated)] as const)
    })
  })

  const setRegisteredModelTag = method("ModelRegistry.setRegisteredModelTag")(function* (
    name: string,
    key: string,
    value: string
  ) {
    yield* check(checkTag(key, value))
    const tenant = yield* CurrentTenant
    yield* updateModel(tenant, name, (model, state) =>
      Either.right([undefined, putModel(state, { ...model, tags: withEntry(model.tags, key, value) })] as const)
    )
  })

  const deleteRegisteredModelTag = method("ModelRegistry.deleteRegisteredModelTag")(function* (
    name: string,
    key: string
  ) {
    yield* check(checkKey("key", key))
    const tenant = yield* CurrentTenant
    yield* updateModel(tenant, name, (model, state) =>
      Either.right([undefined, putModel(state, { ...model, tags: withoutEntry(model.tags, key) })] as const)
    )
  })

  const deleteRegisteredModel = method("ModelRegistry.deleteRegisteredModel")(function* (name: string) {
    const tenant = yield* CurrentTenant
    yield* updateModel(tenant, name, (model, state) =>
      Either.right([
        undefined,
        {
          ...state,
          models: withoutEntry(state.models, model.id),
          history: state.history.filter((h) => h.modelId !== model.id)
        }
      ] as const)
    )
  })

  const searchRegisteredModels = method("ModelRegistry.searchRegisteredModels")(function* (
    query?: SearchRegisteredModels
  ) {
    const search = yield* prepareModelSearch(query)
    const tenant = yield* CurrentTenant
    const state = yield* Ref.get(store)
    const matches = toPredicate(search.clauses)
    const all = Array.from(state.models.values())
      .filter((m) => m.tenant === tenant && matches({ name: m.name, tags: toTags(m.tags) }))
      .sort(byName)
    const page = pageOf(all, search.page)
    return { items: page.items.map(toRegisteredModel), nextPageToken: page.nextPageToken }
  })

  const createModelVersion = method("ModelRegistry.createModelVersion")(function* (input: CreateModelVersion) {
    yield* checkCreateModelVersion(input)
    const tenant = yield* CurrentTenant
    yield* read((state) => requireModel(state, tenant, input.name))
    if (input.runId !== undefined) yield* tracker.getRun(input.runId)
    const principal = yield* CurrentPrincipal
    const now = yield* Clock.currentTimeMillis
    return yield* updateModel(tenant, input.name, (model, state) => {
      const version: VersionRecord = {
        version: model.nextVersion,
        creationTimestamp: now,
        lastUpdatedTimestamp: now,
        description: input.description ?? "",
        userId: principal.id,
        currentStage: "None",
        source: input.source,
        runId: input.runId ?? null,
        runLink: input.runLink ?? "",
        status: input.status ?? "READY",
        statusMessage: "",
        tags: new Map(uniqueTags(input.tags).map((t) => [t.key, t.value]))
      }
      const updated = putVersion({ ...model, nextVersion: model.nextVersion + 1, lastUpdatedTimestamp: now }, version)
      return Either.right([toModelVersion(updated, version), putModel(state, updated)] as const)
    })
  })

  /** Updates one version of a model of the current tenant. */
  const updateVersion = <A>(
    tenant: string,
    name: string,
    version: ModelVersionNumber,
    f: (model: ModelRecord, version: VersionRecord) => readonly [A, ModelRecord]
  ) =>
    updateModel(tenant, name, (model, state) =>
      Either.map(requireVersion(model, version), (record) => {
        const [result, updated] = f(model, record)
        return [result, putModel(state, updated)] as const
      })
    )

  const getModelVersion = method("ModelRegistry.getModelVersion")(function* (
    name: string,
    version: ModelVersionNumber
  ) {
    const tenant = yield* CurrentTenant
    return yield* read((state) =>
      Either.flatMap(requireModel(state, tenant, name), (model) =>
        Either.map(requireVersion(model, version), (record) => toModelVersion(model, record))
      )
    )
  })

  const updateModelVersion = method("ModelRegistry.updateModelVersion")(function* (
    name: string,
    version: ModelVersionNumber,
    update: {
      readonly description?: string
      readonly status?: ModelVersionStatus
      readonly statusMessage?: string
    }
  ) {
    yield* checkUpdateModelVersion(update)
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    return yield* updateVersion(tenant, name, version, (model, record) => {
      const updated: VersionRecord = {
        ...record,
        description: update.description ?? record.description,
        status: update.status ?? record.status,
        statusMessage: update.statusMessage ?? record.statusMessage,
        lastUpdatedTimestamp: now
      }
      const next = putVersion(model, updated)
      return [toModelVersion(next, updated), next] as const
    })
  })

  const setModelVersionTag = method("ModelRegistry.setModelVersionTag")(function* (
    name: string,
    version: ModelVersionNumber,
    key: string,
    value: string
  ) {
    yield* check(checkTag(key, value))
    const tenant = yield* CurrentTenant
    yield* updateVersion(tenant, name, version, (model, record) => [
      undefined,
      putVersion(model, { ...record, tags: withEntry(record.tags, key, value) })
    ])
  })

  const deleteModelVersionTag = method("ModelRegistry.deleteModelVersionTag")(function* (
    name: string,
    version: ModelVersionNumber,
    key: string
  ) {
    yield* check(checkKey("key", key))
    const tenant = yield* CurrentTenant
    yield* updateVersion(tenant, name, version, (model, record) => [
      undefined,
      putVersion(model, { ...record, tags: withoutEntry(record.tags, key) })
    ])
  })

  const deleteModelVersion = method("ModelRegistry.deleteModelVersion")(function* (
    name: string,
    version: ModelVersionNumber
  ) {
    const tenant = yield* CurrentTenant
    const principal = yield* CurrentPrincipal
    const now = yield* Clock.currentTimeMillis
    yield* updateModel(tenant, name, (model, state) =>
      Either.map(requireVersion(model, version), (record) => {
        const removed = aliasesOf(model.aliases, record.version)
        const updated: ModelRecord = {
          ...model,
          lastUpdatedTimestamp: now,
          versions: withoutEntry(model.versions, record.version),
          aliases: new Map(Array.from(model.aliases).filter(([, v]) => v !== record.version))
        }
        const recorded = removed.reduce(
          (s, alias) =>
            recordChange(
              s,
              { modelId: model.id, alias, fromVersion: record.version, toVersion: null },
              principal.id,
              now
            ),
          putModel(state, updated)
        )
        return [undefined, recorded] as const
      })
    )
  })

  const searchModelVersions = method("ModelRegistry.searchModelVersions")(function* (query?: SearchModelVersions) {
    const search = yield* prepareVersionSearch(query)
    const tenant = yield* CurrentTenant
    const state = yield* Ref.get(store)
    const matches = toPredicate(search.clauses)
    const all = Array.from(state.models.values())
      .filter((m) => m.tenant === tenant)
      .sort(byName)
      .flatMap((model) =>
        Array.from(model.versions.values())
          .sort((a, b) => b.version - a.version)
          .filter((v) =>
            matches({ name: model.name, tags: toTags(v.tags), runId: v.runId, source: v.source, version: v.version })
          )
          .map((v) => [model, v] as const)
      )
    const page = pageOf(all, search.page)
    return { items: page.items.map(([model, v]) => toModelVersion(model, v)), nextPageToken: page.nextPageToken }
  })

  const transitionModelVersionStage = method("ModelRegistry.transitionModelVersionStage")(function* (
    name: string,
    version: ModelVersionNumber,
    stage: Stage,
    options?: { readonly archiveExistingVersions?: boolean }
  ) {
    const archive = options?.archiveExistingVersions ?? false
    yield* check(checkStageTransition(stage, archive))
    const tenant = yield* CurrentTenant
    const now = yield* Clock.currentTimeMillis
    return yield* updateVersion(tenant, name, version, (model, record) => {
      const moved: VersionRecord = { ...record, currentStage: stage, lastUpdatedTimestamp: now }
      const versions = new Map(model.versions)
      if (archive) {
        for (const other of model.versions.values()) {
          if (other.version !== record.version && other.currentStage === stage) {
            versions.set(other.version, { ...other, currentStage: "Archived", lastUpdatedTimestamp: now })
          }
        }
      }
      versions.set(moved.version, moved)
      const updated: ModelRecord = { ...model, versions, lastUpdatedTimestamp: now }
      return [toModelVersion(updated, moved), updated] as const
    })
  })

  const getLatestVersions = method("ModelRegistry.getLatestVersions")(function* (
    name: string,
    stages?: ReadonlyArray<Stage>
  ) {
    const tenant = yield* CurrentTenant
    return yield* read((state) =>
      Either.map(requireModel(state, tenant, name), (model) => {
        const latest = new Map<Stage, VersionRecord>()
        for (const v of model.versions.values()) {
          const current = latest.get(v.currentStage)
          if (current === undefined || v.version > current.version) latest.set(v.currentStage, v)
        }
        return Array.from(latest.values())
          .filter((v) => stages === undefined || stages.length === 0 || stages.includes(v.currentStage))
          .sort((a, b) => a.version - b.version)
          .map((v) => toModelVersion(model, v))
      })
    )
  })

  const setAlias = method("ModelRegistry.setAlias")(function* (
    name: string,
    alias: string,
    version: ModelVersionNumber
  ) {
    yield* check(checkAlias("alias", alias))
    const tenant = yield* CurrentTenant
    const principal = yield* CurrentPrincipal
    const now = yield* Clock.currentTimeMillis
    yield* updateModel(tenant, name, (model, state) =>
      Either.map(requireVersion(model, version), (record) => {
        const previous = model.aliases.get(alias)
        if (previous === record.version) return [undefined, state] as const
        const updated = putModel(state, { ...model, aliases: withEntry(model.aliases, alias, record.version) })
        const change = { modelId: model.id, alias, fromVersion: previous ?? null, toVersion: record.version }
        return [undefined, recordChange(updated, change, principal.id, now)] as const
      })
    )
  })

  const deleteAlias = method("ModelRegistry.deleteAlias")(function* (name: string, alias: string) {
    const tenant = yield* CurrentTenant
    const principal = yield* CurrentPrincipal
    const now = yield* Clock.currentTimeMillis
    yield* updateModel(tenant, name, (model, state) => {
      const previous = model.aliases.get(alias)
      if (previous === undefined) return Either.left(new AliasNotFound({ name, alias }))
      const updated = putModel(state, { ...model, aliases: withoutEntry(model.aliases, alias) })
      const change = { modelId: model.id, alias, fromVersion: previous, toVersion: null }
      return Either.right([undefined, recordChange(updated, change, principal.id, now)] as const)
    })
  })

  const getVersionByAlias = method("ModelRegistry.getVersionByAlias")(function* (name: string, alias: string) {
    const tenant = yield* CurrentTenant
    return yield* read((state) =>
      Either.flatMap(requireModel(state, tenant, name), (model) => {
        const target = model.aliases.get(alias)
        const record = target === undefined ? undefined : model.versions.get(target)
        return record === undefined
          ? Either.left(new AliasNotFound({ name, alias }))
          : Either.right(toModelVersion(model, record))
      })
    )
  })

  const getAliasHistory = method("ModelRegistry.getAliasHistory")(function* (name: string, alias?: string) {
    const tenant = yield* CurrentTenant
    return yield* read((state) =>
      Either.map(requireModel(state, tenant, name), (model) =>
        state.history
          .filter((h) => h.modelId === model.id && (alias === undefined || h.alias === alias))
          .map(
            (h) =>
              new AliasChange({
                name: model.name,
                alias: h.alias,
                fromVersion: h.fromVersion === null ? null : versionNumber(h.fromVersion),
                toVersion: h.toVersion === null ? null : versionNumber(h.toVersion),
                changedBy: h.changedBy,
                changedAt: h.changedAt
              })
          )
      )
    )
  })

  const getLineage = method("ModelRegistry.getLineage")(function* (name: string, version: ModelVersionNumber) {
    const modelVersion = yield* getModelVersion(name, version)
    return yield* resolveLineage(tracker, modelVersion)
  })

  return {
    createRegisteredModel,
    getRegisteredModel,
    renameRegisteredModel,
    updateRegisteredModel,
    setRegisteredModelTag,
    deleteRegisteredModelTag,
    deleteRegisteredModel,
    searchRegisteredModels,
    createModelVersion,
    getModelVersion,
    updateModelVersion,
    setModelVersionTag,
    deleteModelVersionTag,
    deleteModelVersion,
    searchModelVersions,
    transitionModelVersionStage,
    getLatestVersions,
    setAlias,
    deleteAlias,
    getVersionByAlias,
    getAliasHistory,
    getLineage
  }
})
