import { artifactStoreContract } from "../core/artifacts/contract.js"
import { remoteOverBasicServer } from "./remote.js"

artifactStoreContract("remote", remoteOverBasicServer())
