import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Array as Arr, Duration, Effect, Ref, Schema, type Scope } from "effect"
import { InvalidArgument } from "../errors.js"
import { Limits } from "../limits.js"
import type { ExperimentTrackerShape } from "./ExperimentTracker.js"
import type { MetricInput, RunId } from "./model.js"

/**
 * One reading of the machine and the process: metric names (without the
 * `system/` prefix) to values.
 */
export type SystemSample = Readonly<Record<string, number>>

/** Reading the system's counters failed; the sample is skipped and the run goes on. */
export class SystemMetricsError extends Schema.TaggedError<SystemMetricsError>()("SystemMetricsError", {
  cause: Schema.Defect
}) {}

/**
 * Reads the system's counters. A sampler may keep state between calls (CPU
 * utilisation is a rate between two readings), so each run gets its own.
 *
 * @example
 * ```ts
 * const steady: Effect.Effect<SystemSampler> = Effect.succeed({
 *   sample: Effect.succeed({ cpu_utilization_percentage: 50 })
 * })
 * Tracking.withRun({ experiment: "demo" }, train, { systemMetrics: { interval: "1 second", sampler: steady } })
 * ```
 */
export interface SystemSampler {
  readonly sample: Effect.Effect<SystemSample, SystemMetricsError>
}

/** Options of `withRun`'s `systemMetrics`. */
export interface SystemMetricsOptions {
  /** Time between samples (default 10 seconds, as MLflow). */
  readonly interval?: Duration.DurationInput
  /** Samples kept before one `logBatch` writes them (default 1); the rest is written when the run ends. */
  readonly samplesPerBatch?: number
  /** Makes the run's sampler (default {@link makeSystemSampler}); tests supply a deterministic one. */
  readonly sampler?: Effect.Effect<SystemSampler>
}

// MLflow's units: megabytes of 10^6 bytes.
const megabytes = (bytes: number): number => bytes / 1e6

const cpuTimes = (): { readonly idle: number; readonly total: number } =>
  os.cpus().reduce(
    (sum, cpu) => {
      const { idle, irq, nice, sys, user } = cpu.times
      return { idle: sum.idle + idle, total: sum.total + idle + irq + nice + sys + user }
    },
    { idle: 0, total: 0 }
  )

// Bytes received and sent over every interface since boot (psutil's net_io_counters, which MLflow reads).
const parseNetDev = (text: string): { readonly received: number; readonly transmitted: number } =>
  text
    .split("\n")
    .slice(2)
    .reduce(
      (sum, line) => {
        const fields = line.split(":")[1]?.trim().split(/\s+/)
        if (fields === undefined || fields.length < 9) return sum
        return { received: sum.received + Number(fields[0]), transmitted: sum.transmitted + Number(fields[8]) }
      },
      { received: 0, transmitted: 0 }
    )

const netDev = "/proc/net/dev"

/**
 * The sampler of this process and machine, with MLflow's metric names where
 * MLflow has one: `cpu_utilization_percentage`,
 * `system_memory_usage_megabytes`/`_percentage`, `disk_usage_megabytes`,
 * `disk_available_megabytes`, `disk_usage_percentage` (of the file system
 * holding `diskPath`, default the working directory's root),
 * `network_receive_megabytes`/`network_transmit_megabytes` (totals since
 * boot, from `/proc/net/dev`: Linux only, left out elsewhere), and the
 * process's `process_cpu_percentage` (of one core, so up to 100 × cores),
 * `process_memory_rss_megabytes` and `process_memory_percentage`. Rates are
 * measured from the previous sample, the first from the sampler's creation.
 *
 * @example
 * ```ts
 * const sampler = yield* makeSystemSampler()
 * const sample = yield* sampler.sample // { cpu_utilization_percentage: 12.5, … }
 * ```
 */
export const makeSystemSampler = (options: { readonly diskPath?: string } = {}): Effect.Effect<SystemSampler> =>
  Effect.sync(() => {
    const diskPath = options.diskPath ?? path.parse(process.cwd()).root
    const hasNetDev = fs.existsSync(netDev)
    let previous = { cpu: cpuTimes(), process: process.cpuUsage(), at: process.hrtime.bigint() }
    const read = async (): Promise<SystemSample> => {
      const now = { cpu: cpuTimes(), process: process.cpuUsage(), at: process.hrtime.bigint() }
      const idle = now.cpu.idle - previous.cpu.idle
      const total = now.cpu.total - previous.cpu.total
      const elapsedMicros = Number(now.at - previous.at) / 1000
      const processMicros = now.process.user - previous.process.user + (now.process.system - previous.process.system)
      previous = now
      const totalMemory = os.totalmem()
      const usedMemory = totalMemory - os.freemem()
      const rss = process.memoryUsage.rss()
      const disk = await fs.promises.statfs(diskPath)
      const diskUsed = (disk.blocks - disk.bfree) * disk.bsize
      const diskAvailable = disk.bavail * disk.bsize
      const network = hasNetDev ? parseNetDev(await fs.promises.readFile(netDev, "utf8")) : undefined
      return {
        cpu_utilization_percentage: total > 0 ? (100 * (total - idle)) / total : 0,
        system_memory_usage_megabytes: megabytes(usedMemory),
        system_memory_usage_percentage: (100 * usedMemory) / totalMemory,
        disk_usage_megabytes: megabytes(diskUsed),
        disk_available_megabytes: megabytes(diskAvailable),
        // psutil's percentage: of the space available to unprivileged users.
        disk_usage_percentage: diskUsed + diskAvailable > 0 ? (100 * diskUsed) / (diskUsed + diskAvailable) : 0,
        ...(network === undefined
          ? {}
          : {
              network_receive_megabytes: megabytes(network.received),
              network_transmit_megabytes: megabytes(network.transmitted)
            }),
        process_cpu_percentage: elapsedMicros > 0 ? (100 * processMicros) / elapsedMicros : 0,
        process_memory_rss_megabytes: megabytes(rss),
        process_memory_percentage: (100 * rss) / totalMemory
      }
    }
    return {
      sample: Effect.tryPromise({ try: read, catch: (cause) => new SystemMetricsError({ cause }) })
    }
  })

/**
 * How long the end of a run waits for the last system metrics to be written
 * before it logs a warning and goes on without them.
 */
export const finalFlushTimeout = Duration.seconds(5)

/** The prefix of every system metric's key, as MLflow's. */
export const systemMetricPrefix = "system/"

/** Records a run's system metrics for as long as the scope it runs in stays open. */
export type SystemMetricsRecorder = (
  tracker: ExperimentTrackerShape,
  runId: RunId
) => Effect.Effect<void, never, Scope.Scope>

/**
 * Checks `options` and returns the recorder `withRun` runs beside its body:
 * it samples `options.sampler` every `interval` into the run as
 * `system/<name>` metrics, step = sample index, until its scope closes, and
 * then writes what is still buffered, giving up after
 * {@link finalFlushTimeout}. Failures (and defects) to sample or write are
 * logged and never reach the body.
 *
 * @example
 * ```ts
 * const record = yield* systemMetricsRecorder({ interval: "5 seconds" })
 * yield* Effect.scoped(Effect.zipRight(record(tracker, runId), train))
 * ```
 */
export const systemMetricsRecorder = (
  options: SystemMetricsOptions
): Effect.Effect<SystemMetricsRecorder, InvalidArgument> =>
  Effect.gen(function* () {
    const interval = Duration.decode(options.interval ?? "10 seconds")
    if (!Duration.greaterThan(interval, Duration.zero)) {
      return yield* new InvalidArgument({ field: "systemMetrics.interval", reason: "must be positive" })
    }
    const samplesPerBatch = options.samplesPerBatch ?? 1
    if (!Number.isInteger(samplesPerBatch) || samplesPerBatch < 1) {
      return yield* new InvalidArgument({
        field: "systemMetrics.samplesPerBatch",
        reason: "must be a positive integer"
      })
    }
    return (tracker: ExperimentTrackerShape, runId: RunId) =>
      Effect.gen(function* () {
        const sampler = yield* options.sampler ?? makeSystemSampler()
        const buffer = yield* Ref.make<ReadonlyArray<ReadonlyArray<MetricInput>>>([])
        const samples = yield* Ref.make(0)
        // Interruptible, so a hung tracker cannot hold up the end of the run; samples whose
        // write is interrupted go back to the buffer for the final flush (written at least once).
        // `catchAllCause`: the tracker turns storage errors into defects, which must not reach the body.
        const flush = Effect.uninterruptibleMask((restore) =>
          Effect.flatMap(Ref.getAndSet(buffer, []), (taken) =>
            restore(
              Effect.forEach(
                Arr.chunksOf(taken.flat(), Limits.maxMetricsPerBatch),
                (metrics) => tracker.logBatch(runId, { metrics }),
                { discard: true }
              ).pipe(Effect.catchAllCause((cause) => Effect.logWarning("could not log system metrics", cause)))
            ).pipe(Effect.onInterrupt(() => Ref.update(buffer, (rest) => [...taken, ...rest])))
          )
        )
        const finalFlush = flush.pipe(
          // Finalizers run uninterruptibly; the timeout can only stop a write that may be interrupted.
          Effect.interruptible,
          Effect.timeoutTo({
            duration: finalFlushTimeout,
            onSuccess: () => Effect.void,
            onTimeout: () =>
              Effect.logWarning(`gave up writing the last system metrics after ${Duration.format(finalFlushTimeout)}`)
          }),
          Effect.flatten
        )
        // A sample is taken and buffered whole, or not at all, when the run ends.
        const sampleAndBuffer = Effect.gen(function* () {
          const sample = yield* sampler.sample
          const timestamp = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
          const step = yield* Ref.getAndUpdate(samples, (n) => n + 1)
          const metrics = Object.entries(sample).map(([name, value]) => ({
            key: `${systemMetricPrefix}${name}`,
            value,
            step,
            timestamp
          }))
          return yield* Ref.updateAndGet(buffer, (current) => [...current, metrics])
        }).pipe(
          Effect.map((buffered) => buffered.length >= samplesPerBatch),
          Effect.catchAllCause((cause) =>
            Effect.as(Effect.logWarning("could not sample system metrics", cause), false)
          ),
          Effect.uninterruptible
        )
        const tick = Effect.flatMap(sampleAndBuffer, (full) => (full ? flush : Effect.void))
        // Added before the sampler is forked, so it runs after the sampler is interrupted.
        yield* Effect.addFinalizer(() => finalFlush)
        yield* Effect.forkScoped(Effect.forever(Effect.delay(tick, interval)))
      }).pipe(Effect.withSpan("Tracking.recordSystemMetrics"))
  })
