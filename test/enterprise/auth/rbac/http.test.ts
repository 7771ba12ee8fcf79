import { assert, layer } from "@effect/vitest"
import { Context, Effect, Layer, Option, Stream } from "effect"
import { ArtifactStore } from "../../../../src/core/artifacts/ArtifactStore.js"
import { Forbidden } from "../../../../src/core/errors.js"
import { ModelRegistry } from "../../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../../src/core/tracking/ExperimentTracker.js"
import { RemoteLayer, RemoteSession } from "../../../../src/client/RemoteLayer.js"
import { Principals } from "../../../../src/enterprise/auth/principals/Principals.js"
import { Grants } from "../../../../src/enterprise/auth/rbac/Grants.js"
import { Resource } from "../../../../src/enterprise/auth/rbac/model.js"
import { cli } from "../../../cli/harness.js"
import { basic, bearer, keyFor, makeRbacServices, request, startRbacServer, unique } from "./support.js"

/*
 * The enterprise server with API keys and RBAC: a viewer is refused writes
 * with 403 — PERMISSION_DENIED on MLflow's API, a `Forbidden` tagged error
 * on the native one — and `RemoteLayer` and the CLI fail with `Forbidden`.
 */

class Fixture extends Context.Tag("test/rbac/http")<
  Fixture,
  {
    readonly url: string
    readonly viewerKey: string
    readonly editorKey: string
    readonly experimentId: string
    readonly runId: string
  }
>() {}

const Services = makeRbacServices({ defaultRole: "viewer" })

const Server = Layer.scoped(
  Fixture,
  Effect.gen(function* () {
    const principals = yield* Principals
    const grants = yield* Grants
    const tracker = yield* ExperimentTracker
    const viewer = yield* principals.create({ username: "vera", kind: "user" })
    const editor = yield* principals.create({ username: "eddie", kind: "service_account" })
    const experiment = yield* tracker.createExperiment({ name: "shared" })
    const run = yield* tracker.createRun({ experimentId: experiment.experimentId })
    yield* grants.grant({
      grantee: { kind: "principal", principalId: editor.principalId },
      resource: Resource.experiment(experiment.experimentId),
      role: "editor"
    })
    yield* (yield* ModelRegistry).createRegisteredModel({ name: "churn" })
    return {
      url: yield* startRbacServer,
      viewerKey: yield* keyFor(viewer),
      editorKey: yield* keyFor(editor),
      experimentId: experiment.experimentId,
      runId: run.info.runId
    }
  })
).pipe(Layer.provideMerge(Services))

const mlflow = "/api/2.0/mlflow"

layer(Server, { timeout: 120_000, excludeTestServices: true })("RBAC over HTTP", (it) => {
  it.effect("MLflow API: a viewer reads, and a write is 403 PERMISSION_DENIED", () =>
    Effect.gen(function* () {
      const { url, viewerKey, experimentId } = yield* Fixture
      const auth = basic("vera", viewerKey)
      const read = yield* request(url, `${mlflow}/experiments/get?experiment_id=${experimentId}`, { headers: auth })
      assert.strictEqual(read.status, 200)
      const write = yield* request(url, `${mlflow}/runs/create`, {
        json: { experiment_id: experimentId },
        headers: auth
      })
      assert.strictEqual(write.status, 403)
      assert.strictEqual(write.body.error_code, "PERMISSION_DENIED")
      assert.match(String(write.body.message), /vera may not ExperimentTracker\.createRun on experiment:\d+/)
    })
  )

  it.effect("native API: a write is 403 with the Forbidden tagged error", () =>
    Effect.gen(function* () {
      const { url, viewerKey, experimentId, runId } = yield* Fixture
      const created = yield* request(url, "/api/v1/runs", { json: { experimentId }, headers: bearer(viewerKey) })
      assert.strictEqual(created.status, 403)
      assert.deepInclude(created.body, {
        _tag: "Forbidden",
        action: "ExperimentTracker.createRun",
        resource: `experiment:${experimentId}`
      })
      const read = yield* request(url, `/api/v1/runs/${runId}`, { headers: bearer(viewerKey) })
      assert.strictEqual(read.status, 200)
    })
  )

  it.effect("RemoteLayer fails with the same Forbidden class the embedded decorators raise", () =>
    Effect.gen(function* () {
      const { url, viewerKey, editorKey, experimentId, runId } = yield* Fixture
      const asViewer = RemoteLayer({ url, token: viewerKey })
      const refused = yield* Effect.flatMap(ExperimentTracker, (tracker) =>
        Effect.flip(tracker.createRun({ experimentId: experimentId as never }))
      ).pipe(Effect.provide(asViewer))
      assert.instanceOf(refused, Forbidden)
      assert.strictEqual(refused._tag, "Forbidden")
      if (refused._tag === "Forbidden") assert.strictEqual(refused.action, "ExperimentTracker.createRun")

      // A streamed upload and a buffered metric are refused the same way.
      const upload = yield* Effect.flatMap(ArtifactStore, (store) =>
        Effect.flip(store.put(`${experimentId}/${runId}/artifacts/x.txt`, Stream.make(new Uint8Array([1]))))
      ).pipe(Effect.provide(asViewer))
      assert.instanceOf(upload, Forbidden)
      const metric = yield* Effect.gen(function* () {
        const tracker = yield* ExperimentTracker
        yield* tracker.logMetric(runId as never, { key: "loss", value: 1 })
        yield* (yield* RemoteSession).flush
        return yield* Effect.flip(tracker.logMetric(runId as never, { key: "loss", value: 2 }))
      }).pipe(Effect.provide(asViewer))
      assert.instanceOf(metric, Forbidden)

      // The editor of the experiment writes through the same client.
      const run = yield* Effect.flatMap(ExperimentTracker, (tracker) =>
        tracker.createRun({ experimentId: experimentId as never })
      ).pipe(Effect.provide(RemoteLayer({ url, token: editorKey })))
      assert.strictEqual(run.info.userId, "eddie")
    })
  )

  it.effect("the CLI prints a refusal like any other error and exits 1", () =>
    Effect.gen(function* () {
      const { url, viewerKey } = yield* Fixture
      const result = yield* cli("aliases", "set", "churn", "champion", "1", "--url", url, "--token", viewerKey)
      assert.strictEqual(result.code, 1)
      assert.match(
        result.stderr,
        /^error: permission denied: vera may not ModelRegistry\.setAlias on registered_model:churn/
      )
    })
  )

  it.effect("permission routes need authentication like every API route", () =>
    Effect.gen(function* () {
      const { url } = yield* Fixture
      const anonymous = yield* request(url, `${mlflow}/users/get?username=vera`)
      assert.strictEqual(anonymous.status, 401)
      assert.strictEqual(anonymous.body.error_code, "UNAUTHENTICATED")
    })
  )

  it.effect("a user with NO_PERMISSIONS on an experiment neither sees nor reaches it", () =>
    Effect.gen(function* () {
      const { url, viewerKey } = yield* Fixture
      const tracker = yield* ExperimentTracker
      const grants = yield* Grants
      const vera = yield* (yield* Principals).findByUsername("vera")
      const hidden = yield* tracker.createExperiment({ name: unique("hidden") })
      yield* grants.grant({
        grantee: { kind: "principal", principalId: vera.principalId },
        resource: Resource.experiment(hidden.experimentId),
        role: "none"
      })
      const auth = basic("vera", viewerKey)
      const search = yield* request(url, `${mlflow}/experiments/search`, { json: { max_results: 1000 }, headers: auth })
      const names = (search.body.experiments as ReadonlyArray<{ name: string }>).map((e) => e.name)
      assert.notInclude(names, hidden.name)
      assert.include(names, "shared")
      const get = yield* request(url, `/api/v1/experiments/${hidden.experimentId}`, { headers: bearer(viewerKey) })
      assert.strictEqual(get.status, 403)
      assert.isTrue(
        Option.isSome(
          yield* grants.get(
            { kind: "principal", principalId: vera.principalId },
            Resource.experiment(hidden.experimentId)
          )
        )
      )
    })
  )
})
