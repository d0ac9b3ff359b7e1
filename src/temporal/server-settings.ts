// The Temporal server settings (dynamic config) maint is built, tested and measured with. One list for every server
// maint knows of: the dev server that `maint up`, the tests and the benchmarks start (dev-server.ts), and
// docker-compose's server (deploy/temporal-dynamic-config.yaml, which test/unit/compose.test.ts holds to this list).
// An operator's own Temporal cluster should carry the same (README, "Running it for real").

/** Each setting, as the dev server's `--dynamic-config-value KEY=VALUE` takes it (VALUE is JSON) and the file lists it. */
export const SERVER_DYNAMIC_CONFIG: Readonly<Record<string, string | boolean>> = {
  // Workflow updates carry every operator action; a default in recent servers, stated so older ones work too.
  'frontend.enableUpdateWorkflowExecution': true,
  // Many machines signal one workflow: the schedule, the frameworks' registry, a framework's mailbox. A history task
  // (a signal's delivery, a child's start) that does not get such a busy workflow's lock within this long fails, and
  // is retried after a backoff, each attempt reading the store again. The server's default, 500 ms, turned most of
  // maint's signals into 3-4 attempts at 1,000 machines; waiting longer queues them instead (docs/performance.md,
  // "Busy workflows wait, not retry"). The cost: a task waiting here holds one of the history service's task workers.
  'history.cacheNonUserContextLockTimeout': '5s',
  // The dev server alone turns this on unless told (Temporal's own words: "should not be turned on in production"):
  // it reads the cluster's metadata from the store at every search-attribute lookup, each start, upsert, visibility
  // write and list, 52 store reads per machine at 1,000 machines, half of all (docs/performance.md, "The dev server's
  // search-attribute cache"). Off, as on every production server: maint's attributes are registered when the server
  // starts, before anything reads them.
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

/** The settings as `temporal server start-dev` arguments. */
export function devServerDynamicConfigArgs(): string[] {
  return Object.entries(SERVER_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}
