/**
 * Ready-made configurations: provide one to a program, swap one in tests, or
 * compose your own from the services' layers.
 */
export { BasicLayer, type BasicLayerOptions, type CoreServices, type LogFormat, makeBasicLayer } from "./Basic.js"
export { makeSqliteLayer, type SqlStoreError } from "./Sql.js"
export { TestLayer } from "./Test.js"
export { RemoteLayer, type RemoteOptions, RemoteSession } from "../src/client/RemoteLayer.js"
