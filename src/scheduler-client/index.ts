export { SchedulerApiError, SchedulerClient } from './client';
export type { SchedulerClientOptions, SubscribeOptions } from './client';
