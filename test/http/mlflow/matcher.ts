/*
 * Compares an answer with MLflow's recorded one by structure: the same field
 * names, the same omitted fields, equal values, except where a value is
 * necessarily different from run to run. Those are placeholders:
 *
 * - ids (`run_id`, `run_uuid`, `experiment_id`): the recorded id is bound to
 *   ours on first sight, and must map to it consistently afterwards; bound
 *   run ids are substituted everywhere (requests, `source`, filters, URIs);
 * - logged model ids (`model_id`, `m-` and 32 hex): bound the same way by
 *   their hex part, so they are substituted wherever they appear too;
 * - timestamps (`*_time`, `*timestamp*`): any integer;
 * - artifact roots (`artifact_location`, `artifact_uri`, `root_uri`): the
 *   part under the root (`/srv/mlflow/artifacts/` or `mlflow-artifacts:/`) must match;
 * - `next_page_token`: any string (tokens are opaque);
 * - error `message`: any string, which must never carry SQL (MLflow bug #2).
 */

const idKeys = new Set(["run_id", "run_uuid", "experiment_id"])
const uriKeys = new Set(["artifact_location", "artifact_uri", "root_uri"])
const isTimeKey = (key: string) => /(^|_)time$|timestamp/.test(key)
const artifactRoot = /^(\/srv\/mlflow\/(ml)?artifacts\/|mlflow-artifacts:\/)/
const runIdPattern = /[0-9a-f]{32}/g
const modelIdPattern = /^m-([0-9a-f]{32})$/

/** Recorded ids bound to the ids our server gave the same objects. */
export class Bindings {
  private readonly ids = new Map<string, string>()

  /** Binds `recorded` to `actual`; false when it is already bound to something else. */
  bind(recorded: string, actual: string): boolean {
    const bound = this.ids.get(recorded)
    if (bound === undefined) this.ids.set(recorded, actual)
    return bound === undefined || bound === actual
  }

  /** `text` with every bound 32-hex run id replaced by ours. */
  substitute(text: string): string {
    return text.replace(runIdPattern, (id) => this.ids.get(id) ?? id)
  }

  /** A recorded JSON value with bound run ids replaced, for use as a request. */
  substituteJson(value: unknown): unknown {
    if (typeof value === "string") return this.substitute(value)
    if (Array.isArray(value)) return value.map((v) => this.substituteJson(v))
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substituteJson(v)]))
    }
    return value
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Lists MLflow does not order: a run's tags, params and latest metrics, and any tag list. */
const isUnordered = (path: string) => /(^|\.)(tags|params)$|\.data\.metrics$/.test(path)

const sortKey = (value: unknown): string =>
  isObject(value) ? `${String(value.key)}\u0000${String(value.step ?? "")}\u0000${String(value.value)}` : String(value)

const describe = (value: unknown) => {
  const json = JSON.stringify(value)
  return json !== undefined && json.length > 80 ? `${json.slice(0, 77)}...` : json
}

/**
 * Every difference between the recorded answer and ours, as `path: reason`;
 * empty when they match.
 */
export const mismatches = (expected: unknown, actual: unknown, bindings: Bindings, path = ""): Array<string> => {
  const key = path.slice(path.lastIndexOf(".") + 1)
  const at = path === "" ? "(body)" : path
  if (typeof expected === "string" && idKeys.has(key)) {
    if (typeof actual !== "string") return [`${at}: expected an id, got ${describe(actual)}`]
    return bindings.bind(expected, actual) ? [] : [`${at}: ${actual} is not the id bound to ${expected}`]
  }
  if (typeof expected === "string" && key === "model_id" && modelIdPattern.test(expected)) {
    const got = typeof actual === "string" ? modelIdPattern.exec(actual) : null
    if (got === null) return [`${at}: expected a logged model id, got ${describe(actual)}`]
    const recorded = (modelIdPattern.exec(expected) as RegExpExecArray)[1] as string
    return bindings.bind(recorded, got[1] as string) ? [] : [`${at}: ${actual} is not the id bound to ${expected}`]
  }
  if (typeof expected === "number" && isTimeKey(key)) {
    return Number.isInteger(actual) ? [] : [`${at}: expected a timestamp, got ${describe(actual)}`]
  }
  if (typeof expected === "string" && uriKeys.has(key)) {
    if (typeof actual !== "string") return [`${at}: expected a URI, got ${describe(actual)}`]
    const want = bindings.substitute(expected).replace(artifactRoot, "")
    return actual.replace(artifactRoot, "") === want ? [] : [`${at}: ${actual} does not end in ${want}`]
  }
  if (key === "next_page_token") return typeof actual === "string" ? [] : [`${at}: expected a page token`]
  if (key === "message" && path === "message") {
    if (typeof actual !== "string" || actual === "") return [`${at}: expected a message`]
    return /\[SQL:|sqlite3|sqlalche/i.test(actual) ? [`${at}: the message leaks SQL: ${actual}`] : []
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected a list, got ${describe(actual)}`]
    if (expected.length !== actual.length) {
      return [`${at}: expected ${expected.length} items, got ${actual.length}: ${describe(actual)}`]
    }
    const [want, got] = isUnordered(path)
      ? [
          [...expected].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
          [...actual].sort((a, b) => sortKey(a).localeCompare(sortKey(b)))
        ]
      : [expected, actual]
    return want.flatMap((item, i) => mismatches(item, got[i], bindings, `${path}[${i}]`))
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return [`${at}: expected an object, got ${describe(actual)}`]
    const child = (name: string) => (path === "" ? name : `${path}.${name}`)
    const missing = Object.keys(expected)
      .filter((name) => !(name in actual))
      .map((name) => `${child(name)}: missing`)
    const extra = Object.keys(actual)
      .filter((name) => !(name in expected))
      .map((name) => `${child(name)}: unexpected field (${describe(actual[name])})`)
    const differing = Object.keys(expected)
      .filter((name) => name in actual)
      .flatMap((name) => mismatches(expected[name], actual[name], bindings, child(name)))
    return [...missing, ...extra, ...differing]
  }
  const want = typeof expected === "string" ? bindings.substitute(expected) : expected
  return Object.is(want, actual) ? [] : [`${at}: expected ${describe(want)}, got ${describe(actual)}`]
}
