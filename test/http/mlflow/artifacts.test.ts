import { createHash } from "node:crypto"
import { request as httpRequest } from "node:http"
import { assert, layer } from "@effect/vitest"
import { Effect } from "effect"
import { peakMemoryGrowth } from "../../support/memory.js"
import { call, MlflowServer, ServerUrl } from "./harness.js"
import { type WireFile, wire } from "./wireTypes.js"

const proxy = (path: string) => `/api/2.0/mlflow-artifacts/artifacts/${path}`

/** A run whose artifact root is returned as a store path (`<exp>/<run>/artifacts`). */
const newRun = (name: string) =>
  Effect.gen(function* () {
    const experiment = wire(yield* call("POST", "/api/2.0/mlflow/experiments/create", { json: { name } }))
    const run = wire(
      yield* call("POST", "/api/2.0/mlflow/runs/create", { json: { experiment_id: experiment.experiment_id } })
    ).run
    return { runId: run.info.run_id, root: run.info.artifact_uri.replace("mlflow-artifacts:/", "") }
  })

const put = (path: string, body: string) => call("PUT", proxy(path), { body })

/** Bytes `i * chunk .. (i + 1) * chunk` of a deterministic test file. */
const chunkOf = (i: number, size: number) => new Uint8Array(size).fill(i % 251)

/** A raw request, so the path reaches the server exactly as written (`fetch` would resolve `..`). */
const rawGet = (url: string, path: string) =>
  Effect.async<number>((resume) => {
    const req = httpRequest(`${url}${path}`, { method: "GET" }, (res) => {
      res.resume()
      resume(Effect.succeed(res.statusCode ?? 0))
    })
    req.end()
  })

/**
 * A PUT whose body is written chunk by chunk, waiting for the socket to
 * drain, so the client never holds more than one chunk; the status code.
 */
const streamedPut = (url: string, chunks: number, chunk: (i: number) => Uint8Array) =>
  Effect.async<number>((resume) => {
    const req = httpRequest(url, { method: "PUT" }, (res) => {
      res.resume()
      resume(Effect.succeed(res.statusCode ?? 0))
    })
    let i = 0
    const writeMore = () => {
      while (i < chunks) {
        if (!req.write(chunk(i++))) return void req.once("drain", writeMore)
      }
      req.end()
    }
    writeMore()
  })

layer(MlflowServer, { excludeTestServices: true })("MLflow artifact proxy", (it) => {
  it.effect(
    "a 128 MiB artifact is streamed up and down without being held in memory",
    () =>
      Effect.gen(function* () {
        const { root } = yield* newRun("large-artifact")
        const url = yield* ServerUrl
        const chunk = 1024 * 1024
        const chunks = 128
        const sent = createHash("sha256")
        const upload = yield* peakMemoryGrowth(
          streamedPut(`${url}${proxy(`${root}/big.bin`)}`, chunks, (i) => {
            const bytes = chunkOf(i, chunk)
            sent.update(bytes)
            return bytes
          })
        )
        assert.strictEqual(upload.result, 200)
        const download = yield* peakMemoryGrowth(
          Effect.promise(async () => {
            const response = await fetch(`${url}${proxy(`${root}/big.bin`)}`)
            const received = createHash("sha256")
            let size = 0
            for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
              received.update(part)
              size += part.length
            }
            return { size, sha256: received.digest("hex"), length: response.headers.get("content-length") }
          })
        )
        assert.deepStrictEqual(download.result, {
          size: chunk * chunks,
          sha256: sent.digest("hex"),
          length: String(chunk * chunks)
        })
        // Holding the file would take 128 MiB; streaming keeps a few chunks in flight (about 2 MiB measured
        // on an idle machine). Garbage not yet collected counts too, and under load it reached 40 MiB,
        // so the bound is half the file: only a server that buffered the body could exceed it.
        assert.isBelow(upload.growth, (chunks * chunk) / 2)
        assert.isBelow(download.growth, (chunks * chunk) / 2)
      }),
    120_000
  )

  it.effect("downloads are never sniffed or run: nosniff, a sandboxing CSP, and attachment on the proxy", () =>
    Effect.gen(function* () {
      const { root } = yield* newRun("download-headers")
      yield* put(`${root}/page.html`, "<script>alert(1)</script>")
      const reply = yield* call("GET", proxy(`${root}/page.html`))
      assert.strictEqual(reply.status, 200)
      assert.strictEqual(reply.headers.get("x-content-type-options"), "nosniff")
      assert.strictEqual(reply.headers.get("content-security-policy"), "default-src 'none'; sandbox")
      assert.strictEqual(reply.headers.get("content-disposition"), 'attachment; filename="page.html"')
      assert.strictEqual(reply.text, "<script>alert(1)</script>")
    })
  )

  it.effect("/get-artifact renders text and images inline, and downloads HTML, SVG and unknown types", () =>
    Effect.gen(function* () {
      const { root, runId } = yield* newRun("get-artifact")
      const cases = [
        ["notes.txt", "text/plain; charset=utf-8", "inline"],
        ["MLmodel", "text/plain; charset=utf-8", "inline"],
        ["plot.png", "image/png", "inline"],
        ["report.html", "text/html", "attachment"],
        ["chart.svg", "image/svg+xml", "attachment"],
        ["weights.bin", "application/octet-stream", "attachment"]
      ] as const
      for (const [name, contentType, disposition] of cases) {
        yield* put(`${root}/${name}`, "x")
        const reply = yield* call("GET", `/get-artifact?path=${name}&run_uuid=${runId}`)
        assert.strictEqual(reply.status, 200, name)
        assert.strictEqual(reply.headers.get("content-type"), contentType)
        assert.strictEqual(reply.headers.get("content-disposition"), `${disposition}; filename="${name}"`)
        assert.strictEqual(reply.headers.get("x-content-type-options"), "nosniff")
      }
    })
  )

  it.effect("path traversal, absolute paths and NUL bytes are refused with 400 INVALID_PARAMETER_VALUE", () =>
    Effect.gen(function* () {
      const { root, runId } = yield* newRun("traversal")
      const attempts = [
        ["GET", proxy("..%2F..%2Fetc%2Fpasswd")],
        ["PUT", proxy("..%2F..%2Ftmp%2Fowned")],
        ["DELETE", proxy(`${root}%2F..%2F..%2F..`)],
        ["GET", proxy("%2Fetc%2Fpasswd")],
        ["GET", proxy(`${root}/a%00b`)],
        ["GET", "/api/2.0/mlflow-artifacts/artifacts?path=..%2Fx"],
        ["GET", `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=..%2F..%2F..`],
        ["GET", `/get-artifact?path=..%2F..%2Fx&run_uuid=${runId}`]
      ] as const
      for (const [method, path] of attempts) {
        const reply = yield* call(method, path, method === "PUT" ? { body: "x" } : {})
        assert.strictEqual(reply.status, 400, `${method} ${path}`)
        assert.strictEqual(wire(reply).error_code, "INVALID_PARAMETER_VALUE")
      }
      // Raw `..` segments are resolved with the URL before routing: this is `/api/2.0/etc/passwd`, no route at all.
      const url = yield* ServerUrl
      assert.strictEqual(yield* rawGet(url, "/api/2.0/mlflow-artifacts/artifacts/1/../../../etc/passwd"), 404)
    })
  )

  it.effect("listing: files and directories relative to the path; a file or a missing path lists as {}", () =>
    Effect.gen(function* () {
      const { root, runId } = yield* newRun("listing")
      yield* put(`${root}/docs/a.txt`, "abc")
      yield* put(`${root}/docs/sub/b.txt`, "b")
      const listed = wire(
        yield* call("GET", `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(`${root}/docs`)}`)
      )
      assert.deepStrictEqual(listed.files, [
        { path: "a.txt", is_dir: false, file_size: 3 },
        { path: "sub", is_dir: true } as WireFile
      ])
      const runRelative = wire(yield* call("GET", `/api/2.0/mlflow/artifacts/list?run_id=${runId}&path=docs%2Fsub`))
      assert.deepStrictEqual(runRelative.files, [{ path: "docs/sub/b.txt", is_dir: false, file_size: 1 }])
      for (const path of [`${root}/docs/a.txt`, `${root}/missing`]) {
        const reply = yield* call("GET", `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(path)}`)
        assert.deepStrictEqual(reply.json, {})
      }
    })
  )

  it.effect("DELETE removes a directory with its contents; a missing artifact is 404", () =>
    Effect.gen(function* () {
      const { root } = yield* newRun("delete")
      yield* put(`${root}/dir/a.txt`, "a")
      assert.strictEqual((yield* call("DELETE", proxy(`${root}/dir`))).status, 200)
      assert.strictEqual((yield* call("GET", proxy(`${root}/dir/a.txt`))).status, 404)
      const missing = yield* call("DELETE", proxy(`${root}/dir`))
      assert.strictEqual(missing.status, 404)
      assert.strictEqual(wire(missing).error_code, "RESOURCE_DOES_NOT_EXIST")
    })
  )

  it.effect("multipart upload answers 501 NOT_IMPLEMENTED, so clients fall back to PUT", () =>
    Effect.gen(function* () {
      const { root } = yield* newRun("multipart")
      const reply = yield* call("POST", `/api/2.0/mlflow-artifacts/mpu/create/${root}/mpu`, {
        json: { path: "notes.txt", num_parts: 1 }
      })
      assert.strictEqual(reply.status, 501)
      assert.strictEqual(wire(reply).error_code, "NOT_IMPLEMENTED")
    })
  )
})
