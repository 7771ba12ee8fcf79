import { useEffect, useRef, useState } from "preact/hooks"
import uPlot from "uplot"
import { api, type MetricJson } from "../api.js"
import { toNumber } from "../format.js"
import { navigate, useLocation } from "../router.js"
import { themedAxis, useTheme } from "./chartTheme.js"

/** What the x axis shows: the step, wall-clock time, or seconds since the run started. */
export type XAxis = "step" | "time" | "relative"

export interface ChartSeries {
  readonly runId: string
  readonly label: string
  readonly startTime: number
  readonly color: string
}

export interface ChartOptions {
  readonly xAxis: XAxis
  readonly logScale: boolean
  /** Exponential moving average weight, 0 (raw) to 0.99. */
  readonly smoothing: number
}

/** Colours distinguishable in both themes and by most colour-blind readers (Okabe–Ito). */
export const palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7F7F7F", "#F0E442"]

/** A zoom window in x-axis units; undefined shows everything. */
type Window = { readonly min: number; readonly max: number } | undefined

const xOf = (point: MetricJson, series: ChartSeries, axis: XAxis): number =>
  axis === "step" ? point.step : axis === "time" ? point.timestamp / 1000 : (point.timestamp - series.startTime) / 1000

/** TensorBoard's debiased exponential moving average. */
const smooth = (values: ReadonlyArray<number | null>, weight: number): Array<number | null> => {
  if (weight <= 0) return [...values]
  let last = 0
  let debias = 0
  return values.map((value) => {
    if (value === null || !Number.isFinite(value)) return value
    last = last * weight + (1 - weight) * value
    debias = debias * weight + (1 - weight)
    return last / debias
  })
}

const historyWindow = (window: Window, series: ChartSeries, axis: XAxis, maxPoints: number) => {
  if (window === undefined) return { maxPoints }
  if (axis === "step")
    return {
      maxPoints,
      startStep: Math.floor(window.min),
      endStep: Math.ceil(window.max)
    }
  const toMillis = (x: number) => (axis === "time" ? x * 1000 : series.startTime + x * 1000)
  return {
    maxPoints,
    startTime: Math.floor(toMillis(window.min)),
    endTime: Math.ceil(toMillis(window.max))
  }
}

/**
 * A metric's series for one or more runs on a canvas chart (uPlot). The
 * server downsamples each series to about one point per pixel; selecting a
 * range zooms in and fetches that window again at full resolution for the
 * width, so a million-point series never comes to the browser whole.
 */
export const MetricChart = ({
  metricKey,
  series,
  options,
  height = 220,
  revision = 0
}: {
  readonly metricKey: string
  readonly series: ReadonlyArray<ChartSeries>
  readonly options: ChartOptions
  readonly height?: number
  /** Bumped when the series grew (a live run): refetches the current window. */
  readonly revision?: number
}) => {
  const host = useRef<HTMLDivElement>(null)
  const [window, setWindow] = useState<Window>(undefined)
  const [points, setPoints] = useState<ReadonlyArray<ReadonlyArray<MetricJson>> | undefined>(undefined)
  const [error, setError] = useState<string | undefined>(undefined)
  const theme = useTheme()
  const seriesKey = series.map((s) => s.runId).join(",")
  useEffect(() => setWindow(undefined), [options.xAxis, seriesKey, metricKey])
  useEffect(() => {
    const controller = new AbortController()
    const width = Math.max(200, host.current?.clientWidth ?? 600)
    Promise.all(
      series.map((s) =>
        api
          .history(s.runId, metricKey, historyWindow(window, s, options.xAxis, Math.round(width)), controller.signal)
          .then((page) => page.items)
      )
    ).then(
      (loaded) => {
        setError(undefined)
        setPoints(loaded)
      },
      (failure: unknown) => {
        if (!controller.signal.aborted) setError(failure instanceof Error ? failure.message : String(failure))
      }
    )
    return () => controller.abort()
  }, [metricKey, seriesKey, window, options.xAxis, revision])
  useEffect(() => {
    const element = host.current
    if (!element || points === undefined) return
    const tables = points.map((serie, i) => {
      const s = series[i] as ChartSeries
      const xs: Array<number> = []
      const ys: Array<number | null> = []
      for (const point of serie) {
        const x = xOf(point, s, options.xAxis)
        const y = toNumber(point.value)
        xs.push(x)
        ys.push(!Number.isFinite(y) || (options.logScale && y <= 0) ? null : y)
      }
      return [xs, smooth(ys, options.smoothing)] as uPlot.AlignedData
    })
    const data: uPlot.AlignedData =
      tables.length === 1 ? (tables[0] as uPlot.AlignedData) : uPlot.join(tables as Array<uPlot.AlignedData>)
    const chart = new uPlot(
      {
        width: Math.max(200, element.clientWidth),
        height,
        scales: {
          x: { time: options.xAxis === "time" },
          y: options.logScale ? { distr: 3 } : {}
        },
        axes: [
          themedAxis(options.xAxis === "step" ? "step" : options.xAxis === "time" ? "" : "seconds"),
          themedAxis("")
        ],
        series: [
          { label: options.xAxis === "step" ? "step" : "time" },
          ...series.map((s) => ({
            label: s.label,
            stroke: s.color,
            width: 1.5,
            spanGaps: true
          }))
        ],
        cursor: { drag: { x: true, y: false } },
        hooks: {
          setSelect: [
            (u: uPlot) => {
              if (u.select.width < 2) return
              const min = u.posToVal(u.select.left, "x")
              const max = u.posToVal(u.select.left + u.select.width, "x")
              u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
              setWindow({ min, max })
            }
          ]
        }
      },
      data,
      element
    )
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height }))
    observer.observe(element)
    return () => {
      observer.disconnect()
      chart.destroy()
    }
  }, [points, options.logScale, options.smoothing, options.xAxis, theme, height])

  const total = points?.reduce((sum, serie) => sum + serie.length, 0)
  return (
    <figure class="card" aria-label={`Chart of ${metricKey}`} data-metric={metricKey} style={{ margin: 0 }}>
      <figcaption style={{ display: "flex", justifyContent: "space-between", gap: "8px" }}>
        <h3>{metricKey}</h3>
        <span class="muted">
          {total === undefined ? "loading…" : `${total.toLocaleString()} point${total === 1 ? "" : "s"} shown`}
          {window !== undefined ? (
            <>
              {" · "}
              <button type="button" class="ghost" onClick={() => setWindow(undefined)}>
                Reset zoom
              </button>
            </>
          ) : null}
        </span>
      </figcaption>
      {error !== undefined ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      <div ref={host} class="chart" data-zoomed={window !== undefined} />
    </figure>
  )
}

/** The controls every chart grid shares: x axis, log scale and smoothing. */
export const ChartControls = ({
  options,
  onChange
}: {
  readonly options: ChartOptions
  readonly onChange: (options: ChartOptions) => void
}) => (
  <fieldset class="toolbar">
    <legend class="skip">Chart options</legend>
    <label>
      <span class="muted">X axis </span>
      <select value={options.xAxis} onChange={(e) => onChange({ ...options, xAxis: e.currentTarget.value as XAxis })}>
        <option value="step">Step</option>
        <option value="time">Wall time</option>
        <option value="relative">Relative time</option>
      </select>
    </label>
    <label>
      <input
        type="checkbox"
        checked={options.logScale}
        onChange={(e) => onChange({ ...options, logScale: e.currentTarget.checked })}
      />{" "}
      Log scale
    </label>
    <label>
      <span class="muted">Smoothing </span>
      <input
        type="range"
        min={0}
        max={0.99}
        step={0.01}
        value={options.smoothing}
        onInput={(e) => onChange({ ...options, smoothing: Number(e.currentTarget.value) })}
      />{" "}
      {options.smoothing.toFixed(2)}
    </label>
    <span class="muted">Drag across a chart to zoom in.</span>
  </fieldset>
)

/** Chart options kept in the URL (`x`, `log`, `smooth`), so a shared link shows the same charts. */
export const useChartOptions = (): readonly [ChartOptions, (options: ChartOptions) => void] => {
  const url = useLocation()
  const x = url.searchParams.get("x")
  const options: ChartOptions = {
    xAxis: x === "time" || x === "relative" ? x : "step",
    logScale: url.searchParams.get("log") === "1",
    smoothing: Math.min(0.99, Math.max(0, Number(url.searchParams.get("smooth") ?? 0) || 0))
  }
  const set = (next: ChartOptions) => {
    const target = new URL(location.href)
    const put = (name: string, value: string | undefined) =>
      value === undefined ? target.searchParams.delete(name) : target.searchParams.set(name, value)
    put("x", next.xAxis === "step" ? undefined : next.xAxis)
    put("log", next.logScale ? "1" : undefined)
    put("smooth", next.smoothing > 0 ? String(next.smoothing) : undefined)
    navigate(`${target.pathname}${target.search}`, { replace: true })
  }
  return [options, set] as const
}
