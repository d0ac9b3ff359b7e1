// Frameworks (schedulers) as maint knows them. Pure types.

export interface FrameworkSubscription {
  frameworkId: string;
  name: string;
  principal?: string;
  /** Where maint POSTs events; absent for frameworks that pull. */
  webhookUrl?: string;
  subscribedAtMs: number;
}

/** What maint tells a framework, before it is rendered as a Mesos v1 scheduler event (activities/notify.ts). */
export type FrameworkNotice =
  | {
      kind: 'inverse-offers';
      offers: { offerId: string; agentId: string; unavailability: { startMs: number; durationMs?: number } }[];
    }
  | { kind: 'rescind-inverse-offer'; offerId: string };
