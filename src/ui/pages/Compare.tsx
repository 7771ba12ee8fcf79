import { useEffect, useRef, useState } from "preact/hooks"
import uPlot from "uplot"
import { api, type RunJson } from "../api.js"
import { themedAxis, useTheme } from "../components/chartTheme.js"
import { ChartControls, MetricChart, palette, useChartOptions } from "../components/MetricChart.js"
import { Loaded } from "../components/Status.js"
import { formatValue, toNumber } from "../format.js"
import { Link, useQueryParam } from "../router.js"
import { useAsync } from "../useAsync.js"

const maxRuns = 50

/**
 * 2 to 50 runs side by side: their metrics overlaid on shared charts, a
 * scatter of a chosen param against a chosen metric, and a table of params
 * with the rows that differ highlighted.
 */
export const ComparePage = () => {
  const [runsParam] = useQueryParam("runs")
  const ids = (runsParam ?? "")
    .split(",")
    .filter((id) => id !== "")
    .slice(0, maxRuns)
  const runs = useAsync(() => Promise.all(ids.map((id) => api.run(id))), [ids.join(",")])
  return (
    <section>
      <div class="crumbs">
        <Link href="/">Experiments</Link> /
      </div>
      <h1>Compare {ids.length} runs</h1>
      {ids.length < 2 ? (
        <p class="muted">Select at least two runs in an experiment's runs table to compare them.</p>
      ) : null}
      <Loaded value={runs}>{(loaded) => <CompareView runs={loaded} />}</Loaded>
    </section>
  )
}

const CompareView = ({ runs }: { readonly runs: ReadonlyArray<RunJson> }) => {
  const [options, setOptions] = useChartOptions()
  const [onlyDiffs, setOnlyDiffs] = useState(false)
  const metricKeys = Array.from(new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))).sort()
  const paramKeys = Array.from(new Set(runs.flatMap((r) => r.data.params.map((p) => p.key)))).sort()
  const series = runs.map((r, i) => ({
    runId: r.info.runId,
    label: r.info.runName,
    startTime: r.info.startTime,
    color: palette[i % palette.length] as string
  }))
  const paramOf = (run: RunJson, key: string) => run.data.params.find((p) => p.key === key)?.value
  const differs = (key: string) => new Set(runs.map((r) => paramOf(r, key) ?? "\u0000missing")).size > 1
  const shownParams = onlyDiffs ? paramKeys.filter(differs) : paramKeys

  return (
    <>
      <ul class="legend" aria-label="Runs compared">
        {runs.map((run, i) => (
          <li key={run.info.runId}>
            <span class="swatch" style={{ background: palette[i % palette.length] }} aria-hidden="true" />
            <Link href={`/runs/${encodeURIComponent(run.info.runId)}`}>{run.info.runName}</Link>
          </li>
        ))}
      </ul>

      <h2>Metrics</h2>
      <ChartControls options={options} onChange={setOptions} />
      <div class="cards">
        {metricKeys.map((key) => (
          <MetricChart
            key={key}
            metricKey={key}
            series={series.filter((_, i) => runs[i]?.data.metrics.some((m) => m.key === key))}
            options={options}
          />
        ))}
      </div>

      {paramKeys.length > 0 && metricKeys.length > 0 ? (
        <ParamScatter
          runs={runs}
          paramKeys={paramKeys}
          metricKeys={metricKeys}
          initialParam={paramKeys.find(differs) ?? (paramKeys[0] as string)}
        />
      ) : null}

      <h2>Parameters</h2>
      <label>
        <input type="checkbox" checked={onlyDiffs} onChange={(e) => setOnlyDiffs(e.currentTarget.checked)} /> Only
        parameters that differ
      </label>
      <div style={{ overflowX: "auto" }}>
        <table class="grid" aria-label="Parameters of the compared runs">
          <thead>
            <tr>
              <th scope="col">Parameter</th>
              {runs.map((run) => (
                <th scope="col" key={run.info.runId}>
                  {run.info.runName}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shownParams.map((key) => (
              <tr key={key} class={differs(key) ? "differs" : undefined} data-differs={differs(key)}>
                <th scope="row">{key}</th>
                {runs.map((run) => (
                  <td key={run.info.runId}>{paramOf(run, key) ?? <span class="muted">—</span>}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}

/** One point per run: a param (numeric, or categories in order of appearance) against a metric's latest value. */
const ParamScatter = ({
  runs,
  paramKeys,
  metricKeys,
  initialParam
}: {
  readonly runs: ReadonlyArray<RunJson>
  readonly paramKeys: ReadonlyArray<string>
  readonly metricKeys: ReadonlyArray<string>
  readonly initialParam: string
}) => {
  const [param, setParam] = useState(initialParam)
  // The metric most runs have, so the first plot has a point per run.
  const shared = (key: string) => runs.filter((r) => r.data.metrics.some((m) => m.key === key)).length
  const [metric, setMetric] = useState(() => [...metricKeys].sort((a, b) => shared(b) - shared(a))[0] as string)
  const host = useRef<HTMLDivElement>(null)
  const theme = useTheme()

  useEffect(() => {
    const element = host.current
    if (!element) return
    const raw = runs.map((run) => ({
      x: run.data.params.find((p) => p.key === param)?.value,
      y: run.data.metrics.find((m) => m.key === metric)?.value
    }))
    const numeric = raw.every((p) => p.x === undefined || Number.isFinite(Number(p.x)))
    const categories = numeric ? [] : Array.from(new Set(raw.map((p) => p.x ?? "—")))
    const points = raw
      .map((p) => ({
        x: numeric ? (p.x === undefined ? Number.NaN : Number(p.x)) : categories.indexOf(p.x ?? "—"),
        y: p.y === undefined ? Number.NaN : toNumber(p.y)
      }))
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
      .sort((a, b) => a.x - b.x)
    const xAxis = themedAxis(param)
    const chart = new uPlot(
      {
        width: Math.max(240, element.clientWidth),
        height: 260,
        scales: { x: { time: false } },
        axes: [
          numeric
            ? xAxis
            : {
                ...xAxis,
                values: (_u, ticks) => ticks.map((t) => categories[t] ?? "")
              },
          themedAxis(metric)
        ],
        series: [
          {},
          {
            label: metric,
            stroke: palette[0] as string,
            paths: () => null,
            points: { show: true, size: 9, fill: palette[0] as string }
          }
        ],
        legend: { show: false }
      },
      [points.map((p) => p.x), points.map((p) => p.y)],
      element
    )
    return () => chart.destroy()
  }, [runs, param, metric, theme])

  return (
    <>
      <h2>Parameter against metric</h2>
      <div class="toolbar">
        <label>
          <span class="muted">Parameter </span>
          <select value={param} onChange={(e) => setParam(e.currentTarget.value)}>
            {paramKeys.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          <span class="muted">Metric (latest value) </span>
          <select value={metric} onChange={(e) => setMetric(e.currentTarget.value)}>
            {metricKeys.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
      </div>
      <figure class="card" style={{ margin: 0 }} aria-label={`Scatter of ${param} against ${metric}`}>
        <div ref={host} />
        <figcaption class="muted">
          {runs
            .map((run) => {
              const y = run.data.metrics.find((m) => m.key === metric)?.value
              return `${run.info.runName}: ${run.data.params.find((p) => p.key === param)?.value ?? "—"} → ${y === undefined ? "—" : formatValue(y)}`
            })
            .join(" · ")}
        </figcaption>
      </figure>
    </>
  )
}
