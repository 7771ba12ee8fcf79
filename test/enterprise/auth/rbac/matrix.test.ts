import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Schema, Stream } from "effect"
import { ArtifactStore } from "../../../../src/core/artifacts/ArtifactStore.js"
import { Datasets } from "../../../../src/core/data/Datasets.js"
import { DataSource } from "../../../../src/core/data/model.js"
import { Transform } from "../../../../src/core/data/transforms.js"
import { LoggedModels } from "../../../../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../../../../src/core/registry/ModelRegistry.js"
import type { ModelVersionNumber } from "../../../../src/core/registry/model.js"
import { ExperimentTracker } from "../../../../src/core/tracking/ExperimentTracker.js"
import { DatasetInput, DatasetRef, type ExperimentId } from "../../../../src/core/tracking/model.js"
import type { PrincipalRecord } from "../../../../src/enterprise/auth/principals/model.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { type Action, actions, type Scope } from "../../../../src/enterprise/auth/rbac/actions.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import {
  atLeast,
  type Grantee,
  Resource,
  type ResourceRef,
  type Role,
  roles
} from "../../../../src/enterprise/auth/rbac/model.js"
import { as, callerOf, makeRbacServices, unique } from "./support.js"

/*
 * Every action of the table, for each role granted four ways (to the user
 * or to one of its groups; on the tenant or on the resource the action
 * touches), against the decorated services on PostgreSQL. The default role
 * is `none` here, so a resource-level grant says nothing about the tenant.
 * A `require` action must succeed when the role suffices and fail with
 * `Forbidden` otherwise; a `filter` action never fails and shows the item
 * exactly to those who may read it.
 */

type Services = ExperimentTracker | ModelRegistry | LoggedModels | Datasets | ArtifactStore

/** What a probe prepared (trusted, without a caller) and how to try the action as the caller. */
interface Prepared {
  /** The resource a resource-level grant goes on (ignored for tenant-scoped actions). */
  readonly resource: ResourceRef
  /** The action, as the caller; for `filter` actions, whether the prepared item came back. */
  readonly run: Effect.Effect<unknown, unknown>
}

interface Probe {
  readonly action: Action
  /** Where the role is checked in this probe (artifact actions are probed on both kinds of path). */
  readonly scope: Exclude<Scope, "artifact_path">
  readonly label: string
  readonly prepare: Effect.Effect<Prepared, unknown, Services>
}

const tracker = ExperimentTracker
const csv = (text: string) => DataSource.bytes(Stream.make(new TextEncoder().encode(text)), "csv")

const experiment = Effect.flatMap(tracker, (t) =>
  Effect.map(t.createExperiment({ name: unique("exp") }), (e) => e.experimentId)
)
const run = (experimentId: ExperimentId) =>
  Effect.flatMap(tracker, (t) => Effect.map(t.createRun({ experimentId }), (r) => r.info.runId))
const experimentWithRun = Effect.flatMap(experiment, (experimentId) =>
  Effect.map(run(experimentId), (runId) => ({ experimentId, runId }))
)
const registeredModel = Effect.flatMap(ModelRegistry, (r) =>
  Effect.map(r.createRegisteredModel({ name: unique("model") }), (m) => m.name)
)
const modelVersion = Effect.flatMap(registeredModel, (name) =>
  Effect.flatMap(ModelRegistry, (r) =>
    Effect.map(r.createModelVersion({ name, source: "s3://bucket/model" }), (v) => ({ name, version: v.version }))
  )
)
const loggedModel = Effect.flatMap(experiment, (experimentId) =>
  Effect.flatMap(LoggedModels, (m) =>
    Effect.map(m.createLoggedModel({ experimentId }), (model) => ({ experimentId, modelId: model.modelId }))
  )
)
const dataset = Effect.flatMap(Datasets, (d) => d.register({ name: unique("data"), source: csv("a,b\n1,2\n") }))

const input = new DatasetInput({
  dataset: new DatasetRef({ name: "iris", digest: "abc", sourceType: "local", source: "iris.csv" }),
  tags: []
})

const onExperiment = (experimentId: ExperimentId, run: Prepared["run"]): Prepared => ({
  resource: Resource.experiment(experimentId),
  run
})
const onModel = (name: string, run: Prepared["run"]): Prepared => ({ resource: Resource.registeredModel(name), run })
const onTenant = (run: Prepared["run"]): Prepared => ({ resource: Resource.tenant, run })

const probe = (
  action: Action,
  prepare: Effect.Effect<Prepared, unknown, Services>,
  scope: Probe["scope"] = actions[action].scope as Probe["scope"],
  label: string = action
): Probe => ({ action, scope, label, prepare })

const gen = Effect.gen

const trackerProbes: ReadonlyArray<Probe> = [
  probe(
    "ExperimentTracker.createExperiment",
    Effect.map(tracker, (t) => onTenant(t.createExperiment({ name: unique("created") })))
  ),
  probe(
    "ExperimentTracker.getExperiment",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(id, t.getExperiment(id))
    })
  ),
  probe(
    "ExperimentTracker.getExperimentByName",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      const { name } = yield* t.getExperiment(id)
      return onExperiment(id, t.getExperimentByName(name))
    })
  ),
  probe(
    "ExperimentTracker.searchExperiments",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      const { name } = yield* t.getExperiment(id)
      return onExperiment(
        id,
        Effect.map(t.searchExperiments({ filter: `name = '${name}'` }), (page) => page.items.length === 1)
      )
    })
  ),
  probe(
    "ExperimentTracker.renameExperiment",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(id, t.renameExperiment(id, unique("renamed")))
    })
  ),
  probe(
    "ExperimentTracker.setExperimentTag",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(id, t.setExperimentTag(id, "team", "ml"))
    })
  ),
  probe(
    "ExperimentTracker.deleteExperimentTag",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      yield* t.setExperimentTag(id, "team", "ml")
      return onExperiment(id, t.deleteExperimentTag(id, "team"))
    })
  ),
  probe(
    "ExperimentTracker.deleteExperiment",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(id, t.deleteExperiment(id))
    })
  ),
  probe(
    "ExperimentTracker.restoreExperiment",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      yield* t.deleteExperiment(id)
      return onExperiment(id, t.restoreExperiment(id))
    })
  ),
  probe(
    "ExperimentTracker.getExperimentSummaries",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(
        id,
        Effect.map(t.getExperimentSummaries([id]), (found) => found.length === 1)
      )
    })
  ),
  probe(
    "ExperimentTracker.getExperimentKeys",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(id, t.getExperimentKeys(id))
    })
  ),
  probe(
    "ExperimentTracker.createRun",
    gen(function* () {
      const t = yield* tracker
      const id = yield* experiment
      return onExperiment(id, t.createRun({ experimentId: id }))
    })
  ),
  ...(
    [
      ["ExperimentTracker.getRun", (t, runId) => t.getRun(runId)],
      ["ExperimentTracker.updateRun", (t, runId) => t.updateRun(runId, { status: "FINISHED", endTime: 1 })],
      ["ExperimentTracker.deleteRun", (t, runId) => t.deleteRun(runId)],
      ["ExperimentTracker.logParam", (t, runId) => t.logParam(runId, "lr", "0.1")],
      ["ExperimentTracker.logMetric", (t, runId) => t.logMetric(runId, { key: "loss", value: 1 })],
      ["ExperimentTracker.setTag", (t, runId) => t.setTag(runId, "k", "v")],
      ["ExperimentTracker.logBatch", (t, runId) => t.logBatch(runId, { metrics: [{ key: "loss", value: 1 }] })],
      ["ExperimentTracker.logInputs", (t, runId) => t.logInputs(runId, [input])]
    ] as const satisfies ReadonlyArray<
      readonly [
        Action,
        (
          t: ExperimentTracker["Type"],
          runId: Parameters<ExperimentTracker["Type"]["getRun"]>[0]
        ) => Effect.Effect<unknown, unknown>
      ]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const t = yield* tracker
        const { experimentId, runId } = yield* experimentWithRun
        return onExperiment(experimentId, call(t, runId))
      })
    )
  ),
  probe(
    "ExperimentTracker.restoreRun",
    gen(function* () {
      const t = yield* tracker
      const { experimentId, runId } = yield* experimentWithRun
      yield* t.deleteRun(runId)
      return onExperiment(experimentId, t.restoreRun(runId))
    })
  ),
  probe(
    "ExperimentTracker.deleteTag",
    gen(function* () {
      const t = yield* tracker
      const { experimentId, runId } = yield* experimentWithRun
      yield* t.setTag(runId, "k", "v")
      return onExperiment(experimentId, t.deleteTag(runId, "k"))
    })
  ),
  probe(
    "ExperimentTracker.getMetricHistory",
    gen(function* () {
      const t = yield* tracker
      const { experimentId, runId } = yield* experimentWithRun
      yield* t.logMetric(runId, { key: "loss", value: 1 })
      return onExperiment(experimentId, t.getMetricHistory({ runId, key: "loss" }))
    })
  ),
  probe(
    "ExperimentTracker.searchRuns",
    gen(function* () {
      const t = yield* tracker
      const { experimentId } = yield* experimentWithRun
      return onExperiment(
        experimentId,
        Effect.map(t.searchRuns({ experimentIds: [experimentId] }), (page) => page.items.length === 1)
      )
    })
  )
]

const registry = ModelRegistry
type Version = { readonly name: string; readonly version: ModelVersionNumber }

const registryProbes: ReadonlyArray<Probe> = [
  probe(
    "ModelRegistry.createRegisteredModel",
    Effect.map(registry, (r) => onTenant(r.createRegisteredModel({ name: unique("created") })))
  ),
  ...(
    [
      ["ModelRegistry.getRegisteredModel", (r, name) => r.getRegisteredModel(name)],
      ["ModelRegistry.renameRegisteredModel", (r, name) => r.renameRegisteredModel(name, unique("renamed"))],
      ["ModelRegistry.updateRegisteredModel", (r, name) => r.updateRegisteredModel(name, { description: "d" })],
      ["ModelRegistry.setRegisteredModelTag", (r, name) => r.setRegisteredModelTag(name, "k", "v")],
      ["ModelRegistry.deleteRegisteredModel", (r, name) => r.deleteRegisteredModel(name)],
      [
        "ModelRegistry.searchRegisteredModels",
        (r, name) =>
          Effect.map(r.searchRegisteredModels({ filter: `name = '${name}'` }), (page) => page.items.length === 1)
      ],
      ["ModelRegistry.createModelVersion", (r, name) => r.createModelVersion({ name, source: "s3://b/m" })]
    ] as const satisfies ReadonlyArray<
      readonly [Action, (r: ModelRegistry["Type"], name: string) => Effect.Effect<unknown, unknown>]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const r = yield* registry
        const name = yield* registeredModel
        return onModel(name, call(r, name))
      })
    )
  ),
  probe(
    "ModelRegistry.deleteRegisteredModelTag",
    gen(function* () {
      const r = yield* registry
      const name = yield* registeredModel
      yield* r.setRegisteredModelTag(name, "k", "v")
      return onModel(name, r.deleteRegisteredModelTag(name, "k"))
    })
  ),
  ...(
    [
      ["ModelRegistry.getModelVersion", (r, v) => r.getModelVersion(v.name, v.version)],
      ["ModelRegistry.updateModelVersion", (r, v) => r.updateModelVersion(v.name, v.version, { description: "d" })],
      ["ModelRegistry.setModelVersionTag", (r, v) => r.setModelVersionTag(v.name, v.version, "k", "v")],
      ["ModelRegistry.deleteModelVersion", (r, v) => r.deleteModelVersion(v.name, v.version)],
      [
        "ModelRegistry.searchModelVersions",
        (r, v) => Effect.map(r.searchModelVersions({ filter: `name = '${v.name}'` }), (page) => page.items.length === 1)
      ],
      [
        "ModelRegistry.transitionModelVersionStage",
        (r, v) => r.transitionModelVersionStage(v.name, v.version, "Staging")
      ],
      ["ModelRegistry.getLatestVersions", (r, v) => r.getLatestVersions(v.name)],
      ["ModelRegistry.setAlias", (r, v) => r.setAlias(v.name, "champion", v.version)],
      ["ModelRegistry.getAliasHistory", (r, v) => r.getAliasHistory(v.name)],
      ["ModelRegistry.getLineage", (r, v) => r.getLineage(v.name, v.version)]
    ] as const satisfies ReadonlyArray<
      readonly [Action, (r: ModelRegistry["Type"], v: Version) => Effect.Effect<unknown, unknown>]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const r = yield* registry
        const v = yield* modelVersion
        return onModel(v.name, call(r, v))
      })
    )
  ),
  ...(
    [
      ["ModelRegistry.deleteModelVersionTag", (r, v) => r.deleteModelVersionTag(v.name, v.version, "k")],
      ["ModelRegistry.deleteAlias", (r, v) => r.deleteAlias(v.name, "champion")],
      ["ModelRegistry.getVersionByAlias", (r, v) => r.getVersionByAlias(v.name, "champion")]
    ] as const satisfies ReadonlyArray<
      readonly [Action, (r: ModelRegistry["Type"], v: Version) => Effect.Effect<unknown, unknown>]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const r = yield* registry
        const v = yield* modelVersion
        yield* r.setModelVersionTag(v.name, v.version, "k", "v")
        yield* r.setAlias(v.name, "champion", v.version)
        return onModel(v.name, call(r, v))
      })
    )
  )
]

type Logged = {
  readonly experimentId: ExperimentId
  readonly modelId: Parameters<LoggedModels["Type"]["getLoggedModel"]>[0]
}

const loggedModelProbes: ReadonlyArray<Probe> = [
  probe(
    "LoggedModels.createLoggedModel",
    gen(function* () {
      const m = yield* LoggedModels
      const id = yield* experiment
      return onExperiment(id, m.createLoggedModel({ experimentId: id }))
    })
  ),
  ...(
    [
      ["LoggedModels.getLoggedModel", (m, l) => m.getLoggedModel(l.modelId)],
      ["LoggedModels.finalizeLoggedModel", (m, l) => m.finalizeLoggedModel(l.modelId, "LOGGED_MODEL_READY")],
      ["LoggedModels.deleteLoggedModel", (m, l) => m.deleteLoggedModel(l.modelId)],
      [
        "LoggedModels.searchLoggedModels",
        (m, l) => Effect.map(m.searchLoggedModels({ experimentIds: [l.experimentId] }), (p) => p.items.length === 1)
      ],
      ["LoggedModels.setLoggedModelTags", (m, l) => m.setLoggedModelTags(l.modelId, [{ key: "k", value: "v" }])],
      ["LoggedModels.deleteLoggedModelTag", (m, l) => m.deleteLoggedModelTag(l.modelId, "k")],
      ["LoggedModels.logLoggedModelParams", (m, l) => m.logLoggedModelParams(l.modelId, [{ key: "k", value: "v" }])],
      [
        "LoggedModels.logLoggedModelMetrics",
        (m, l) => m.logLoggedModelMetrics(l.modelId, [{ key: "acc", value: 0.9, timestamp: 1 }])
      ],
      ["LoggedModels.recordModelVersion", (m, l) => m.recordModelVersion(l.modelId, "churn", 1)]
    ] as const satisfies ReadonlyArray<
      readonly [Action, (m: LoggedModels["Type"], l: Logged) => Effect.Effect<unknown, unknown>]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const m = yield* LoggedModels
        const l = yield* loggedModel
        return onExperiment(l.experimentId, call(m, l))
      })
    )
  ),
  ...(
    [
      ["LoggedModels.logOutputs", (m, runId, modelId) => m.logOutputs(runId, [{ modelId, step: 0 }])],
      ["LoggedModels.getRunOutputs", (m, runId) => m.getRunOutputs(runId)],
      [
        "LoggedModels.getOutputsOfRuns",
        (m, runId) => Effect.map(m.getOutputsOfRuns([runId]), (found) => found[0]?.outputs.length === 1)
      ]
    ] as const satisfies ReadonlyArray<
      readonly [
        Action,
        (
          m: LoggedModels["Type"],
          runId: Parameters<LoggedModels["Type"]["getRunOutputs"]>[0],
          modelId: Logged["modelId"]
        ) => Effect.Effect<unknown, unknown>
      ]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const m = yield* LoggedModels
        const l = yield* loggedModel
        const runId = yield* run(l.experimentId)
        if (action !== "LoggedModels.logOutputs") yield* m.logOutputs(runId, [{ modelId: l.modelId, step: 0 }])
        return onExperiment(l.experimentId, call(m, runId, l.modelId))
      })
    )
  )
]

const Row = Schema.Struct({ a: Schema.String, b: Schema.String })

const datasetProbes: ReadonlyArray<Probe> = [
  probe(
    "Datasets.register",
    Effect.map(Datasets, (d) => onTenant(d.register({ name: unique("registered"), source: csv("a\n1\n") })))
  ),
  probe(
    "Datasets.registerMetadata",
    Effect.map(Datasets, (d) =>
      onTenant(d.registerMetadata({ name: unique("meta"), digest: "d1", source: "s3://x", sourceType: "s3" }))
    )
  ),
  ...(
    [
      ["Datasets.derive", (d, v) => d.derive({ name: unique("derived"), from: v, transform: Transform.select(["a"]) })],
      ["Datasets.getVersion", (d, v) => d.getVersion(v.name, v.version)],
      ["Datasets.getLatestVersion", (d, v) => d.getLatestVersion(v.name)],
      ["Datasets.listVersions", (d, v) => d.listVersions(v.name)],
      ["Datasets.listDatasets", (d) => d.listDatasets()],
      ["Datasets.records", (d, v) => Stream.runCollect(d.records(DataSource.version(v.name, v.version)))],
      ["Datasets.validate", (d, v) => Stream.runCollect(d.validate(DataSource.version(v.name, v.version), Row))],
      ["Datasets.validateSummary", (d, v) => d.validateSummary(DataSource.version(v.name, v.version), Row)],
      ["Datasets.getLineage", (d, v) => d.getLineage(v.name, v.version)]
    ] as const satisfies ReadonlyArray<
      readonly [
        Action,
        (d: Datasets["Type"], v: { readonly name: string; readonly version: number }) => Effect.Effect<unknown, unknown>
      ]
    >
  ).map(([action, call]) =>
    probe(
      action,
      gen(function* () {
        const d = yield* Datasets
        const v = yield* dataset
        return onTenant(call(d, v))
      })
    )
  )
]

const artifactCalls = [
  ["ArtifactStore.put", (s, path) => s.put(`${path}/put.txt`, Stream.make(new Uint8Array([1, 2])))],
  ["ArtifactStore.putBytes", (s, path) => s.putBytes(`${path}/bytes.txt`, "x")],
  ["ArtifactStore.get", (s, path) => Stream.runCollect(s.get(`${path}/file.txt`))],
  ["ArtifactStore.getBytes", (s, path) => s.getBytes(`${path}/file.txt`)],
  ["ArtifactStore.stat", (s, path) => s.stat(`${path}/file.txt`)],
  ["ArtifactStore.list", (s, path) => s.list(path)],
  ["ArtifactStore.delete", (s, path) => s.delete(`${path}/file.txt`)]
] as const satisfies ReadonlyArray<
  readonly [Action, (s: ArtifactStore["Type"], path: string) => Effect.Effect<unknown, unknown>]
>

// Run and logged-model artifacts live under `<experimentId>/…`; any other path (say `shared/…`) is the tenant's.
const artifactProbes: ReadonlyArray<Probe> = artifactCalls.flatMap(([action, call]) => [
  probe(
    action,
    gen(function* () {
      const s = yield* ArtifactStore
      const { experimentId, runId } = yield* experimentWithRun
      const path = `${experimentId}/${runId}/artifacts`
      yield* s.putBytes(`${path}/file.txt`, "content")
      return onExperiment(experimentId, call(s, path))
    }),
    "experiment",
    `${action} (run artifact)`
  ),
  probe(
    action,
    gen(function* () {
      const s = yield* ArtifactStore
      const path = `shared/${unique("files")}`
      yield* s.putBytes(`${path}/file.txt`, "content")
      return onTenant(call(s, path))
    }),
    "tenant",
    `${action} (shared/)`
  )
])

const probes = [...trackerProbes, ...registryProbes, ...loggedModelProbes, ...datasetProbes, ...artifactProbes]

type Mode = "user on tenant" | "group on tenant" | "user on resource" | "group on resource"
const modes: ReadonlyArray<Mode> = ["user on tenant", "group on tenant", "user on resource", "group on resource"]

interface Subject {
  readonly role: Role
  readonly mode: Mode
  readonly principal: PrincipalRecord
  readonly grantee: Grantee
}

/** The role a subject has where a probe checks it. */
const effectiveRole = (subject: Subject, scope: Probe["scope"]): Role =>
  subject.mode.endsWith("on tenant") || scope !== "tenant" ? subject.role : "none"

const isForbidden = (exit: Exit.Exit<unknown, unknown>) =>
  Exit.isFailure(exit) &&
  Cause.failureOption(exit.cause).pipe(
    (failure) => failure._tag === "Some" && (failure.value as { _tag?: string })._tag === "Forbidden"
  )

layer(makeRbacServices({ defaultRole: "none" }), { timeout: 600_000, excludeTestServices: true })(
  "RBAC matrix",
  (it) => {
    it("probes every action of the table", () => {
      const probed = new Set(probes.map((p) => p.action))
      assert.deepStrictEqual(
        Object.keys(actions).filter((action) => !probed.has(action as Action)),
        [],
        "actions without a probe"
      )
    })

    it.effect(
      "every action, every role, granted to a user or a group, on the tenant or on the resource",
      () =>
        Effect.gen(function* () {
          const principals = yield* Principals
          const grants = yield* Grants
          const subjects: Array<Subject> = []
          for (const mode of modes) {
            for (const role of roles) {
              const principal = yield* principals.create({
                username: unique(`${role}-${mode.replaceAll(" ", "-")}`),
                kind: "user"
              })
              let grantee: Grantee = { kind: "principal", principalId: principal.principalId }
              if (mode.startsWith("group")) {
                const group = unique(`g-${role}`)
                yield* principals.createGroup(group)
                yield* principals.addMember(group, principal.principalId)
                grantee = { kind: "group", group }
              }
              if (mode.endsWith("on tenant")) {
                yield* grants.grant({ grantee, resource: Resource.tenant, role })
              } else if (role === "admin") {
                // Admin is a tenant-level role: granting it on a resource is refused.
                const refused = yield* Effect.flip(grants.grant({ grantee, resource: Resource.experiment("0"), role }))
                assert.strictEqual(refused._tag, "InvalidArgument", mode)
                continue
              }
              subjects.push({ role, mode, principal, grantee })
            }
          }

          const problems: Array<string> = []
          let checked = 0
          yield* Effect.forEach(
            subjects.flatMap((subject) => probes.map((p) => [subject, p] as const)),
            ([subject, p]) =>
              Effect.gen(function* () {
                const prepared = yield* p.prepare
                if (subject.mode.endsWith("on resource") && prepared.resource.kind !== "tenant") {
                  yield* grants.grant({ grantee: subject.grantee, resource: prepared.resource, role: subject.role })
                }
                const exit = yield* Effect.exit(prepared.run.pipe(as(callerOf(subject.principal))))
                const allowed = atLeast(effectiveRole(subject, p.scope), actions[p.action].role)
                const where = `${p.label} as ${subject.role} (${subject.mode})`
                checked++
                if (actions[p.action].enforcement === "filter") {
                  if (!Exit.isSuccess(exit))
                    problems.push(`${where}: failed ${Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause)}`)
                  else if (exit.value !== allowed) problems.push(`${where}: ${allowed ? "hidden" : "shown"}`)
                } else if (allowed && !Exit.isSuccess(exit)) {
                  problems.push(
                    `${where}: refused ${Cause.pretty((exit as Exit.Failure<unknown, unknown>).cause).slice(0, 300)}`
                  )
                } else if (!allowed && !isForbidden(exit)) {
                  problems.push(`${where}: ${Exit.isSuccess(exit) ? "allowed" : "failed without Forbidden"}`)
                }
              }),
            { concurrency: 6, discard: true }
          )
          assert.deepStrictEqual(problems, [])
          assert.strictEqual(checked, subjects.length * probes.length)
        }),
      600_000
    )
  }
)
