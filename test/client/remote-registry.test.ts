import { modelRegistryContract } from "../core/registry/ModelRegistry.contract.js"
import { remoteOverBasicServer } from "./remote.js"

modelRegistryContract("remote", remoteOverBasicServer())
