/**
 * effect-mlops over HTTP: the native API definition (shared by the server,
 * `RemoteLayer` and the OpenAPI document) and the tracking server as a layer.
 */
export { MlopsApi } from "./api/Api.js"
export { makeRoutes, makeServerLayer, type ServedServices, type ServerOptions } from "./server/Server.js"
