export { SchedulerApiError, SchedulerClient } from './client';
export type { AnswerOptions, RetryOptions, SchedulerClientOptions, Subscribed, SubscribeOptions } from './client';
export { readSchedulerEvent, SchedulerEventError } from './events';
export { readEventStream, SseParser } from './stream';
export type { SseMessage, StreamedEvent, StreamOptions } from './stream';
export { verifyWebhook, webhookHandler } from './webhook';
export type { VerifyOptions, WebhookDelivery, WebhookHandler, WebhookHandlerOptions, WebhookHeaders } from './webhook';
