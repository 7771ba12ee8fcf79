import { useEffect, useState } from "preact/hooks"
import { api, artifactRoot, type RunJson } from "../api.js"
import { ArtifactBrowser } from "../components/Artifacts.js"
import { KeyValueTable } from "../components/KeyValueTable.js"
import { ChartControls, MetricChart, palette, useChartOptions } from "../components/MetricChart.js"
import { Loaded } from "../components/Status.js"
import { formatDuration, formatTime } from "../format.js"
import { Link } from "../router.js"
import { useAsync } from "../useAsync.js"

/** How often a running run's page refreshes its data and charts. */
const liveIntervalMs = 5000

/**
 * The run, refreshed every few seconds while it is running, so metrics
 * logged by a training job appear without reloading the page.
 */
const useLiveRun = (runId: string) => {
  const [revision, setRevision] = useState(0)
  const run = useAsync(() => api.run(runId), [runId, revision])
  const [last, setLast] = useState<RunJson | undefined>(undefined)
  useEffect(() => {
    if (run.state === "done") setLast(run.value)
  }, [run])
  const running = last?.info.status === "RUNNING"
  useEffect(() => {
    if (!running) return
    const timer = setInterval(() => setRevision((r) => r + 1), liveIntervalMs)
    return () => clearInterval(timer)
  }, [running])
  return {
    run: last !== undefined && last.info.runId === runId ? ({ state: "done", value: last } as const) : run,
    revision
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
              <MetricChart key={`${key}:${revision}`} metricKey={key} series={series} options={options} />
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
