/**
 * Which HTTP requests the audit trail records, and how an entry names them:
 * pure functions of the method, the path, the query and (a few top-level
 * fields of) the request and response bodies.
 */

const writeMethods = new Set(["POST", "PUT", "PATCH", "DELETE"])

const mlflowMounts = ["/api/2.0/mlflow/", "/ajax-api/2.0/mlflow/", "/api/3.0/mlflow/", "/ajax-api/3.0/mlflow/"]
const artifactMounts = [
  "/api/2.0/mlflow-artifacts/",
  "/ajax-api/2.0/mlflow-artifacts/",
  "/api/3.0/mlflow-artifacts/",
  "/ajax-api/3.0/mlflow-artifacts/"
]
const nativeMount = "/api/v1/"

/**
 * MLflow endpoints that read although clients call them with POST (a search
 * body is too large for a query string). Paths after the mount point.
 */
export const readOnlyMlflowPosts: ReadonlySet<string> = new Set([
  "experiments/search",
  "experiments/search-datasets",
  "runs/search",
  "registered-models/search",
  "registered-models/get-latest-versions",
  "model-versions/search",
  "logged-models/search",
  "metrics/get-history-bulk-interval",
  "traces/search"
])

/** The native API's reads that take a POST body (after `/api/v1/`). */
export const readOnlyNativePosts: ReadonlySet<string> = new Set([
  "experiments/search",
  "experiments/summaries",
  "runs/search",
  "runs/outputs",
  "logged-models/search",
  "models/search",
  "models/versions/search",
  "models/latest-versions"
])

type Route =
  | { readonly api: "mlflow"; readonly rest: string }
  | { readonly api: "mlflow-artifacts"; readonly rest: string }
  | { readonly api: "native"; readonly rest: string }
  | { readonly api: "other"; readonly rest: string }

const routeOf = (path: string): Route => {
  for (const mount of mlflowMounts) if (path.startsWith(mount)) return { api: "mlflow", rest: path.slice(mount.length) }
  for (const mount of artifactMounts) {
    if (path.startsWith(mount)) return { api: "mlflow-artifacts", rest: path.slice(mount.length) }
  }
  if (path.startsWith(nativeMount)) return { api: "native", rest: path.slice(nativeMount.length) }
  return { api: "other", rest: path }
}

const trimSlashes = (rest: string) => rest.replace(/^\/+|\/+$/g, "")

/**
 * Whether a request is a write the trail records: POST, PUT, PATCH or DELETE
 * under `/api/` or `/ajax-api/`, except the reads that use POST.
 */
export const isAuditedWrite = (method: string, path: string): boolean => {
  if (!writeMethods.has(method)) return false
  if (!(path.startsWith("/api/") || path.startsWith("/ajax-api/"))) return false
  if (method !== "POST") return true
  const route = routeOf(path)
  const rest = trimSlashes(route.rest)
  if (route.api === "mlflow") return !readOnlyMlflowPosts.has(rest)
  if (route.api === "native") return !readOnlyNativePosts.has(rest)
  return true
}

/**
 * Path segments that are ids: experiment ids, run and webhook ids (32 hex), logged model ids (`m-` + 32 hex)
 * and webhook delivery ids (UUIDs).
 */
const isIdSegment = (segment: string) =>
  /^\d+$/.test(segment) ||
  /^[0-9a-f]{32}$/.test(segment) ||
  /^m-[0-9a-f]{32}$/.test(segment) ||
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(segment)

const decode = (segment: string) => {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Top-level scalar fields of a JSON body, as strings. */
export type Fields = Readonly<Record<string, string>>

/** The scalar (string or number) top-level fields of a parsed JSON value. */
export const scalarFields = (json: unknown): Fields => {
  if (typeof json !== "object" || json === null || Array.isArray(json)) return {}
  const fields: Record<string, string> = {}
  for (const [key, value] of Object.entries(json)) {
    if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) fields[key] = String(value)
  }
  return fields
}

const idPattern = /"(run_id|run_uuid|runId|experiment_id|experimentId|model_id|modelId)"\s*:\s*"?([\w.-]{1,64})"?/g

/**
 * The id fields found in the start of a body too large to parse here (a
 * metric batch): a run id and the like come first in what clients send,
 * and nothing but these few ids is ever taken from it.
 */
export const idFieldsOfPrefix = (prefix: string): Fields => {
  const fields: Record<string, string> = {}
  for (const match of prefix.matchAll(idPattern)) {
    const [, key, value] = match
    if (key !== undefined && value !== undefined && !(key in fields)) fields[key] = value
  }
  return fields
}

/** The first string or number under one of `keys`, searched breadth-first through nested objects (not arrays). */
export const findNested = (json: unknown, keys: ReadonlyArray<string>, maxDepth = 3): string | undefined => {
  let level: Array<unknown> = [json]
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: Array<unknown> = []
    for (const node of level) {
      if (typeof node !== "object" || node === null || Array.isArray(node)) continue
      const record = node as Record<string, unknown>
      for (const key of keys) {
        const value = record[key]
        if (typeof value === "string" || (typeof value === "number" && Number.isFinite(value))) return String(value)
      }
      for (const value of Object.values(record)) if (typeof value === "object" && value !== null) next.push(value)
    }
    level = next
  }
  return undefined
}

/** What an entry says about a request. */
export interface RequestDescription {
  readonly action: string
  readonly resourceKind: string
  readonly resourceId: string
}

/** What the audit middleware knows about a request once its handler answered. */
export interface RequestFacts {
  readonly method: string
  /** The path, without the query string. */
  readonly path: string
  readonly query: URLSearchParams
  /** Top-level fields of the request's JSON body. */
  readonly body: Fields
  /** The response's JSON body, parsed lazily (only when the request did not name the resource). */
  readonly response: () => unknown
}

const mlflowActions: Readonly<Record<string, string>> = {
  "POST logged-models": "logged-models.create",
  "DELETE logged-models/:id": "logged-models.delete",
  "PATCH logged-models/:id": "logged-models.finalize",
  "PATCH logged-models/:id/tags": "logged-models.set-tags",
  "DELETE logged-models/:id/tags/:key": "logged-models.delete-tag",
  "POST logged-models/:id/params": "logged-models.log-params",
  "POST registered-models/alias": "registered-models.set-alias",
  "DELETE registered-models/alias": "registered-models.delete-alias",
  "POST webhooks": "webhooks.create",
  "PATCH webhooks/:id": "webhooks.update",
  "DELETE webhooks/:id": "webhooks.delete",
  "POST webhooks/:id/test": "webhooks.test"
}

const idKeys = {
  run: ["run_id", "runId", "run_uuid"],
  experiment: ["experiment_id", "experimentId"],
  loggedModel: ["model_id", "modelId"],
  webhook: ["webhookId", "webhook_id"]
} as const

/**
 * Names a request: its action (`mlflow.runs.create`, or `METHOD /path` with
 * ids in the path replaced by `:id` for other APIs) and the resource it
 * acted on, from the path, the query, the request body's top-level fields
 * or, for a creation, the response (the new id).
 */
/** What the admin API's collections hold, as audit entries name them. */
const adminKinds: Readonly<Record<string, string>> = {
  tenants: "tenant",
  users: "principal",
  groups: "group",
  keys: "api_key",
  grants: "grant"
}

/**
 * The admin API names its resources by position, with free-form names
 * (user and group names) where other routes have ids:
 * `admin/<collection>/<id>/<verb>/<member>`, and `me/keys/<id>`.
 */
const describeAdminRequest = (
  facts: RequestFacts,
  segments: ReadonlyArray<string>,
  field: (keys: ReadonlyArray<string>) => string | undefined,
  fromResponse: (keys: ReadonlyArray<string>) => string | undefined
): RequestDescription => {
  const start = segments[0] === "me" && segments[1] !== "keys" ? 0 : 1
  const collection = segments[start] ?? "me"
  const placeholders = new Map([
    [start + 1, ":id"],
    [start + 3, ":member"]
  ])
  const pattern = segments.map((segment, i) => placeholders.get(i) ?? segment).join("/")
  const named = segments[start + 1]
  // A grant is named by what it is on (`experiment:7`); its own entry (`rbac.*`) has the grantee and the roles.
  const resourceId =
    collection === "grants"
      ? [field(["resourceKind"]), field(["resourceId"])].filter((part) => part !== undefined).join(":")
      : named === undefined
        ? (fromResponse(["keyId", "principalId", "groupId", "tenantId"]) ?? field(["tenantId", "username", "name"]))
        : decode(named)
  return {
    action: `${facts.method} /api/v1/${pattern}`,
    resourceKind: adminKinds[collection] ?? "principal",
    resourceId: resourceId ?? ""
  }
}

export const describeRequest = (facts: RequestFacts): RequestDescription => {
  const route = routeOf(facts.path)
  const rest = trimSlashes(route.rest)
  const segments = rest === "" ? [] : rest.split("/")
  const field = (keys: ReadonlyArray<string>): string | undefined => {
    for (const key of keys) {
      const value = facts.body[key] ?? facts.query.get(key) ?? undefined
      if (value !== undefined && value !== "") return value
    }
    return undefined
  }
  const fromResponse = (keys: ReadonlyArray<string>) => findNested(facts.response(), keys)

  if (route.api === "mlflow-artifacts") {
    const [first, second] = segments
    const pathStart = first === "mpu" ? 2 : 1
    const operation =
      first === "mpu"
        ? `mpu.${second ?? ""}`
        : facts.method === "PUT"
          ? "upload"
          : facts.method === "DELETE"
            ? "delete"
            : facts.method.toLowerCase()
    return {
      action: `mlflow-artifacts.${operation}`,
      resourceKind: "artifact",
      resourceId: segments.slice(pathStart).map(decode).join("/")
    }
  }

  if (route.api === "native" && (segments[0] === "admin" || segments[0] === "me")) {
    return describeAdminRequest(facts, segments, field, fromResponse)
  }

  let action: string
  let area: string
  let pathId: string | undefined
  let subArea: string | undefined
  if (route.api === "mlflow") {
    area = segments[0] ?? ""
    let pattern = rest
    if (area === "logged-models" && segments.length > 1 && segments[1] !== "search") {
      pathId = segments[1]
      pattern = ["logged-models", ":id", ...segments.slice(2, 3), ...(segments.length > 3 ? [":key"] : [])].join("/")
    } else if (area === "webhooks" && segments.length > 1) {
      pathId = segments[1]
      pattern = ["webhooks", ":id", ...segments.slice(2)].join("/")
    }
    action = `mlflow.${mlflowActions[`${facts.method} ${pattern}`] ?? pattern.split("/").join(".")}`
  } else {
    const normalised = segments.map((segment) => {
      if (isIdSegment(segment)) {
        pathId ??= segment
        return ":id"
      }
      return segment
    })
    area = segments[0] ?? ""
    subArea = segments[1]
    action = `${facts.method} /${route.api === "native" ? "api/v1/" : ""}${normalised.join("/")}`.replace(/\/$/, "")
  }

  const resource = (kind: string, id: string | undefined) => ({ action, resourceKind: kind, resourceId: id ?? "" })
  const nameAndVersion = () => {
    const name = field(["name"]) ?? fromResponse(["name"])
    const version = field(["version"]) ?? fromResponse(["version"])
    return name === undefined ? undefined : version === undefined ? name : `${name}/${version}`
  }

  if (area === "artifacts" && route.api === "native") return resource("artifact", field(["path"]))
  if (area === "model-versions" || (area === "models" && subArea === "versions")) {
    return resource("model_version", nameAndVersion())
  }
  if (area === "registered-models" || area === "models") {
    return resource("registered_model", field(["name"]) ?? fromResponse(["name"]))
  }
  if (area === "logged-models") {
    return resource("logged_model", pathId ?? field(idKeys.loggedModel) ?? fromResponse(idKeys.loggedModel))
  }
  if (area === "runs") return resource("run", pathId ?? field(idKeys.run) ?? fromResponse(idKeys.run))
  if (area === "experiments") {
    return resource(
      "experiment",
      pathId ?? field(idKeys.experiment) ?? fromResponse(idKeys.experiment) ?? field(["name"])
    )
  }
  if (area === "datasets") return resource("dataset", field(["name"]))
  // A redelivery's path names a delivery (kept in the entry's detail); the entry names the webhook it answers with.
  if (area === "webhooks") {
    return resource("webhook", (subArea === "deliveries" ? undefined : pathId) ?? fromResponse(idKeys.webhook))
  }
  const run = field(idKeys.run)
  if (run !== undefined) return resource("run", run)
  return resource(area === "" ? "api" : area, pathId)
}
