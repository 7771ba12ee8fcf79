import { createServer, type IncomingHttpHeaders } from "node:http"
import { createRequire } from "node:module"
import { gunzipSync } from "node:zlib"
import { Effect, Schema, type Scope } from "effect"

/** A protobufjs message type of the code generated from the official opentelemetry-proto definitions. */
interface MessageType {
  decode(bytes: Uint8Array): object
  toObject(message: object, options: { longs: StringConstructor; bytes: StringConstructor; arrays: boolean }): unknown
}

interface GeneratedRoot {
  readonly opentelemetry: {
    readonly proto: {
      readonly collector: {
        readonly trace: { readonly v1: { readonly ExportTraceServiceRequest: MessageType } }
        readonly metrics: { readonly v1: { readonly ExportMetricsServiceRequest: MessageType } }
        readonly logs: { readonly v1: { readonly ExportLogsServiceRequest: MessageType } }
      }
    }
  }
}

// otlp-transformer ships the generated code as CommonJS without type declarations.
const root: GeneratedRoot = createRequire(import.meta.url)(
  "@opentelemetry/otlp-transformer/build/src/generated/root.js"
)
const { logs, metrics, trace } = root.opentelemetry.proto.collector

const AnyValue = Schema.Struct({
  stringValue: Schema.optional(Schema.String),
  boolValue: Schema.optional(Schema.Boolean),
  intValue: Schema.optional(Schema.NumberFromString),
  doubleValue: Schema.optional(Schema.Number)
})
const KeyValues = Schema.Array(Schema.Struct({ key: Schema.String, value: Schema.optional(AnyValue) }))
const Resource = Schema.Struct({ attributes: KeyValues })
// protobufjs leaves out fields at their default (a zero time, an unspecified temporality).
const UnixNano = Schema.optionalWith(Schema.String, { default: () => "0" })
const NumberPoint = Schema.Struct({
  attributes: KeyValues,
  startTimeUnixNano: UnixNano,
  timeUnixNano: UnixNano,
  asInt: Schema.optional(Schema.NumberFromString),
  asDouble: Schema.optional(Schema.Number),
  count: Schema.optional(Schema.NumberFromString),
  bucketCounts: Schema.optionalWith(Schema.Array(Schema.NumberFromString), { default: () => [] })
})
const Points = Schema.Struct({
  aggregationTemporality: Schema.optional(Schema.Number),
  dataPoints: Schema.Array(NumberPoint)
})

const TraceRequest = Schema.Struct({
  resourceSpans: Schema.Array(
    Schema.Struct({
      resource: Resource,
      scopeSpans: Schema.Array(
        Schema.Struct({
          spans: Schema.Array(
            Schema.Struct({ name: Schema.String, traceId: Schema.String, spanId: Schema.String, attributes: KeyValues })
          )
        })
      )
    })
  )
})
const MetricsRequest = Schema.Struct({
  resourceMetrics: Schema.Array(
    Schema.Struct({
      resource: Resource,
      scopeMetrics: Schema.Array(
        Schema.Struct({
          metrics: Schema.Array(
            Schema.Struct({
              name: Schema.String,
              sum: Schema.optional(Points),
              gauge: Schema.optional(Points),
              histogram: Schema.optional(Points)
            })
          )
        })
      )
    })
  )
})
const LogsRequest = Schema.Struct({
  resourceLogs: Schema.Array(
    Schema.Struct({
      resource: Resource,
      scopeLogs: Schema.Array(
        Schema.Struct({
          logRecords: Schema.Array(
            Schema.Struct({
              body: Schema.optional(AnyValue),
              // Absent on records written outside any span.
              traceId: Schema.optionalWith(Schema.String, { default: () => "" }),
              attributes: KeyValues
            })
          )
        })
      )
    })
  )
})

type Attributes = Readonly<Record<string, string | number | boolean | undefined>>

const attributesOf = (keyValues: typeof KeyValues.Type): Attributes =>
  Object.fromEntries(
    keyValues.map(({ key, value }) => [
      key,
      value?.stringValue ?? value?.intValue ?? value?.doubleValue ?? value?.boolValue
    ])
  )

/** Trace and span ids arrive as bytes; protobufjs renders them in base64, people and APIs in hex. */
const hex = (base64: string) => Buffer.from(base64, "base64").toString("hex")

/** One export request as received. */
export interface ReceivedRequest {
  readonly path: string
  readonly headers: IncomingHttpHeaders
}

/** A decoded span with its resource's attributes. */
export interface ReceivedSpan {
  readonly resource: Attributes
  readonly name: string
  readonly traceId: string
  readonly attributes: Attributes
}

/** A decoded metric point (a counter's value, or a histogram's count) with its metric's name and resource. */
export interface ReceivedPoint {
  readonly resource: Attributes
  readonly name: string
  readonly attributes: Attributes
  readonly value: number
  /** A sum's or histogram's; gauges have none. */
  readonly temporality: "delta" | "cumulative" | undefined
  readonly startTimeUnixNano: string
  readonly timeUnixNano: string
  /** A histogram's count per bucket; empty for other kinds. */
  readonly bucketCounts: ReadonlyArray<number>
}

/** A decoded log record. */
export interface ReceivedLog {
  readonly resource: Attributes
  readonly body: string | number | boolean | undefined
  readonly traceId: string
  readonly attributes: Attributes
}

/** What an {@link startOtlpReceiver} has received so far. */
export interface OtlpReceiver {
  readonly url: string
  readonly requests: ReadonlyArray<ReceivedRequest>
  readonly spans: ReadonlyArray<ReceivedSpan>
  readonly points: ReadonlyArray<ReceivedPoint>
  readonly logs: ReadonlyArray<ReceivedLog>
  /** Requests whose body did not decode (answered 400). */
  readonly undecodable: ReadonlyArray<string>
  /** Completes once `count` requests to a path ending with `path` have been handled. */
  readonly received: (path: string, count: number) => Effect.Effect<void>
}

const decode = <A, I>(type: MessageType, schema: Schema.Schema<A, I>, body: Buffer): A =>
  Schema.decodeUnknownSync(schema)(type.toObject(type.decode(body), { longs: String, bytes: String, arrays: true }))

/**
 * A local OTLP/HTTP receiver for the current scope: it accepts protobuf
 * export requests on `/.../v1/{traces,metrics,logs}` (gzip or not), decodes
 * them with the official protobuf definitions and keeps what arrived.
 * Answers 200 to an export, 400 to one that does not decode, 404 to other paths.
 */
export const startOtlpReceiver: Effect.Effect<OtlpReceiver, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ readonly receiver: OtlpReceiver; readonly close: () => void }>((resume) => {
    const requests: Array<ReceivedRequest> = []
    const spans: Array<ReceivedSpan> = []
    const points: Array<ReceivedPoint> = []
    const logRecords: Array<ReceivedLog> = []
    const undecodable: Array<string> = []
    const listeners = new Set<() => void>()
    const received = (suffix: string, count: number) =>
      Effect.async<void>((resume) => {
        const check = () => {
          if (requests.filter((request) => request.path.endsWith(suffix)).length < count) return
          listeners.delete(check)
          resume(Effect.void)
        }
        listeners.add(check)
        check()
        return Effect.sync(() => listeners.delete(check))
      })
    const server = createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const path = request.url ?? ""
        const raw = Buffer.concat(chunks)
        const body = request.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw
        requests.push({ path, headers: request.headers })
        try {
          store(path, body)
          response.writeHead(path.match(/\/v1\/(traces|metrics|logs)$/) ? 200 : 404).end()
        } catch (error) {
          undecodable.push(`${path}: ${String(error)}`)
          response.writeHead(400).end()
        }
        for (const listener of [...listeners]) listener()
      })
    })
    const store = (path: string, body: Buffer) => {
      if (path.endsWith("/v1/traces")) {
        for (const { resource, scopeSpans } of decode(trace.v1.ExportTraceServiceRequest, TraceRequest, body)
          .resourceSpans) {
          for (const span of scopeSpans.flatMap((scope) => scope.spans)) {
            spans.push({
              resource: attributesOf(resource.attributes),
              name: span.name,
              traceId: hex(span.traceId),
              attributes: attributesOf(span.attributes)
            })
          }
        }
      } else if (path.endsWith("/v1/metrics")) {
        for (const { resource, scopeMetrics } of decode(metrics.v1.ExportMetricsServiceRequest, MetricsRequest, body)
          .resourceMetrics) {
          for (const metric of scopeMetrics.flatMap((scope) => scope.metrics)) {
            const data = metric.sum ?? metric.gauge ?? metric.histogram
            for (const point of data?.dataPoints ?? []) {
              points.push({
                resource: attributesOf(resource.attributes),
                name: metric.name,
                attributes: attributesOf(point.attributes),
                value: point.asInt ?? point.asDouble ?? point.count ?? Number.NaN,
                // opentelemetry-proto's AggregationTemporality numbers
                temporality:
                  data?.aggregationTemporality === 1
                    ? "delta"
                    : data?.aggregationTemporality === 2
                      ? "cumulative"
                      : undefined,
                startTimeUnixNano: point.startTimeUnixNano,
                timeUnixNano: point.timeUnixNano,
                bucketCounts: point.bucketCounts
              })
            }
          }
        }
      } else if (path.endsWith("/v1/logs")) {
        for (const { resource, scopeLogs } of decode(logs.v1.ExportLogsServiceRequest, LogsRequest, body)
          .resourceLogs) {
          for (const record of scopeLogs.flatMap((scope) => scope.logRecords)) {
            logRecords.push({
              resource: attributesOf(resource.attributes),
              body: record.body?.stringValue ?? record.body?.intValue ?? record.body?.doubleValue,
              traceId: hex(record.traceId),
              attributes: attributesOf(record.attributes)
            })
          }
        }
      }
    }
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      resume(
        Effect.succeed({
          receiver: {
            url: `http://127.0.0.1:${port}`,
            requests,
            spans,
            points,
            logs: logRecords,
            undecodable,
            received
          },
          close: () => server.close()
        })
      )
    })
  }),
  ({ close }) => Effect.sync(close)
).pipe(Effect.map(({ receiver }) => receiver))
