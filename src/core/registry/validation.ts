import { Effect, type Either } from "effect"
import { InvalidArgument, LimitExceeded } from "../errors.js"
import { checkKey, checkName, checkValue, Limits } from "../limits.js"
import { checkPageSize } from "../paging.js"
import type { CreateModelVersion, CreateRegisteredModel, ModelVersionStatus, Stage } from "./model.js"

/**
 * Input checks shared by every ModelRegistry implementation, so they reject
 * exactly the same inputs. All checks run before anything is written.
 */
export type Invalid = InvalidArgument | LimitExceeded

/** Page sizes of MLflow 3.6 (`SEARCH_REGISTERED_MODEL_MAX_RESULTS_*`, `SEARCH_MODEL_VERSION_MAX_RESULTS_*`). */
export const RegistryLimits = {
  defaultModelPageSize: 100,
  maxModelPageSize: 1000,
  defaultVersionPageSize: 10_000,
  maxVersionPageSize: 200_000
} as const

/** Fails with the first error, in argument order. */
export const check = <E extends Invalid>(...errors: ReadonlyArray<E | undefined>): Effect.Effect<void, E> => {
  const error = errors.find((e) => e !== undefined)
  return error === undefined ? Effect.void : Effect.fail(error)
}

export const checkModelName = (field: string, name: string): Invalid | undefined =>
  checkName(field, name, Limits.maxModelNameLength)

/** A tag key and value, with fields named `<prefix>key` and `<prefix>value`. */
export const checkTag = (key: string, value: string, prefix = ""): Invalid | undefined =>
  checkKey(`${prefix}key`, key) ?? checkValue(`${prefix}value`, value)

type TagInput = ReadonlyArray<{ readonly key: string; readonly value: string }>

const checkTags = (tags: TagInput | undefined): Invalid | undefined => {
  if (tags === undefined) return undefined
  if (tags.length > Limits.maxTagsPerBatch) {
    return new LimitExceeded({ field: "tags", limit: Limits.maxTagsPerBatch, actual: tags.length, unit: "items" })
  }
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i] as TagInput[number]
    const error = checkTag(tag.key, tag.value, `tags[${i}].`)
    if (error !== undefined) return error
  }
  return undefined
}

/** Tags as stored: one per key, the last one given winning. */
export const uniqueTags = (
  tags: TagInput | undefined
): ReadonlyArray<{ readonly key: string; readonly value: string }> =>
  Array.from(new Map((tags ?? []).map((t) => [t.key, t.value])), ([key, value]) => ({ key, value }))

const statuses: ReadonlyArray<ModelVersionStatus> = ["PENDING_REGISTRATION", "READY", "FAILED_REGISTRATION"]

// Callers from untyped transports (HTTP, JS) can pass any string as a status.
const checkStatus = (status: string | undefined): Invalid | undefined =>
  status === undefined || statuses.includes(status as ModelVersionStatus)
    ? undefined
    : new InvalidArgument({ field: "status", reason: `must be one of ${statuses.join(", ")}` })

export const checkDescription = (description: string): Invalid | undefined => checkValue("description", description)

const stages: ReadonlyArray<Stage> = ["None", "Staging", "Production", "Archived"]

/** As in MLflow, only a move to an active stage (Staging, Production) may archive the versions already there. */
export const checkStageTransition = (stage: string, archiveExistingVersions: boolean): InvalidArgument | undefined => {
  if (!stages.includes(stage as Stage)) {
    return new InvalidArgument({ field: "stage", reason: `must be one of ${stages.join(", ")}` })
  }
  return archiveExistingVersions && stage !== "Staging" && stage !== "Production"
    ? new InvalidArgument({
        field: "archiveExistingVersions",
        reason: `only a transition to Staging or Production can archive existing versions, not one to ${stage}`
      })
    : undefined
}

export const checkCreateRegisteredModel = (input: CreateRegisteredModel): Effect.Effect<void, Invalid> =>
  check(
    checkModelName("name", input.name),
    input.description === undefined ? undefined : checkDescription(input.description),
    checkTags(input.tags)
  )

export const checkCreateModelVersion = (input: CreateModelVersion): Effect.Effect<void, Invalid> =>
  check(
    checkModelName("name", input.name),
    input.source.length === 0 ? new InvalidArgument({ field: "source", reason: "must not be empty" }) : undefined,
    checkValue("source", input.source),
    input.description === undefined ? undefined : checkDescription(input.description),
    input.runLink === undefined ? undefined : checkValue("runLink", input.runLink),
    checkStatus(input.status),
    checkTags(input.tags)
  )

export const checkUpdateModelVersion = (update: {
  readonly description?: string
  readonly status?: string
  readonly statusMessage?: string
}): Effect.Effect<void, Invalid> =>
  check(
    update.description === undefined ? undefined : checkDescription(update.description),
    checkStatus(update.status),
    update.statusMessage === undefined ? undefined : checkValue("statusMessage", update.statusMessage)
  )

/** The page size of a registered-model search. */
export const modelPageSize = (maxResults: number | undefined): Either.Either<number, InvalidArgument> =>
  checkPageSize("maxResults", maxResults, RegistryLimits.defaultModelPageSize, RegistryLimits.maxModelPageSize)

/** The page size of a model-version search. */
export const versionPageSize = (maxResults: number | undefined): Either.Either<number, InvalidArgument> =>
  checkPageSize("maxResults", maxResults, RegistryLimits.defaultVersionPageSize, RegistryLimits.maxVersionPageSize)
