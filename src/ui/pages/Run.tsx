import { useEffect, useState } from "preact/hooks"
import { api, artifactRoot, type RunJson } from "../api.js"
import { ArtifactBrowser } from "../components/Artifacts.js"
import { KeyValueTable } from "../components/KeyValueTable.js"
import { ChartControls, MetricChart, palette, useChartOptions } from "../components/MetricChart.js"
import { Loaded } from "../components/Status.js"
import { formatDuration, formatTime } from "../format.js"
import { Link } from "../router.js"
import { useAsync } from "../useAsync.js"

/**
 * What a dataset input's profile JSON says in a line: ours carries
 * `rowCount` and `columns`, MLflow clients send `num_rows` / `num_elements`.
 */
const profileSummary = (profile: string | undefined): string => {
  if (profile === undefined) return "—"
  try {
    const parsed = JSON.parse(profile) as {
      readonly rowCount?: number
      readonly num_rows?: number
      readonly columns?: ReadonlyArray<{ readonly name: string; readonly nullCount?: number }>
    }
    const rows = parsed.rowCount ?? parsed.num_rows
    const rowText = rows === undefined ? "" : `${rows.toLocaleString()} rows`
    const columns = parsed.columns
    if (columns === undefined) return rowText || "—"
    const nulls = columns.filter((c) => (c.nullCount ?? 0) > 0).map((c) => c.name)
    return `${rowText} × ${columns.length} columns${nulls.length > 0 ? `; nulls in ${nulls.join(", ")}` : ""}`
  } catch {
    return "—"
  }
}

/**
 * The run, kept current while it is running through the server's event
 * stream (`/api/v1/runs/{runId}/events`): metrics a training job logs
 * appear without reloading the page. `revision` counts the updates, so the
 * charts refetch their series.
 */
const useLiveRun = (runId: string) => {
  const loaded = useAsync(() => api.run(runId), [runId])
  const [live, setLive] = useState<{ readonly run: RunJson; readonly revision: number } | undefined>(undefined)
  useEffect(() => setLive(undefined), [runId])
  const running = loaded.state === "done" && loaded.value.info.status === "RUNNING"
  useEffect(() => {
    if (!running) return
    const source = new EventSource(api.runEventsUrl(runId))
    // The stream opens with the run as it is; charts refetch only when it has changed.
    let last = loaded.state === "done" ? JSON.stringify(loaded.value) : ""
    source.addEventListener("run", (event) => {
      const data = (event as MessageEvent<string>).data
      const run = JSON.parse(data) as RunJson
      if (run.info.status !== "RUNNING") source.close()
      if (JSON.stringify(run) === last) return
      last = JSON.stringify(run)
      setLive((previous) => ({ run, revision: (previous?.revision ?? 0) + 1 }))
    })
    return () => source.close()
  }, [runId, running])
  return {
    run: live === undefined ? loaded : ({ state: "done", value: live.run } as const),
    revision: live?.revision ?? 0
  }
}

export const RunPage = ({ runId }: { readonly runId: string }) => {
  const { run, revision } = useLiveRun(runId)
  return <Loaded value={run}>{(value) => <RunView run={value} revision={revision} />}</Loaded>
}

const RunView = ({ run, revision }: { readonly run: RunJson; readonly revision: number }) => {
  const [options, setOptions] = useChartOptions()
  const experiment = useAsync(() => api.experiment(run.info.experimentId), [run.info.experimentId])
  const metricKeys = run.data.metrics.map((m) => m.key).sort()
  const userTags = run.data.tags.filter((t) => !t.key.startsWith("mlflow."))
  const series = [
    {
      runId: run.info.runId,
      label: run.info.runName,
      startTime: run.info.startTime,
      color: palette[0] as string
    }
  ]
  return (
    <section>
      <div class="crumbs">
        <Link href="/">Experiments</Link> /{" "}
        <Link href={`/experiments/${encodeURIComponent(run.info.experimentId)}`}>
          {experiment.state === "done" ? experiment.value.name : run.info.experimentId}
        </Link>{" "}
        /
      </div>
      <h1>{run.info.runName}</h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd class={`status status-${run.info.status}`}>
          {run.info.status}
          {run.info.status === "RUNNING" ? <span class="muted"> · updating live</span> : null}
        </dd>
        <dt>Run id</dt>
        <dd>
          <code>{run.info.runId}</code>
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(run.info.startTime)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(run.info.endTime)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(run.info.startTime, run.info.endTime)}</dd>
        <dt>User</dt>
        <dd>{run.info.userId || "—"}</dd>
      </dl>

      <h2>Metrics</h2>
      {metricKeys.length === 0 ? (
        <p class="muted">No metrics logged.</p>
      ) : (
        <>
          <ChartControls options={options} onChange={setOptions} />
          <div class="cards">
            {metricKeys.map((key) => (
              <MetricChart key={key} metricKey={key} series={series} options={options} revision={revision} />
            ))}
          </div>
        </>
      )}

      <div class="cards" style={{ marginTop: "16px" }}>
        <div>
          <h2>Parameters</h2>
          <KeyValueTable label="Parameters" rows={run.data.params} empty="No parameters logged." />
        </div>
        <div>
          <h2>Tags</h2>
          <KeyValueTable label="Tags" rows={userTags} empty="No tags." />
        </div>
      </div>

      <h2>Inputs</h2>
      {run.inputs.length === 0 ? (
        <p class="muted">No dataset inputs.</p>
      ) : (
        <table class="grid" aria-label="Dataset inputs">
          <thead>
            <tr>
              <th scope="col">Dataset</th>
              <th scope="col">Digest</th>
              <th scope="col">Context</th>
              <th scope="col">Source</th>
              <th scope="col">Profile</th>
            </tr>
          </thead>
          <tbody>
            {run.inputs.map((input) => (
              <tr key={`${input.dataset.name}:${input.dataset.digest}`}>
                <td>
                  <Link href={`/datasets/${encodeURIComponent(input.dataset.name)}`}>{input.dataset.name}</Link>
                </td>
                <td>
                  <code>{input.dataset.digest}</code>
                </td>
                <td>{input.tags.find((t) => t.key === "mlflow.data.context")?.value ?? "—"}</td>
                <td>{input.dataset.source}</td>
                <td>{profileSummary(input.dataset.profile)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Artifacts</h2>
      <ArtifactBrowser root={artifactRoot(run.info.artifactUri)} />
    </section>
  )
}
