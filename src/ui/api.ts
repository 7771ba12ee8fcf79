/**
 * The web UI's client of the native API (`/api/v1`, same origin). The wire
 * types are the encoded forms of the core schemas, imported as types only,
 * so the UI and the server cannot disagree on a field without the compiler
 * noticing, and no schema code ships to the browser.
 */
import type { Schema } from "effect"
import type { FileEntry } from "../core/artifacts/model.js"
import type { RunJson } from "../http/api/runJson.js"
import type { DatasetLineage, DatasetVersion } from "../core/data/model.js"
import type { AliasChange, ModelVersion, ModelVersionLineage, RegisteredModel } from "../core/registry/model.js"
import type { Experiment, ExperimentKeys, ExperimentSummary, Metric, RunDataSelection } from "../core/tracking/model.js"
import { reportUnauthenticated, withCsrf } from "./auth.js"

type Wire<S extends Schema.Schema.Any> = Schema.Schema.Encoded<S>

export type { RunDataSelection }
export type ExperimentJson = Wire<typeof Experiment>
export type ExperimentSummaryJson = Wire<typeof ExperimentSummary>
export type ExperimentKeysJson = Wire<typeof ExperimentKeys>
export type { RunJson } from "../http/api/runJson.js"
export type MetricJson = Wire<typeof Metric>
export type RegisteredModelJson = Wire<typeof RegisteredModel>
export type ModelVersionJson = Wire<typeof ModelVersion>
export type AliasChangeJson = Wire<typeof AliasChange>
export type LineageJson = Wire<typeof ModelVersionLineage>
export type DatasetVersionJson = Wire<typeof DatasetVersion>
export type DatasetLineageJson = Wire<typeof DatasetLineage>

export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextPageToken: string | null
}

export type ArtifactEntryJson = Wire<typeof FileEntry>

/** Where a run's artifacts are in the store: its `artifactUri` without the `mlflow-artifacts:/` scheme. */
export const artifactRoot = (artifactUri: string): string => artifactUri.replace(/^mlflow-artifacts:\/*/, "")

/**
 * A failed API call: the HTTP status, the tagged error's `_tag` and its
 * message. `position` is set for a malformed filter (`InvalidFilter`).
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly tag: string,
    message: string,
    readonly position?: number
  ) {
    super(message)
  }
}

const describe = (body: Record<string, unknown>): string => {
  if (typeof body.reason === "string") return body.reason
  if (typeof body.message === "string") return body.message
  return JSON.stringify(body)
}

const call = async <A>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<A> => {
  // Requests that are not GET carry the session's anti-forgery token (signed-in servers refuse them without).
  const init: RequestInit = { method, headers: withCsrf(method, { accept: "application/json" }) }
  if (signal !== undefined) init.signal = signal
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = withCsrf(method, {
      accept: "application/json",
      "content-type": "application/json"
    })
  }
  const response = await fetch(`/api/v1${path}`, init)
  if (response.status === 401) reportUnauthenticated()
  const text = await response.text()
  const parsed: unknown = text === "" ? undefined : JSON.parse(text)
  if (!response.ok) {
    const error = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>
    throw new ApiError(
      response.status,
      typeof error._tag === "string" ? error._tag : `HTTP ${response.status}`,
      describe(error),
      typeof error.position === "number" ? error.position : undefined
    )
  }
  return parsed as A
}

const query = (params: Record<string, string | number | undefined>): string => {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value))
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

export interface RunSearch {
  readonly experimentIds: ReadonlyArray<string>
  readonly filter?: string
  readonly orderBy?: ReadonlyArray<string>
  readonly maxResults?: number
  readonly pageToken?: string
  /** Only these keys of each run's data: a table needs its columns, not every metric of every run. */
  readonly select?: RunDataSelection
}

export interface HistoryWindow {
  readonly startStep?: number
  readonly endStep?: number
  readonly startTime?: number
  readonly endTime?: number
  readonly maxPoints?: number
}

export const api = {
  experiments: (filter?: string) =>
    call<Page<ExperimentJson>>("POST", "/experiments/search", {
      maxResults: 1000,
      orderBy: ["last_update_time DESC"],
      ...(filter ? { filter } : {})
    }),
  experiment: (id: string) => call<ExperimentJson>("GET", `/experiments/${encodeURIComponent(id)}`),
  summaries: (experimentIds: ReadonlyArray<string>) =>
    call<ReadonlyArray<ExperimentSummaryJson>>("POST", "/experiments/summaries", { experimentIds }),
  keys: (experimentId: string) =>
    call<ExperimentKeysJson>("GET", `/experiments/${encodeURIComponent(experimentId)}/keys`),
  searchRuns: (search: RunSearch, signal?: AbortSignal) => call<Page<RunJson>>("POST", "/runs/search", search, signal),
  run: (runId: string) => call<RunJson>("GET", `/runs/${encodeURIComponent(runId)}`),
  /** Server-sent `run` events while the run is running (for an `EventSource`). */
  runEventsUrl: (runId: string) => `/api/v1/runs/${encodeURIComponent(runId)}/events`,
  history: (runId: string, key: string, window: HistoryWindow, signal?: AbortSignal) =>
    call<Page<MetricJson>>(
      "GET",
      `/runs/${encodeURIComponent(runId)}/metric-history${query({ key, ...window })}`,
      undefined,
      signal
    ),
  artifacts: (prefix: string) => call<ReadonlyArray<ArtifactEntryJson>>("GET", `/artifacts/list${query({ prefix })}`),
  artifactUrl: (path: string) => `/api/v1/artifacts/file${query({ path })}`,
  models: (filter?: string) =>
    call<Page<RegisteredModelJson>>("POST", "/models/search", {
      maxResults: 1000,
      ...(filter ? { filter } : {})
    }),
  model: (name: string) => call<RegisteredModelJson>("GET", `/models/get${query({ name })}`),
  versions: (name: string) =>
    call<Page<ModelVersionJson>>("POST", "/models/versions/search", {
      filter: `name = '${name.replaceAll("'", "\\'")}'`,
      maxResults: 1000
    }),
  aliasHistory: (name: string) =>
    call<ReadonlyArray<AliasChangeJson>>("GET", `/models/aliases/history${query({ name })}`),
  lineage: (name: string, version: string) =>
    call<LineageJson>("GET", `/models/versions/lineage${query({ name, version })}`),
  datasets: () => call<ReadonlyArray<string>>("GET", "/datasets"),
  datasetVersions: (name: string) =>
    call<ReadonlyArray<DatasetVersionJson>>("GET", `/datasets/versions${query({ name })}`),
  datasetLineage: (name: string, version: string) =>
    call<DatasetLineageJson>("GET", `/datasets/lineage${query({ name, version })}`)
}
