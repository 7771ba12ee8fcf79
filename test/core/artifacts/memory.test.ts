import { ArtifactStore } from "../../../src/core/artifacts/index.js"
import { artifactStoreContract } from "./contract.js"

artifactStoreContract("memory", ArtifactStore.layerMemory)
