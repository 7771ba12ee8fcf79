import { type Context, type Exit, MetricLabel, type Option, Tracer } from "effect"
import { dbQueryDuration } from "./metrics.js"

/** A span that reports its duration to `onEnd`; everything else is the wrapped span's. */
class ObservedSpan implements Tracer.Span {
  readonly _tag = "Span"
  constructor(
    private readonly span: Tracer.Span,
    private readonly onEnd: (span: Tracer.Span, endTime: bigint) => void
  ) {}
  get name(): string {
    return this.span.name
  }
  get spanId(): string {
    return this.span.spanId
  }
  get traceId(): string {
    return this.span.traceId
  }
  get parent(): Option.Option<Tracer.AnySpan> {
    return this.span.parent
  }
  get context(): Context.Context<never> {
    return this.span.context
  }
  get status(): Tracer.SpanStatus {
    return this.span.status
  }
  get attributes(): ReadonlyMap<string, unknown> {
    return this.span.attributes
  }
  get links(): ReadonlyArray<Tracer.SpanLink> {
    return this.span.links
  }
  get sampled(): boolean {
    return this.span.sampled
  }
  get kind(): Tracer.SpanKind {
    return this.span.kind
  }
  end(endTime: bigint, exit: Exit.Exit<unknown, unknown>): void {
    this.onEnd(this.span, endTime)
    this.span.end(endTime, exit)
  }
  attribute(key: string, value: unknown): void {
    this.span.attribute(key, value)
  }
  event(name: string, startTime: bigint, attributes?: Record<string, unknown>): void {
    this.span.event(name, startTime, attributes)
  }
  addLinks(links: ReadonlyArray<Tracer.SpanLink>): void {
    this.span.addLinks(links)
  }
}

const statements = new Set(["SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"])

/** The statement's leading keyword, from a closed set so the label's cardinality stays bounded. */
const statementOf = (span: Tracer.Span): string => {
  const text = span.attributes.get("db.query.text")
  if (typeof text !== "string") return "OTHER"
  const keyword = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? ""
  return statements.has(keyword) ? keyword : "OTHER"
}

// One label array per statement kind: Effect caches a tagged metric's registry entry by the array's identity.
const statementLabels = new Map(
  [...statements, "OTHER"].map((statement) => [statement, [MetricLabel.make("statement", statement)]] as const)
)

const recordQuery = (span: Tracer.Span, endTime: bigint) =>
  dbQueryDuration.unsafeUpdate(Number(endTime - span.status.startTime) / 1e9, statementLabels.get(statementOf(span))!)

/**
 * The platform names a server span `http.server <METHOD>` when the request
 * arrives, before routing; the router then records the matched pattern as
 * `http.route`. Exporters read the name when the span ends, so renaming it
 * there gives the OpenTelemetry convention `<METHOD> <route>` (one span per
 * request, named by pattern, never by raw URL).
 */
const nameByRoute = (span: Tracer.Span) => {
  const route = span.attributes.get("http.route")
  const method = span.attributes.get("http.request.method")
  if (typeof route === "string" && typeof method === "string") Object.assign(span, { name: `${method} ${route}` })
}

/** The tracer each instrumented tracer wraps. */
const originals = new WeakMap<Tracer.Tracer, Tracer.Tracer>()

/** Head sampling of {@link instrumentTracer}. */
export interface Sampling {
  /** Share of new traces kept, from 0 to 1. */
  readonly ratio: number
  /**
   * Makes the spans of traces left out: Effect's in-process tracer, so they
   * still nest, time and feed metrics without being exported.
   */
  readonly unsampled: Tracer.Tracer
}

/**
 * Decorates a tracer: database statement spans (`sql.execute`) feed the
 * `mlops_db_query_duration_seconds` histogram, and HTTP server spans are
 * named by route pattern. Other spans pass through unwrapped. With
 * `sampling`, a new trace is kept with probability `ratio` and a span
 * follows its parent's decision (a `traceparent` header's flag included),
 * so traces are kept or dropped whole.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { instrumentTracer } from "effect-mlops/telemetry"
 *
 * const Instrumented = Layer.unwrapEffect(Effect.map(Effect.tracer, (tracer) => Layer.setTracer(instrumentTracer(tracer))))
 * ```
 */
export const instrumentTracer = (tracer: Tracer.Tracer, sampling?: Sampling): Tracer.Tracer => {
  // Instrumenting an instrumented tracer wraps its original once: a layer
  // stacked on another must not record each statement twice.
  const exporting = originals.get(tracer) ?? tracer
  const unsampled = sampling === undefined ? exporting : (originals.get(sampling.unsampled) ?? sampling.unsampled)
  const dropped = new WeakSet<Tracer.AnySpan>()
  const keeps = (parent: Option.Option<Tracer.AnySpan>, ratio: number) =>
    parent._tag === "None"
      ? Math.random() < ratio
      : parent.value._tag === "ExternalSpan"
        ? parent.value.sampled
        : !dropped.has(parent.value)
  const instrumented = Tracer.make({
    span(name, parent, context, links, startTime, kind, options) {
      const kept = sampling === undefined || keeps(parent, sampling.ratio)
      const made = (kept ? exporting : unsampled).span(name, parent, context, links, startTime, kind, options)
      const span =
        name === "sql.execute"
          ? new ObservedSpan(made, recordQuery)
          : kind === "server"
            ? new ObservedSpan(made, nameByRoute)
            : made
      if (!kept) dropped.add(span)
      return span
    },
    context: (f, fiber) => exporting.context(f, fiber)
  })
  originals.set(instrumented, exporting)
  return instrumented
}
