import { loggedModelsContract } from "../core/models/LoggedModels.contract.js"
import { remoteOverBasicServer } from "./remote.js"

loggedModelsContract("remote", remoteOverBasicServer())
