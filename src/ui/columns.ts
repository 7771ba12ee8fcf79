/**
 * Columns of the runs table: run attributes, and any metric (latest value),
 * param or tag chosen by the user. A column's id is what the URL keeps
 * (`m:loss`, `p:lr`, `t:team`), and its sort key is MLflow's `order_by` term.
 */
import type { RunJson } from "./api.js"
import { formatDuration, formatTime, formatValue } from "./format.js"

export type ColumnKind = "attribute" | "metric" | "param" | "tag"

export interface Column {
  readonly id: string
  readonly kind: ColumnKind
  readonly label: string
  /** The metric, param or tag key; undefined for an attribute. */
  readonly key: string | undefined
  /** MLflow `order_by` term, or undefined when the server cannot sort by it. */
  readonly sortKey: string | undefined
  readonly numeric: boolean
  readonly text: (run: RunJson) => string
}

const quoted = (key: string) => `\`${key.replaceAll("`", "")}\``

export const attributeColumns: ReadonlyArray<Column> = [
  {
    id: "status",
    kind: "attribute",
    key: undefined,
    label: "Status",
    sortKey: "attributes.status",
    numeric: false,
    text: (run) => run.info.status
  },
  {
    id: "start",
    kind: "attribute",
    key: undefined,
    label: "Started",
    sortKey: "attributes.start_time",
    numeric: false,
    text: (run) => formatTime(run.info.startTime)
  },
  {
    id: "duration",
    kind: "attribute",
    key: undefined,
    label: "Duration",
    sortKey: undefined,
    numeric: true,
    text: (run) => formatDuration(run.info.startTime, run.info.endTime)
  },
  {
    id: "user",
    kind: "attribute",
    key: undefined,
    label: "User",
    sortKey: "attributes.user_id",
    numeric: false,
    text: (run) => run.info.userId
  }
]

export const nameSortKey = "attributes.run_name"

const prefixes: Record<Exclude<ColumnKind, "attribute">, string> = {
  metric: "m",
  param: "p",
  tag: "t"
}

export const columnId = (kind: Exclude<ColumnKind, "attribute">, key: string) => `${prefixes[kind]}:${key}`

/** The column a URL id names (`m:loss`), or undefined for an unknown id. */
export const parseColumn = (id: string): Column | undefined => {
  const attribute = attributeColumns.find((c) => c.id === id)
  if (attribute) return attribute
  const separator = id.indexOf(":")
  if (separator < 0) return undefined
  const key = id.slice(separator + 1)
  switch (id.slice(0, separator)) {
    case "m":
      return {
        id,
        kind: "metric",
        key,
        label: key,
        sortKey: `metrics.${quoted(key)}`,
        numeric: true,
        text: (run) => {
          const metric = run.data.metrics.find((m) => m.key === key)
          return metric === undefined ? "" : formatValue(metric.value)
        }
      }
    case "p":
      return {
        id,
        kind: "param",
        key,
        label: key,
        sortKey: `params.${quoted(key)}`,
        numeric: false,
        text: (run) => run.data.params.find((p) => p.key === key)?.value ?? ""
      }
    case "t":
      return {
        id,
        kind: "tag",
        key,
        label: key,
        sortKey: `tags.${quoted(key)}`,
        numeric: false,
        text: (run) => run.data.tags.find((t) => t.key === key)?.value ?? ""
      }
    default:
      return undefined
  }
}

export const defaultColumns = ["status", "start", "duration", "user"]

/** `order=<sortKey>:<asc|desc>` in the URL, as MLflow's `order_by` list. */
export const parseOrder = (
  order: string | null
): { readonly key: string; readonly descending: boolean } | undefined => {
  if (!order) return undefined
  const separator = order.lastIndexOf(":")
  if (separator < 0) return { key: order, descending: false }
  return {
    key: order.slice(0, separator),
    descending: order.slice(separator + 1) === "desc"
  }
}
