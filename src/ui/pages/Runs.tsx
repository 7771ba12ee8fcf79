import { Component } from "preact"
import { useCallback, useEffect, useMemo, useRef, useState } from "preact/hooks"
import { ApiError, api, type RunDataSelection, type RunJson } from "../api.js"
import { type Column, defaultColumns, nameSortKey, parseColumn, parseOrder } from "../columns.js"
import { ColumnPicker } from "../components/ColumnPicker.js"
import { FilterBox } from "../components/FilterBox.js"
import { Loaded } from "../components/Status.js"
import { Link, navigate, useQueryParam } from "../router.js"
import { useAsync } from "../useAsync.js"

const rowHeight = 32
const headerHeight = 34
const overscan = 12
/** The next page is requested this many rows before the end, so a fast scroll does not run into it. */
const prefetchRows = 300
const firstPage = 200
/** Later pages stay small enough to parse within a frame or two while the user scrolls. */
const nextPages = 1000

interface Pages {
  readonly runs: ReadonlyArray<RunJson>
  readonly nextPageToken: string | null
  readonly loading: boolean
  readonly error: ApiError | Error | undefined
}

/**
 * The runs of a search, page by page through the server's page tokens: the
 * first page is small so the table renders at once, the next ones load as
 * the user scrolls near the end.
 */
const useRunPages = (
  experimentId: string,
  filter: string,
  orderBy: ReadonlyArray<string>,
  columns: ReadonlyArray<Column>
) => {
  const [state, setState] = useState<Pages>({
    runs: [],
    nextPageToken: null,
    loading: true,
    error: undefined
  })
  const generation = useRef(0)
  const orderKey = orderBy.join("\u0000")

  const fetchPage = useCallback(
    (pageToken: string | undefined, previous: ReadonlyArray<RunJson>) => {
      const mine = ++generation.current
      setState({
        runs: previous,
        nextPageToken: null,
        loading: true,
        error: undefined
      })
      api
        .searchRuns({
          experimentIds: [experimentId],
          select: selection(columns),
          maxResults: pageToken === undefined ? firstPage : nextPages,
          ...(filter ? { filter } : {}),
          ...(orderBy.length > 0 ? { orderBy } : {}),
          ...(pageToken === undefined ? {} : { pageToken })
        })
        .then(
          (page) => {
            if (mine === generation.current)
              setState({
                runs: previous.concat(page.items),
                nextPageToken: page.nextPageToken,
                loading: false,
                error: undefined
              })
          },
          (error: unknown) => {
            if (mine === generation.current)
              setState({
                runs: previous,
                nextPageToken: null,
                loading: false,
                error: error instanceof Error ? error : new Error(String(error))
              })
          }
        )
    },
    [experimentId, filter, orderKey, columns]
  )

  useEffect(() => fetchPage(undefined, []), [fetchPage])

  // Scrolling asks again before the state says "loading": a page is requested once.
  const requested = useRef<string | null>(null)
  const loadMore = () => {
    const token = state.nextPageToken
    if (state.loading || token === null || requested.current === token) return
    requested.current = token
    fetchPage(token, state.runs)
  }
  return { ...state, loadMore }
}

/** The data the table's columns show: only those keys come from the server. */
const selection = (columns: ReadonlyArray<Column>): RunDataSelection => {
  const keys = (kind: Column["kind"]) => columns.flatMap((c) => (c.kind === kind && c.key !== undefined ? [c.key] : []))
  return { metrics: keys("metric"), params: keys("param"), tags: keys("tag") }
}

const splitList = (value: string | null): ReadonlyArray<string> =>
  value === null || value === "" ? [] : value.split(",").filter((id) => id !== "")

/**
 * The runs of one experiment: a virtualised table (only the visible rows
 * are in the DOM), columns chosen among attributes, params, latest metrics
 * and tags, server-side sorting and filtering, and multi-select for the
 * compare view. Filter, order, columns and selection live in the URL.
 */
export const RunsPage = ({ experimentId }: { readonly experimentId: string }) => {
  const [filterParam, setFilter] = useQueryParam("filter")
  const [orderParam, setOrder] = useQueryParam("order")
  const [columnsParam, setColumns] = useQueryParam("cols")
  const [selectedParam, setSelected] = useQueryParam("sel")
  const filter = filterParam ?? ""
  const order = parseOrder(orderParam)
  const orderBy = order ? [`${order.key} ${order.descending ? "DESC" : "ASC"}`] : []
  const columnIds = columnsParam === null ? defaultColumns : splitList(columnsParam)
  const columns = useMemo(
    () => columnIds.map(parseColumn).filter((c): c is Column => c !== undefined),
    [columnIds.join(",")]
  )
  const selected = new Set(splitList(selectedParam))

  const experiment = useAsync(() => api.experiment(experimentId), [experimentId])
  const pages = useRunPages(experimentId, filter, orderBy, columns)

  const toggleSort = (key: string) => {
    const next = order?.key === key ? (order.descending ? `${key}:asc` : `${key}:desc`) : `${key}:desc`
    setOrder(next)
  }
  const toggleSelected = (runId: string) => {
    const next = new Set(selected)
    if (next.has(runId)) next.delete(runId)
    else next.add(runId)
    setSelected(Array.from(next).join(","))
  }

  return (
    <section>
      <div class="crumbs">
        <Link href="/">Experiments</Link> /
      </div>
      <Loaded value={experiment}>{(e) => <h1>{e.name}</h1>}</Loaded>
      <div class="toolbar">
        <FilterBox
          value={filter}
          error={pages.error instanceof ApiError ? pages.error : undefined}
          onApply={(next) => setFilter(next, { push: true })}
        />
        <ColumnPicker experimentId={experimentId} chosen={columnIds} onChange={(ids) => setColumns(ids.join(","))} />
        <button
          type="button"
          disabled={selected.size < 2 || selected.size > 50}
          title="Select 2 to 50 runs to compare"
          onClick={() => navigate(`/compare?runs=${encodeURIComponent(Array.from(selected).join(","))}`)}
        >
          Compare {selected.size > 0 ? `(${selected.size})` : ""}
        </button>
        {selected.size > 0 ? (
          <button type="button" class="ghost" onClick={() => setSelected(null)}>
            Clear selection
          </button>
        ) : null}
      </div>
      {pages.error !== undefined && !(pages.error instanceof ApiError && pages.error.tag === "InvalidFilter") ? (
        <p class="error" role="alert">
          {pages.error.message}
        </p>
      ) : null}
      <RunsTable
        runs={pages.runs}
        columns={columns}
        more={pages.nextPageToken !== null}
        loading={pages.loading}
        order={order}
        selected={selected}
        onSort={toggleSort}
        onToggle={toggleSelected}
        onNearEnd={pages.loadMore}
      />
      <output class="muted block" aria-live="polite">
        {pages.loading
          ? "Loading runs…"
          : pages.runs.length === 0
            ? "No runs match."
            : `${pages.runs.length.toLocaleString()} runs${pages.nextPageToken !== null ? " loaded, scroll for more" : ""}`}
      </output>
    </section>
  )
}

interface TableProps {
  readonly runs: ReadonlyArray<RunJson>
  readonly columns: ReadonlyArray<Column>
  readonly more: boolean
  readonly loading: boolean
  readonly order: { readonly key: string; readonly descending: boolean } | undefined
  readonly selected: ReadonlySet<string>
  readonly onSort: (sortKey: string) => void
  readonly onToggle: (runId: string) => void
  readonly onNearEnd: () => void
}

const RunsTable = (props: TableProps) => {
  const { runs, columns, order, selected } = props
  const box = useRef<HTMLDivElement>(null)
  const [view, setView] = useState({ top: 0, height: 800 })
  const [active, setActive] = useState(0)
  const frame = useRef(0)
  // Rows re-render only when their own props change, so they get a toggle that never changes identity.
  const toggle = useRef(props.onToggle)
  toggle.current = props.onToggle
  const onToggle = useCallback((runId: string) => toggle.current(runId), [])

  useEffect(() => {
    const element = box.current
    if (!element) return
    const measure = () => setView({ top: element.scrollTop, height: element.clientHeight })
    const onScroll = () => {
      if (frame.current === 0)
        frame.current = requestAnimationFrame(() => {
          frame.current = 0
          measure()
        })
    }
    measure()
    element.addEventListener("scroll", onScroll, { passive: true })
    const observer = new ResizeObserver(measure)
    observer.observe(element)
    return () => {
      element.removeEventListener("scroll", onScroll)
      observer.disconnect()
    }
  }, [])

  const first = Math.max(0, Math.floor((view.top - headerHeight) / rowHeight) - overscan)
  const last = Math.min(runs.length, Math.ceil((view.top + view.height) / rowHeight) + overscan)
  useEffect(() => {
    if (props.more && last >= runs.length - prefetchRows) props.onNearEnd()
  }, [last, runs.length, props.more])

  const template = `40px minmax(200px, 2fr) ${columns.map((c) => (c.kind === "attribute" ? "180px" : "minmax(110px, 1fr)")).join(" ")}`
  const width = 40 + 200 + columns.reduce((sum, c) => sum + (c.kind === "attribute" ? 180 : 110), 0)

  const sortButton = (label: string, sortKey: string | undefined) => {
    if (sortKey === undefined) return label
    const current = order?.key === sortKey ? (order.descending ? "descending" : "ascending") : undefined
    return (
      <button type="button" onClick={() => props.onSort(sortKey)} aria-label={`Sort by ${label}`}>
        {label} {current === "descending" ? "▼" : current === "ascending" ? "▲" : ""}
      </button>
    )
  }
  const ariaSort = (sortKey: string | undefined) =>
    sortKey !== undefined && order?.key === sortKey ? (order.descending ? "descending" : "ascending") : undefined

  const onKeyDown = (event: KeyboardEvent) => {
    if (runs.length === 0) return
    const move = (to: number) => {
      const next = Math.max(0, Math.min(runs.length - 1, to))
      setActive(next)
      const element = box.current
      if (!element) return
      const top = headerHeight + next * rowHeight
      if (top < element.scrollTop + headerHeight) element.scrollTop = top - headerHeight
      else if (top + rowHeight > element.scrollTop + element.clientHeight)
        element.scrollTop = top + rowHeight - element.clientHeight
    }
    const pageRows = Math.max(1, Math.floor(view.height / rowHeight) - 1)
    const run = runs[active]
    switch (event.key) {
      case "ArrowDown":
        move(active + 1)
        break
      case "ArrowUp":
        move(active - 1)
        break
      case "PageDown":
        move(active + pageRows)
        break
      case "PageUp":
        move(active - pageRows)
        break
      case "Home":
        move(0)
        break
      case "End":
        move(runs.length - 1)
        break
      case " ":
        if (run) props.onToggle(run.info.runId)
        break
      case "Enter":
        if (run) navigate(`/runs/${encodeURIComponent(run.info.runId)}`)
        break
      default:
        return
    }
    event.preventDefault()
  }

  const rows = []
  for (let i = first; i < last; i++) {
    const run = runs[i] as RunJson
    rows.push(
      <RunRow
        key={run.info.runId}
        run={run}
        index={i}
        active={i === active}
        selected={selected.has(run.info.runId)}
        columns={columns}
        template={template}
        width={width}
        onToggle={onToggle}
      />
    )
  }

  return (
    <div
      ref={box}
      class="vtable"
      role="grid"
      tabIndex={0}
      aria-label="Runs"
      aria-rowcount={runs.length + 1}
      aria-multiselectable="true"
      aria-activedescendant={runs.length > 0 && active >= first && active < last ? `run-row-${active}` : undefined}
      onKeyDown={onKeyDown}
    >
      <div
        class="vtable-head"
        role="row"
        aria-rowindex={1}
        style={{
          gridTemplateColumns: template,
          height: `${headerHeight}px`,
          width: `max(100%, ${width}px)`
        }}
      >
        <div class="cell" role="columnheader">
          <span class="muted" aria-hidden="true">
            ✓
          </span>
          <span class="skip">Selected</span>
        </div>
        <div class="cell" role="columnheader" aria-sort={ariaSort(nameSortKey)}>
          {sortButton("Run", nameSortKey)}
        </div>
        {columns.map((column) => (
          <div
            key={column.id}
            class={`cell${column.numeric ? " num" : ""}`}
            role="columnheader"
            aria-sort={ariaSort(column.sortKey)}
            title={column.kind === "attribute" ? column.label : `${column.kind} ${column.label}`}
          >
            {sortButton(column.label, column.sortKey)}
          </div>
        ))}
      </div>
      <div style={{ height: `${runs.length * rowHeight}px`, width: `${width}px` }} role="presentation" />
      {rows}
    </div>
  )
}

interface RowProps {
  readonly run: RunJson
  readonly index: number
  readonly active: boolean
  readonly selected: boolean
  readonly columns: ReadonlyArray<Column>
  readonly template: string
  readonly width: number
  readonly onToggle: (runId: string) => void
}

/**
 * One row of the runs grid. While scrolling, only rows that enter the
 * window render: the others keep their props and skip the diff.
 */
class RunRow extends Component<RowProps> {
  override shouldComponentUpdate(next: RowProps): boolean {
    const p = this.props
    return (
      p.run !== next.run ||
      p.index !== next.index ||
      p.active !== next.active ||
      p.selected !== next.selected ||
      p.columns !== next.columns ||
      p.template !== next.template ||
      p.width !== next.width
    )
  }

  override render() {
    const { run, index, active, selected, columns, template, width, onToggle } = this.props
    return (
      <div
        id={`run-row-${index}`}
        class={`vtable-row${active ? " active" : ""}`}
        role="row"
        aria-rowindex={index + 2}
        aria-selected={selected}
        style={{
          top: `${headerHeight + index * rowHeight}px`,
          height: `${rowHeight}px`,
          gridTemplateColumns: template,
          width: `max(100%, ${width}px)`
        }}
      >
        <div class="cell" role="gridcell">
          <input
            type="checkbox"
            tabIndex={-1}
            checked={selected}
            aria-label={`Select ${run.info.runName}`}
            onChange={() => onToggle(run.info.runId)}
          />
        </div>
        <div class="cell" role="gridcell">
          <Link href={`/runs/${encodeURIComponent(run.info.runId)}`} tabIndex={-1}>
            {run.info.runName}
          </Link>
        </div>
        {columns.map((column) => {
          const text = column.text(run)
          return (
            <div
              key={column.id}
              class={`cell${column.numeric ? " num" : ""}${column.id === "status" ? ` status status-${text}` : ""}`}
              role="gridcell"
              title={text}
            >
              {text}
            </div>
          )
        })}
      </div>
    )
  }
}
