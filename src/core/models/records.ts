import { randomBytes } from "node:crypto"
import { Param, Tag } from "../tracking/model.js"
import { LoggedModelId, type LoggedModelMetric } from "./model.js"

/*
 * Conversions shared by both implementations so they render models alike.
 * Keys are ASCII (checkKey), so plain `<` orders them as SQLite and
 * PostgreSQL's `COLLATE "C"` do.
 */

/** A fresh model id, as MLflow 3 generates: `m-` and 32 lowercase hex characters. */
export const newLoggedModelId = (): LoggedModelId => LoggedModelId.make(`m-${randomBytes(16).toString("hex")}`)

/** The artifact location of a model under its experiment's artifact location. */
export const modelArtifactLocation = (experimentArtifactLocation: string, modelId: string): string =>
  `${experimentArtifactLocation.replace(/\/+$/, "")}/models/${modelId}/artifacts`

const byKey = (a: { readonly key: string }, b: { readonly key: string }): number =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0

export const toTags = (pairs: Iterable<readonly [string, string]>): ReadonlyArray<Tag> =>
  Array.from(pairs, ([key, value]) => new Tag({ key, value }, { disableValidation: true })).sort(byKey)

export const toParams = (pairs: Iterable<readonly [string, string]>): ReadonlyArray<Param> =>
  Array.from(pairs, ([key, value]) => new Param({ key, value }, { disableValidation: true })).sort(byKey)

/** Points by key, then step, then timestamp; the sort is stable, so equal points stay in logging order. */
export const sortMetrics = (metrics: ReadonlyArray<LoggedModelMetric>): ReadonlyArray<LoggedModelMetric> =>
  [...metrics].sort((a, b) => byKey(a, b) || a.step - b.step || a.timestamp - b.timestamp)

/** The tag in which MLflow's server lists the model versions registered from a logged model. */
export const ModelVersionsTag = "mlflow.modelVersions"

// Python's json.dumps (ensure_ascii), which wrote every value MLflow clients read back.
const pythonJsonString = (value: string): string =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/**
 * The `mlflow.modelVersions` value with one more registration appended. The
 * existing text is kept byte for byte (MLflow clients append entries of their
 * own, with string versions); a value that is not a JSON list is replaced.
 *
 * @example
 * ```ts
 * appendModelVersion(undefined, "churn", 1) // '[{"name": "churn", "version": 1}]'
 * ```
 */
export const appendModelVersion = (existing: string | undefined, name: string, version: number): string => {
  const entry = `{"name": ${pythonJsonString(name)}, "version": ${version}}`
  const list = parseList(existing)
  if (existing === undefined || list === undefined) return `[${entry}]`
  return existing.replace(/\]\s*$/, `${list.length === 0 ? "" : ", "}${entry}]`)
}

const parseList = (text: string | undefined): ReadonlyArray<unknown> | undefined => {
  if (text === undefined) return undefined
  try {
    const value: unknown = JSON.parse(text)
    return Array.isArray(value) ? value : undefined
  } catch {
    return undefined
  }
}
