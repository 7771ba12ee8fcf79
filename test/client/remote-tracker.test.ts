import { experimentTrackerContract } from "../core/tracking/ExperimentTracker.contract.js"
import { remoteOverBasicServer } from "./remote.js"

experimentTrackerContract("remote", remoteOverBasicServer())
