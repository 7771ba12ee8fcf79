import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Schema } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { ExperimentId, ViewType } from "../../core/tracking/model.js"
import { defined, Int64, KeyValue, optional, Repeated } from "./request.js"
import { empty, endpoint } from "./route.js"
import * as wire from "./wire.js"

const ExperimentRef = Schema.Struct({ experiment_id: ExperimentId })

const CreateExperiment = Schema.Struct({
  name: Schema.String,
  artifact_location: optional(Schema.String),
  tags: optional(Repeated(KeyValue))
})

const GetExperimentByName = Schema.Struct({ experiment_name: Schema.String })

const SearchExperiments = Schema.Struct({
  max_results: optional(Int64),
  page_token: optional(Schema.String),
  filter: optional(Schema.String),
  order_by: optional(Repeated(Schema.String)),
  view_type: optional(ViewType)
})

const UpdateExperiment = Schema.Struct({ experiment_id: ExperimentId, new_name: Schema.String })

const SetExperimentTag = Schema.Struct({ experiment_id: ExperimentId, key: Schema.String, value: Schema.String })

const DeleteExperimentTag = Schema.Struct({ experiment_id: ExperimentId, key: Schema.String })

/**
 * MLflow's experiment endpoints (`experiments/...`) over the
 * `ExperimentTracker`. The Default experiment is `"0"`.
 */
export const ExperimentRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const getExperiment = (experimentId: ExperimentId) =>
      Effect.map(tracker.getExperiment(experimentId), (e) => ({ experiment: wire.experiment(e) }))
    return [
      ...endpoint("POST", "/experiments/create", CreateExperiment, (m) =>
        Effect.map(
          tracker.createExperiment({
            name: m.name,
            ...defined({ artifactLocation: m.artifact_location || undefined, tags: m.tags })
          }),
          (e) => ({ experiment_id: e.experimentId })
        )
      ),
      ...endpoint("GET", "/experiments/get", ExperimentRef, (m) => getExperiment(m.experiment_id)),
      ...endpoint("GET", "/experiments/get-by-name", GetExperimentByName, (m) =>
        Effect.map(tracker.getExperimentByName(m.experiment_name), (e) => ({ experiment: wire.experiment(e) }))
      ),
      ...endpoint(["POST", "GET"], "/experiments/search", SearchExperiments, (m) =>
        Effect.map(
          tracker.searchExperiments(
            defined({
              filter: m.filter,
              orderBy: m.order_by,
              maxResults: m.max_results,
              pageToken: m.page_token,
              viewType: m.view_type
            })
          ),
          (page) => wire.page("experiments", page.items.map(wire.experiment), page.nextPageToken)
        )
      ),
      ...endpoint("POST", "/experiments/update", UpdateExperiment, (m) =>
        Effect.as(tracker.renameExperiment(m.experiment_id, m.new_name), empty)
      ),
      ...endpoint("POST", "/experiments/delete", ExperimentRef, (m) =>
        Effect.as(tracker.deleteExperiment(m.experiment_id), empty)
      ),
      ...endpoint("POST", "/experiments/restore", ExperimentRef, (m) =>
        Effect.as(tracker.restoreExperiment(m.experiment_id), empty)
      ),
      ...endpoint("POST", "/experiments/set-experiment-tag", SetExperimentTag, (m) =>
        Effect.as(tracker.setExperimentTag(m.experiment_id, m.key, m.value), empty)
      ),
      ...endpoint("POST", "/experiments/delete-experiment-tag", DeleteExperimentTag, (m) =>
        Effect.as(tracker.deleteExperimentTag(m.experiment_id, m.key), empty)
      )
    ]
  })
)
