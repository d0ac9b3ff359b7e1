// The reference lifecycle's activity: does nothing, so that what it costs is Temporal's alone.
export interface ReferenceActivities {
  noop(): Promise<void>;
}

export const referenceActivities: ReferenceActivities = {
  async noop() {},
};
