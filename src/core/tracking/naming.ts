import { randomInt, randomUUID } from "node:crypto"
import { RunId } from "./model.js"

/**
 * A fresh run id: 32 lowercase hex characters, as MLflow generates, laid out
 * as a UUIDv7 (the creation millisecond, then 74 random bits). Every table
 * keyed by run then appends its new rows at the end of its b-tree instead of
 * splitting pages at random, so a run's first transactions write fewer pages.
 */
export const newRunId = (): RunId => {
  // randomUUID draws from a pooled entropy buffer; its version and variant digits are skipped.
  const random = randomUUID()
  const millis = Date.now().toString(16).padStart(12, "0")
  return RunId.make(`${millis}7${random.slice(15, 18)}${random.slice(19, 23)}${random.slice(24)}`)
}

const adjectives = [
  "amazing",
  "bold",
  "brave",
  "bright",
  "calm",
  "clever",
  "crisp",
  "daring",
  "eager",
  "fast",
  "gentle",
  "glad",
  "grand",
  "honest",
  "keen",
  "lively",
  "lucky",
  "merry",
  "nimble",
  "proud",
  "quiet",
  "rare",
  "sharp",
  "shy",
  "smart",
  "steady",
  "sunny",
  "swift",
  "tidy",
  "wise"
]
const nouns = [
  "ant",
  "bass",
  "bear",
  "cat",
  "crab",
  "deer",
  "dove",
  "eel",
  "finch",
  "fox",
  "frog",
  "gnu",
  "hare",
  "hawk",
  "koi",
  "lark",
  "lynx",
  "mole",
  "moth",
  "newt",
  "owl",
  "panda",
  "ram",
  "seal",
  "shark",
  "slug",
  "toad",
  "vole",
  "wasp",
  "yak"
]

/** A readable default run name such as `bold-fox-417`, like MLflow's generated names. */
export const generateRunName = (): string =>
  `${adjectives[randomInt(adjectives.length)]}-${nouns[randomInt(nouns.length)]}-${randomInt(1000)}`

/** The artifact root of a new experiment, served by the tracking server's artifact proxy. */
export const defaultArtifactLocation = (experimentId: string): string => `mlflow-artifacts:/${experimentId}`

/** A run's artifact URI under its experiment's artifact location. */
export const runArtifactUri = (artifactLocation: string, runId: string): string =>
  `${artifactLocation.replace(/\/+$/, "")}/${runId}/artifacts`

/** Tags MLflow sets on runs; kept so MLflow clients and UIs read them. */
export const SystemTags = {
  runName: "mlflow.runName",
  user: "mlflow.user",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  gitCommit: "mlflow.source.git.commit",
  parentRunId: "mlflow.parentRunId"
} as const
