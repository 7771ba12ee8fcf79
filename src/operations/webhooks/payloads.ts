import type { ModelVersion } from "../../core/registry/model.js"
import type { RunInfo } from "../../core/tracking/model.js"
import type { WebhookEvent, WebhookEventType } from "./model.js"

/*
 * The `data` of each event, in MLflow's shapes (snake_case, versions as
 * strings); fields MLflow lacks are additions a receiver may ignore.
 */

/** `model_version.created`: MLflow's `ModelVersionCreatedPayload`. */
export const modelVersionCreated = (version: ModelVersion): WebhookEvent => ({
  type: "model_version.created",
  data: {
    name: version.name,
    version: version.version,
    source: version.source,
    run_id: version.runId,
    tags: Object.fromEntries(version.tags.map((tag) => [tag.key, tag.value])),
    description: version.description
  }
})

/** `model_version_alias.created`: MLflow's `ModelVersionAliasCreatedPayload`. */
export const aliasCreated = (name: string, alias: string, version: string): WebhookEvent => ({
  type: "model_version_alias.created",
  data: { name, alias, version }
})

/** `model_version_alias.moved`: the alias now names `version` instead of `previous_version`. */
export const aliasMoved = (name: string, alias: string, version: string, previousVersion: string): WebhookEvent => ({
  type: "model_version_alias.moved",
  data: { name, alias, version, previous_version: previousVersion }
})

/** `model_version_alias.deleted`: MLflow's `ModelVersionAliasDeletedPayload` plus the version it named. */
export const aliasDeleted = (name: string, alias: string, version: string): WebhookEvent => ({
  type: "model_version_alias.deleted",
  data: { name, alias, version }
})

/** `run.finished`: the run as it ended (`status` FINISHED, FAILED or KILLED). */
export const runFinished = (run: RunInfo): WebhookEvent => ({
  type: "run.finished",
  data: {
    run_id: run.runId,
    experiment_id: run.experimentId,
    run_name: run.runName,
    user_id: run.userId,
    status: run.status,
    start_time: run.startTime,
    end_time: run.endTime
  }
})

const exampleRunId = "abcd1234abcd5678abcd1234abcd5678"

/** A made-up event of `type` for test pings, as MLflow's `get_example_payload_for_event`. */
export const exampleEvent = (type: WebhookEventType): WebhookEvent => {
  switch (type) {
    case "model_version.created":
      return {
        type,
        data: {
          name: "example_model",
          version: "1",
          source: `runs:/${exampleRunId}/model`,
          run_id: exampleRunId,
          tags: { example_key: "example_value" },
          description: "An example model version"
        }
      }
    case "model_version_alias.created":
      return aliasCreated("example_model", "example_alias", "1")
    case "model_version_alias.moved":
      return aliasMoved("example_model", "example_alias", "2", "1")
    case "model_version_alias.deleted":
      return aliasDeleted("example_model", "example_alias", "1")
    case "run.finished":
      return {
        type,
        data: {
          run_id: exampleRunId,
          experiment_id: "1",
          run_name: "example_run",
          user_id: "example_user",
          status: "FINISHED",
          start_time: 0,
          end_time: 1000
        }
      }
  }
}

/**
 * The body of a delivery: MLflow's envelope (`entity`, `action`, ISO
 * `timestamp`, `data`) with the tenant as MLflow's `workspace`.
 */
export const envelope = (event: WebhookEvent, tenant: string, nowMillis: number): string => {
  const [entity, action] = event.type.split(".")
  return JSON.stringify({
    entity,
    action,
    timestamp: new Date(nowMillis).toISOString(),
    data: event.data,
    workspace: tenant
  })
}
