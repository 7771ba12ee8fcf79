export { WebhookDeliveryNotFound, WebhookNotFound } from "./errors.js"
export { layerWebhookEvents } from "./events.js"
export {
  CreatedWebhook,
  type CreateWebhook,
  type DeliveriesQuery,
  DeliveryAttempt,
  DeliveryState,
  type UpdateWebhook,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryDetail,
  type WebhookEvent,
  WebhookEventType,
  WebhookStatus,
  WebhookTestResult,
  webhookEventTypes
} from "./model.js"
export { signatureHeaders, signWebhook, verifyWebhook } from "./signature.js"
export { Webhooks, type WebhooksOptions, type WebhooksShape, webhooksOptionsConfig } from "./Webhooks.js"
export { layerWebhookWorker } from "./worker.js"
