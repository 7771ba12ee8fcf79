import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { ArtifactStore } from "../../../../src/core/artifacts/ArtifactStore.js"
import { CurrentTenant, type TenantId } from "../../../../src/core/context.js"
import { LoggedModels } from "../../../../src/core/models/LoggedModels.js"
import { ModelRegistry } from "../../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../../src/core/tracking/ExperimentTracker.js"
import { DatasetInput, DatasetRef } from "../../../../src/core/tracking/model.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import type { PrincipalId } from "../../../../src/enterprise/auth/principals/model.js"
import { Authorizer, viewFromGrants } from "../../../../src/enterprise/auth/rbac/Authorizer.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Lru } from "../../../../src/enterprise/auth/rbac/lru.js"
import { type Grant, Resource } from "../../../../src/enterprise/auth/rbac/model.js"
import { AuditTrail } from "../../../../src/enterprise/security/audit/AuditTrail.js"
import { as, callerOf, makeRbacServices, tenant, unique } from "./support.js"

const Services = makeRbacServices({ defaultRole: "viewer" })

/** A fresh user of the default tenant, and how to act as it. */
const newUser = (name = "user") =>
  Effect.gen(function* () {
    const principal = yield* (yield* Principals).create({ username: unique(name), kind: "user" })
    return {
      principal,
      act: as(callerOf(principal)),
      grantee: { kind: "principal", principalId: principal.principalId } as const
    }
  })

describe("effective roles (pure)", () => {
  const t = "acme" as TenantId
  const row = (kind: "principal" | "group", resourceKind: string, resourceId: string, role: Grant["role"]) => ({
    granteeKind: kind,
    resourceKind,
    resourceId,
    role
  })

  it("the default role applies without any tenant-level grant", () => {
    const view = viewFromGrants(t, "p", [], "viewer")
    assert.strictEqual(view.tenantRole, "viewer")
    assert.strictEqual(view.roleOn(Resource.experiment("1")), "viewer")
  })

  it("own grant on the resource, then groups' strongest, then tenant level", () => {
    const view = viewFromGrants(
      t,
      "p",
      [
        row("principal", "experiment", "1", "none"),
        row("group", "experiment", "1", "maintainer"),
        row("group", "experiment", "2", "viewer"),
        row("group", "experiment", "2", "editor"),
        row("group", "tenant", "", "editor"),
        row("principal", "tenant", "", "viewer")
      ],
      "none"
    )
    assert.strictEqual(view.roleOn(Resource.experiment("1")), "none") // own beats groups, even weaker
    assert.strictEqual(view.roleOn(Resource.experiment("2")), "editor") // strongest group
    assert.strictEqual(view.tenantRole, "viewer") // own tenant-level grant beats the groups'
    assert.strictEqual(view.roleOn(Resource.experiment("3")), "viewer")
  })

  it("a tenant-level admin always wins, even over NO_PERMISSIONS on a resource", () => {
    const view = viewFromGrants(
      t,
      "p",
      [row("group", "tenant", "", "admin"), row("principal", "experiment", "1", "none")],
      "viewer"
    )
    assert.strictEqual(view.roleOn(Resource.experiment("1")), "admin")
    assert.strictEqual(view.roleOn(Resource.registeredModel("m")), "admin")
  })

  it("the run→experiment memory is bounded and keeps what is used", () => {
    const lru = new Lru<string, number>(2)
    lru.set("a", 1)
    lru.set("b", 2)
    lru.get("a")
    lru.set("c", 3)
    assert.strictEqual(lru.size, 2)
    assert.strictEqual(lru.get("b"), undefined)
    assert.strictEqual(lru.get("a"), 1)
  })
})

layer(Services, { timeout: 180_000, excludeTestServices: true })("RBAC on PostgreSQL", (it) => {
  it.effect("in-process programs (no caller) are never refused", () =>
    Effect.gen(function* () {
      const tracker = yield* ExperimentTracker
      const experiment = yield* tracker.createExperiment({ name: unique("trusted") })
      yield* tracker.deleteExperiment(experiment.experimentId)
      yield* tracker.restoreExperiment(experiment.experimentId)
    })
  )

  it.effect("creators become maintainers of the experiments and models they create", () =>
    Effect.gen(function* () {
      const { principal, act, grantee } = yield* newUser("creator")
      const tracker = yield* ExperimentTracker
      const registry = yield* ModelRegistry
      const grants = yield* Grants
      const experiment = yield* act(tracker.createExperiment({ name: unique("mine") }))
      const model = yield* act(registry.createRegisteredModel({ name: unique("my-model") }))
      const own = yield* grants.listFor(grantee)
      assert.deepStrictEqual(
        own.map((g) => [g.resourceKind, g.resourceId, g.role, g.grantedBy]),
        [
          ["registered_model", model.name, "maintainer", principal.username],
          ["experiment", experiment.experimentId, "maintainer", principal.username]
        ]
      )
      // Maintainers delete and share what they created, though the tenant gives them only viewer.
      const other = yield* newUser("other")
      yield* act(
        grants.grant({ grantee: other.grantee, resource: Resource.experiment(experiment.experimentId), role: "editor" })
      )
      yield* other.act(tracker.createRun({ experimentId: experiment.experimentId }))
      yield* act(tracker.deleteExperiment(experiment.experimentId))
      yield* act(registry.deleteRegisteredModel(model.name))
      // ...but not someone else's.
      const foreign = yield* tracker.createExperiment({ name: unique("foreign") })
      const refused = yield* Effect.flip(act(tracker.deleteExperiment(foreign.experimentId)))
      assert.deepInclude(refused, {
        _tag: "Forbidden",
        action: "ExperimentTracker.deleteExperiment",
        resource: `experiment:${foreign.experimentId}`
      })
    })
  )

  it.effect("searches show only what the caller may read", () =>
    Effect.gen(function* () {
      const { act, grantee } = yield* newUser("searcher")
      const tracker = yield* ExperimentTracker
      const registry = yield* ModelRegistry
      const models = yield* LoggedModels
      const artifacts = yield* ArtifactStore
      const grants = yield* Grants
      const prefix = unique("search")
      const open = yield* tracker.createExperiment({ name: `${prefix}-open` })
      const closed = yield* tracker.createExperiment({ name: `${prefix}-closed` })
      yield* grants.grant({ grantee, resource: Resource.experiment(closed.experimentId), role: "none" })
      const openRun = yield* tracker.createRun({ experimentId: open.experimentId })
      const closedRun = yield* tracker.createRun({ experimentId: closed.experimentId })
      for (const run of [openRun, closedRun]) {
        const model = yield* models.createLoggedModel({ experimentId: run.info.experimentId })
        yield* models.logOutputs(run.info.runId, [{ modelId: model.modelId, step: 0 }])
        yield* artifacts.putBytes(`${run.info.experimentId}/${run.info.runId}/artifacts/a.txt`, "a")
      }
      const ids = [open.experimentId, closed.experimentId]

      const experiments = yield* act(tracker.searchExperiments({ filter: `name LIKE '${prefix}%'` }))
      assert.deepStrictEqual(
        experiments.items.map((e) => e.name),
        [`${prefix}-open`]
      )
      const runs = yield* act(tracker.searchRuns({ experimentIds: ids }))
      assert.deepStrictEqual(
        runs.items.map((r) => r.info.runId),
        [openRun.info.runId]
      )
      const summaries = yield* act(tracker.getExperimentSummaries(ids))
      assert.deepStrictEqual(
        summaries.map((s) => s.experimentId),
        [open.experimentId]
      )
      const logged = yield* act(models.searchLoggedModels({ experimentIds: ids }))
      assert.deepStrictEqual(
        logged.items.map((m) => m.experimentId),
        [open.experimentId]
      )
      const onlyClosed = yield* act(models.searchLoggedModels({ experimentIds: [closed.experimentId] }))
      assert.deepStrictEqual(onlyClosed.items, [])
      const outputs = yield* act(models.getOutputsOfRuns([openRun.info.runId, closedRun.info.runId]))
      assert.deepStrictEqual(
        outputs.map((o) => o.outputs.length),
        [1, 0]
      )
      const root = yield* act(artifacts.list(""))
      assert.isTrue(root.some((entry) => entry.path === open.experimentId))
      assert.isFalse(root.some((entry) => entry.path === closed.experimentId))
      // Direct reads of the closed experiment are refused, not hidden.
      const refused = yield* Effect.flip(act(tracker.getRun(closedRun.info.runId)))
      assert.strictEqual(refused._tag, "Forbidden")

      const modelPrefix = unique("m")
      for (const suffix of ["open", "closed"]) {
        yield* registry.createRegisteredModel({ name: `${modelPrefix}-${suffix}` })
        yield* registry.createModelVersion({ name: `${modelPrefix}-${suffix}`, source: "s3://b/m" })
      }
      yield* grants.grant({ grantee, resource: Resource.registeredModel(`${modelPrefix}-closed`), role: "none" })
      const found = yield* act(registry.searchRegisteredModels({ filter: `name LIKE '${modelPrefix}%'` }))
      assert.deepStrictEqual(
        found.items.map((m) => m.name),
        [`${modelPrefix}-open`]
      )
      const versions = yield* act(registry.searchModelVersions({ filter: `name LIKE '${modelPrefix}%'` }))
      assert.deepStrictEqual(
        versions.items.map((v) => v.name),
        [`${modelPrefix}-open`]
      )
    })
  )

  it.effect(
    "a version's lineage shows its run only to readers of the run's experiment; registering from it needs read",
    () =>
      Effect.gen(function* () {
        const { act, grantee } = yield* newUser("lineage")
        const tracker = yield* ExperimentTracker
        const registry = yield* ModelRegistry
        const grants = yield* Grants
        const experiment = yield* tracker.createExperiment({ name: unique("lineage") })
        const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
        yield* tracker.logInputs(run.info.runId, [
          new DatasetInput({
            dataset: new DatasetRef({ name: "d", digest: "1", sourceType: "s", source: "s" }),
            tags: []
          })
        ])
        const model = yield* registry.createRegisteredModel({ name: unique("lineage-model") })
        const version = yield* registry.createModelVersion({
          name: model.name,
          source: "s3://m",
          runId: run.info.runId
        })
        const shown = yield* act(registry.getLineage(model.name, version.version))
        assert.strictEqual(shown.run?.runId, run.info.runId)
        assert.strictEqual(shown.inputs.length, 1)

        yield* grants.grant({ grantee, resource: Resource.experiment(experiment.experimentId), role: "none" })
        const hidden = yield* act(registry.getLineage(model.name, version.version))
        assert.deepStrictEqual([hidden.run, hidden.experiment, hidden.inputs], [null, null, []])
        assert.strictEqual(hidden.version.version, version.version)

        yield* grants.grant({ grantee, resource: Resource.registeredModel(model.name), role: "editor" })
        yield* act(registry.createModelVersion({ name: model.name, source: "s3://m2" }))
        const refused = yield* Effect.flip(
          act(registry.createModelVersion({ name: model.name, source: "s3://m3", runId: run.info.runId }))
        )
        assert.deepInclude(refused, { _tag: "Forbidden", resource: `experiment:${experiment.experimentId}` })
      })
  )

  it.effect("grants on a registered model follow its renames and go with it", () =>
    Effect.gen(function* () {
      const { act, grantee } = yield* newUser("renamer")
      const registry = yield* ModelRegistry
      const grants = yield* Grants
      const name = unique("before")
      const renamed = unique("after")
      yield* registry.createRegisteredModel({ name })
      yield* grants.grant({ grantee, resource: Resource.registeredModel(name), role: "maintainer" })
      yield* act(registry.renameRegisteredModel(name, renamed))
      const own = yield* grants.get(grantee, Resource.registeredModel(renamed))
      assert.strictEqual(Option.map(own, (g) => g.role).pipe(Option.getOrNull), "maintainer")
      assert.isTrue(Option.isNone(yield* grants.get(grantee, Resource.registeredModel(name))))
      yield* act(registry.setRegisteredModelTag(renamed, "k", "v"))

      yield* act(registry.deleteRegisteredModel(renamed))
      assert.deepStrictEqual(yield* grants.list(Resource.registeredModel(renamed)), [])
      // A new model of that name starts without the old one's grants (the creator's aside).
      yield* registry.createRegisteredModel({ name: renamed })
      assert.deepStrictEqual(yield* grants.list(Resource.registeredModel(renamed)), [])
    })
  )

  it.effect("who may grant: admins on the tenant, maintainers on their resource; every change is audited", () =>
    Effect.gen(function* () {
      const admin = yield* newUser("admin")
      const editor = yield* newUser("editor")
      const target = yield* newUser("target")
      const grants = yield* Grants
      const tracker = yield* ExperimentTracker
      yield* grants.grant({ grantee: admin.grantee, resource: Resource.tenant, role: "admin" })
      const experiment = yield* tracker.createExperiment({ name: unique("shared") })
      const resource = Resource.experiment(experiment.experimentId)
      yield* admin.act(grants.grant({ grantee: editor.grantee, resource, role: "editor" }))

      const byEditor = yield* Effect.flip(
        editor.act(grants.grant({ grantee: target.grantee, resource, role: "viewer" }))
      )
      assert.strictEqual(byEditor._tag, "Forbidden")
      const tenantByEditor = yield* Effect.flip(
        editor.act(grants.grant({ grantee: target.grantee, resource: Resource.tenant, role: "viewer" }))
      )
      assert.strictEqual(tenantByEditor._tag, "Forbidden")
      const listByEditor = yield* Effect.flip(editor.act(grants.list(resource)))
      assert.strictEqual(listByEditor._tag, "Forbidden")
      const othersByEditor = yield* Effect.flip(editor.act(grants.listFor(admin.grantee)))
      assert.strictEqual(othersByEditor._tag, "Forbidden")
      assert.strictEqual((yield* editor.act(grants.listFor(editor.grantee))).length, 1)
      assert.strictEqual(yield* editor.act(grants.effectiveRole(editor.principal.principalId, resource)), "editor")

      const adminOnResource = yield* Effect.flip(grants.grant({ grantee: target.grantee, resource, role: "admin" }))
      assert.deepInclude(adminOnResource, { _tag: "InvalidArgument", field: "role" })
      const missing = yield* Effect.flip(
        grants.grant({ grantee: target.grantee, resource: Resource.experiment("999999"), role: "viewer" })
      )
      assert.strictEqual(missing._tag, "ExperimentNotFound")
      const unknownUser = yield* Effect.flip(
        grants.grant({
          grantee: { kind: "principal", principalId: `p-${"0".repeat(32)}` as PrincipalId },
          resource,
          role: "viewer"
        })
      )
      assert.strictEqual(unknownUser._tag, "PrincipalNotFound")
      const unknownGroup = yield* Effect.flip(
        grants.grant({ grantee: { kind: "group", group: "nobody" }, resource, role: "viewer" })
      )
      assert.strictEqual(unknownGroup._tag, "GroupNotFound")

      const trail = yield* AuditTrail
      const head = yield* Effect.map(trail.query({ limit: 1 }), (page) => page.entries[0]?.seq ?? 0).pipe(
        Effect.provideService(CurrentTenant, tenant)
      )
      yield* admin.act(grants.grant({ grantee: target.grantee, resource, role: "viewer" }))
      yield* admin.act(grants.grant({ grantee: target.grantee, resource, role: "editor" }))
      yield* admin.act(grants.revoke(target.grantee, resource))
      const audited = yield* Effect.map(trail.query({ limit: 100 }), (page) =>
        page.entries.filter((e) => e.seq > head).reverse()
      ).pipe(Effect.provideService(CurrentTenant, tenant))
      const roleIn = (state: string | undefined) => (state === undefined ? null : (JSON.parse(state) as Grant).role)
      assert.deepStrictEqual(
        audited.map((e) => [e.action, e.principal, roleIn(e.beforeState), roleIn(e.afterState)]),
        [
          ["rbac.grant", admin.principal.username, null, "viewer"],
          ["rbac.change", admin.principal.username, "viewer", "editor"],
          ["rbac.revoke", admin.principal.username, "editor", null]
        ]
      )
      assert.deepInclude(JSON.parse(audited[0]?.afterState ?? "{}"), {
        tenantId: tenant,
        granteeKind: "principal",
        granteeId: target.principal.principalId,
        granteeName: target.principal.username,
        resourceKind: "experiment",
        resourceId: experiment.experimentId,
        grantedBy: admin.principal.username
      })
      assert.isTrue(Option.isNone(yield* admin.act(grants.revoke(target.grantee, resource))))
    })
  )

  it.effect("groups: members get the group's role; the member's own grant wins", () =>
    Effect.gen(function* () {
      const member = yield* newUser("member")
      const principals = yield* Principals
      const grants = yield* Grants
      const tracker = yield* ExperimentTracker
      const group = unique("team")
      yield* principals.createGroup(group)
      yield* principals.addMember(group, member.principal.principalId)
      const experiment = yield* tracker.createExperiment({ name: unique("team-exp") })
      const resource = Resource.experiment(experiment.experimentId)
      assert.strictEqual(
        (yield* Effect.flip(member.act(tracker.createRun({ experimentId: experiment.experimentId }))))._tag,
        "Forbidden"
      )
      yield* grants.grant({ grantee: { kind: "group", group }, resource, role: "editor" })
      yield* member.act(tracker.createRun({ experimentId: experiment.experimentId }))
      yield* grants.grant({ grantee: member.grantee, resource, role: "none" })
      assert.strictEqual(
        (yield* Effect.flip(member.act(tracker.getExperiment(experiment.experimentId))))._tag,
        "Forbidden"
      )
      // A tenant-level admin through a group wins over the member's NO_PERMISSIONS.
      const admins = unique("admins")
      yield* principals.createGroup(admins)
      yield* principals.addMember(admins, member.principal.principalId)
      yield* grants.grant({ grantee: { kind: "group", group: admins }, resource: Resource.tenant, role: "admin" })
      yield* member.act(tracker.deleteExperiment(experiment.experimentId))
    })
  )

  it.effect("a change through this process applies at once; the cache is per principal", () =>
    Effect.gen(function* () {
      const user = yield* newUser("cached")
      const authorizer = yield* Authorizer
      const grants = yield* Grants
      const first = yield* authorizer.viewOf(tenant, user.principal.principalId)
      assert.strictEqual(first.tenantRole, "viewer")
      yield* grants.grant({ grantee: user.grantee, resource: Resource.tenant, role: "editor" })
      assert.strictEqual((yield* authorizer.viewOf(tenant, user.principal.principalId)).tenantRole, "editor")
    })
  )
})
