import { Schema } from "effect"

/** No subscription of the current tenant has this id. */
export class WebhookNotFound extends Schema.TaggedError<WebhookNotFound>()("WebhookNotFound", {
  webhookId: Schema.String
}) {
  override get message(): string {
    return `webhook "${this.webhookId}" does not exist`
  }
}

/** No delivery of the current tenant has this id. */
export class WebhookDeliveryNotFound extends Schema.TaggedError<WebhookDeliveryNotFound>()("WebhookDeliveryNotFound", {
  deliveryId: Schema.String
}) {
  override get message(): string {
    return `webhook delivery "${this.deliveryId}" does not exist`
  }
}
