import { datasetsContract } from "../core/data/Datasets.contract.js"
import { remoteOverBasicServer } from "./remote.js"

datasetsContract("remote", remoteOverBasicServer())
