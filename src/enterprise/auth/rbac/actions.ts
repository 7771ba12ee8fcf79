import type { ArtifactStoreShape } from "../../../core/artifacts/ArtifactStore.js"
import type { DatasetsShape } from "../../../core/data/Datasets.js"
import type { LoggedModelsShape } from "../../../core/models/LoggedModels.js"
import type { ModelRegistryShape } from "../../../core/registry/ModelRegistry.js"
import type { ExperimentTrackerShape } from "../../../core/tracking/ExperimentTracker.js"
import { mlflowNameOfRole, type Role } from "./model.js"

/**
 * What a rule's role is checked on:
 *
 * - `tenant`: the caller's tenant-level role;
 * - `experiment`: the experiment named, or the one of the run or logged model named;
 * - `registered_model`: the registered model named (grants follow it by name, across renames);
 * - `artifact_path`: the experiment whose id is the path's first segment (run and logged-model
 *   artifacts live under `<experimentId>/…`), else the tenant (any other path; `datasets/…` and `tenants/…`
 *   are the dataset catalog's and refused to writes).
 */
export type Scope = "tenant" | "experiment" | "registered_model" | "artifact_path"

/**
 * How a rule is enforced: `require` refuses the call with `Forbidden`;
 * `filter` never refuses, it leaves out of the answer what the caller may
 * not read (searches, so a page can come back shorter than asked).
 */
export type Enforcement = "require" | "filter"

/** The role an action needs, and on what. */
export interface ActionRule {
  readonly scope: Scope
  readonly role: Role
  readonly enforcement: Enforcement
  readonly note?: string
}

/** Every method of the five core services, as `Service.method`. */
export type CoreAction =
  | `ExperimentTracker.${keyof ExperimentTrackerShape & string}`
  | `ModelRegistry.${keyof ModelRegistryShape & string}`
  | `LoggedModels.${keyof LoggedModelsShape & string}`
  | `Datasets.${keyof DatasetsShape & string}`
  | `ArtifactStore.${keyof ArtifactStoreShape & string}`

const needs = (scope: Scope, role: Role, note?: string): ActionRule =>
  note === undefined ? { scope, role, enforcement: "require" } : { scope, role, enforcement: "require", note }
const filtered = (scope: Scope, note: string): ActionRule => ({ scope, role: "viewer", enforcement: "filter", note })

const creator = "the creator becomes its maintainer (MLflow: any user may create; the creator gets MANAGE)"

/**
 * The role every core action needs: the one table the RBAC decorators
 * enforce and `docs/rbac.md` lists (a test checks that the two agree, and
 * the type makes the table name every method of every service).
 *
 * Baseline: reading needs viewer, writing (log, tag, alias, versions,
 * rename, update) editor, deleting and restoring maintainer. Creating an
 * experiment or a registered model needs only a tenant-level viewer, as in
 * MLflow (any user may create, and becomes its maintainer); registering
 * datasets, which have no per-dataset grants, needs a tenant-level editor.
 */
export const actions = {
  "ExperimentTracker.createExperiment": needs("tenant", "viewer", creator),
  "ExperimentTracker.getExperiment": needs("experiment", "viewer"),
  "ExperimentTracker.getExperimentByName": needs("experiment", "viewer"),
  "ExperimentTracker.searchExperiments": filtered("experiment", "experiments the caller may not read are left out"),
  "ExperimentTracker.renameExperiment": needs("experiment", "editor"),
  "ExperimentTracker.setExperimentTag": needs("experiment", "editor"),
  "ExperimentTracker.deleteExperimentTag": needs("experiment", "editor"),
  "ExperimentTracker.deleteExperiment": needs("experiment", "maintainer"),
  "ExperimentTracker.restoreExperiment": needs("experiment", "maintainer"),
  "ExperimentTracker.getExperimentSummaries": filtered(
    "experiment",
    "experiments the caller may not read are left out"
  ),
  "ExperimentTracker.getExperimentKeys": needs("experiment", "viewer"),
  "ExperimentTracker.createRun": needs("experiment", "editor"),
  "ExperimentTracker.getRun": needs("experiment", "viewer"),
  "ExperimentTracker.updateRun": needs("experiment", "editor"),
  "ExperimentTracker.deleteRun": needs("experiment", "maintainer"),
  "ExperimentTracker.restoreRun": needs("experiment", "maintainer"),
  "ExperimentTracker.logParam": needs("experiment", "editor"),
  "ExperimentTracker.logMetric": needs("experiment", "editor"),
  "ExperimentTracker.setTag": needs("experiment", "editor"),
  "ExperimentTracker.deleteTag": needs("experiment", "editor"),
  "ExperimentTracker.logBatch": needs("experiment", "editor"),
  "ExperimentTracker.logInputs": needs("experiment", "editor"),
  "ExperimentTracker.getMetricHistory": needs("experiment", "viewer"),
  "ExperimentTracker.searchRuns": filtered("experiment", "searches only the experiments the caller may read"),

  "ModelRegistry.createRegisteredModel": needs("tenant", "viewer", creator),
  "ModelRegistry.getRegisteredModel": needs("registered_model", "viewer"),
  "ModelRegistry.renameRegisteredModel": needs("registered_model", "editor", "the grants follow the new name"),
  "ModelRegistry.updateRegisteredModel": needs("registered_model", "editor"),
  "ModelRegistry.setRegisteredModelTag": needs("registered_model", "editor"),
  "ModelRegistry.deleteRegisteredModelTag": needs("registered_model", "editor"),
  "ModelRegistry.deleteRegisteredModel": needs("registered_model", "maintainer", "its grants are removed"),
  "ModelRegistry.searchRegisteredModels": filtered("registered_model", "models the caller may not read are left out"),
  "ModelRegistry.createModelVersion": needs(
    "registered_model",
    "editor",
    "from a run: also viewer on the run's experiment"
  ),
  "ModelRegistry.getModelVersion": needs("registered_model", "viewer"),
  "ModelRegistry.updateModelVersion": needs("registered_model", "editor"),
  "ModelRegistry.setModelVersionTag": needs("registered_model", "editor"),
  "ModelRegistry.deleteModelVersionTag": needs("registered_model", "editor"),
  "ModelRegistry.deleteModelVersion": needs("registered_model", "maintainer"),
  "ModelRegistry.searchModelVersions": filtered(
    "registered_model",
    "versions of models the caller may not read are left out"
  ),
  "ModelRegistry.transitionModelVersionStage": needs("registered_model", "editor"),
  "ModelRegistry.getLatestVersions": needs("registered_model", "viewer"),
  "ModelRegistry.setAlias": needs("registered_model", "editor"),
  "ModelRegistry.deleteAlias": needs("registered_model", "editor"),
  "ModelRegistry.getVersionByAlias": needs("registered_model", "viewer"),
  "ModelRegistry.getAliasHistory": needs("registered_model", "viewer"),
  "ModelRegistry.getLineage": needs(
    "registered_model",
    "viewer",
    "the run, experiment and dataset inputs only when the caller may read the run's experiment"
  ),

  "LoggedModels.createLoggedModel": needs("experiment", "editor"),
  "LoggedModels.getLoggedModel": needs("experiment", "viewer"),
  "LoggedModels.finalizeLoggedModel": needs("experiment", "editor"),
  "LoggedModels.deleteLoggedModel": needs("experiment", "maintainer"),
  "LoggedModels.searchLoggedModels": filtered("experiment", "searches only the experiments the caller may read"),
  "LoggedModels.setLoggedModelTags": needs("experiment", "editor"),
  "LoggedModels.deleteLoggedModelTag": needs("experiment", "editor"),
  "LoggedModels.logLoggedModelParams": needs("experiment", "editor"),
  "LoggedModels.logLoggedModelMetrics": needs("experiment", "editor"),
  "LoggedModels.recordModelVersion": needs("experiment", "editor"),
  "LoggedModels.logOutputs": needs("experiment", "editor", "the run's experiment"),
  "LoggedModels.getRunOutputs": needs("experiment", "viewer", "the run's experiment"),
  "LoggedModels.getOutputsOfRuns": filtered(
    "experiment",
    "runs in experiments the caller may not read answer no outputs"
  ),

  "Datasets.register": needs("tenant", "editor"),
  "Datasets.registerMetadata": needs("tenant", "editor"),
  "Datasets.derive": needs("tenant", "editor"),
  "Datasets.getVersion": needs("tenant", "viewer"),
  "Datasets.getLatestVersion": needs("tenant", "viewer"),
  "Datasets.listVersions": needs("tenant", "viewer"),
  "Datasets.listDatasets": needs("tenant", "viewer"),
  "Datasets.records": needs("tenant", "viewer"),
  "Datasets.validate": needs("tenant", "viewer"),
  "Datasets.validateSummary": needs("tenant", "viewer"),
  "Datasets.getLineage": needs("tenant", "viewer"),

  "ArtifactStore.put": needs("artifact_path", "editor"),
  "ArtifactStore.putBytes": needs("artifact_path", "editor"),
  "ArtifactStore.get": needs("artifact_path", "viewer"),
  "ArtifactStore.getBytes": needs("artifact_path", "viewer"),
  "ArtifactStore.stat": needs("artifact_path", "viewer"),
  "ArtifactStore.list": needs("artifact_path", "viewer", "the root lists only the experiments the caller may read"),
  "ArtifactStore.delete": needs("artifact_path", "maintainer")
} as const satisfies Record<CoreAction, ActionRule>

/** A core action. */
export type Action = keyof typeof actions

/** The rule of `action`. */
export const ruleOf = (action: Action): ActionRule => actions[action]

/** Who may manage grants and users (the `Grants` service and MLflow's permission routes). */
export const grantActions: ReadonlyArray<{ readonly action: string; readonly who: string }> = [
  {
    action: "Grants.grant / revoke / get / list on the tenant",
    who: "admin"
  },
  {
    action: "Grants.grant / revoke / get / list on an experiment or a registered model",
    who: "maintainer on that resource (MLflow: MANAGE); `admin` is granted on the tenant only"
  },
  { action: "Grants.listFor, Grants.effectiveRole (a principal)", who: "admin, or that principal" },
  { action: "Grants.listFor (a group)", who: "admin" },
  {
    action: "MLflow `experiments/permissions/*`, `registered-models/permissions/*`",
    who: "maintainer on the experiment or model (MLflow: MANAGE)"
  },
  { action: "MLflow `users/create`, `users/update-admin`, `users/delete`", who: "admin" },
  { action: "MLflow `users/get`", who: "admin, or that user" },
  {
    action: "MLflow `users/update-password`",
    who: "nobody: passwords are API keys here (400 `BAD_REQUEST`); issue a new key and revoke the old one"
  }
]

const scopeText: Record<Scope, string> = {
  tenant: "tenant",
  experiment: "experiment",
  registered_model: "registered model",
  artifact_path: "experiment of the path, else tenant"
}

/**
 * The table of `docs/rbac.md`, generated from {@link actions} and
 * {@link grantActions} (a test keeps the file equal to it).
 */
export const renderActionTables = (): string => {
  const rows = Object.entries(actions).map(([action, rule]: [string, ActionRule]) => {
    const role = rule.enforcement === "filter" ? "viewer (filter)" : rule.role
    const mlflow = rule.enforcement === "filter" ? "READ (filter)" : mlflowNameOfRole[rule.role]
    return `| \`${action}\` | ${scopeText[rule.scope]} | ${role} | ${mlflow} | ${rule.note ?? ""} |`
  })
  const admin = grantActions.map((row) => `| ${row.action} | ${row.who} |`)
  return [
    "| Action | Checked on | Role | MLflow | Notes |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    "| Grants and users | Who |",
    "| --- | --- |",
    ...admin
  ].join("\n")
}
