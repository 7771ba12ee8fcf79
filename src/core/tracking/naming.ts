import { randomBytes, randomInt } from "node:crypto"
import { RunId } from "./model.js"

/** A fresh run id: 32 lowercase hex characters, as MLflow generates. */
export const newRunId = (): RunId => RunId.make(randomBytes(16).toString("hex"))

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
