import { Effect, Option } from "effect"
import { ArtifactStore } from "../artifacts/ArtifactStore.js"
import { CurrentTenant } from "../context.js"
import type { DatasetsShape } from "./Datasets.js"
import type { DatasetVersion } from "./model.js"
import type { DatasetRepository } from "./repository.js"
import { makeDatasets } from "./service.js"

/** A reserved number whose content is still being stored. */
const pending = "pending"

type Versions = Map<number, DatasetVersion | typeof pending>

const published = (versions: Versions | undefined): ReadonlyArray<DatasetVersion> =>
  versions === undefined
    ? []
    : Array.from(versions.values())
        .filter((v): v is DatasetVersion => v !== pending)
        .sort((a, b) => a.version - b.version)

/**
 * Datasets with metadata in memory and bytes in the provided ArtifactStore.
 * Each evaluation of `make` starts empty. Every access to the maps is
 * synchronous, so reservations never race.
 */
export const make: Effect.Effect<DatasetsShape, never, ArtifactStore> = Effect.gen(function* () {
  const artifacts = yield* ArtifactStore
  const tenants = new Map<string, Map<string, Versions>>()

  const datasetsOf = (tenant: string): Map<string, Versions> => {
    let datasets = tenants.get(tenant)
    if (datasets === undefined) {
      datasets = new Map()
      tenants.set(tenant, datasets)
    }
    return datasets
  }
  const versionsOf = (name: string) => Effect.map(CurrentTenant, (tenant) => datasetsOf(tenant).get(name))

  const repo: DatasetRepository = {
    reserve: (name) =>
      Effect.map(CurrentTenant, (tenant) => {
        const datasets = datasetsOf(tenant)
        const versions: Versions = datasets.get(name) ?? new Map()
        datasets.set(name, versions)
        const next = Math.max(0, ...versions.keys()) + 1
        versions.set(next, pending)
        return next
      }),
    commit: (candidate) =>
      Effect.map(versionsOf(candidate.name), (versions) => {
        const duplicate = published(versions).find((v) => v.digest === candidate.digest)
        if (duplicate !== undefined) {
          versions?.delete(candidate.version)
          return duplicate
        }
        versions?.set(candidate.version, candidate)
        return candidate
      }),
    release: (name, version) =>
      Effect.map(versionsOf(name), (versions) => {
        if (versions?.get(version) === pending) versions.delete(version)
      }),
    find: (name, version) =>
      Effect.map(versionsOf(name), (versions) => {
        const found = versions?.get(version)
        return found === undefined || found === pending ? Option.none() : Option.some(found)
      }),
    latest: (name) => Effect.map(versionsOf(name), (versions) => Option.fromNullable(published(versions).at(-1))),
    versions: (name) => Effect.map(versionsOf(name), published),
    names: Effect.map(CurrentTenant, (tenant) =>
      Array.from(datasetsOf(tenant))
        .filter(([, versions]) => published(versions).length > 0)
        .map(([name]) => name)
        .sort()
    )
  }

  return makeDatasets(repo, artifacts)
})
