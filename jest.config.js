// One project per kind of test, so each brings up only what it needs:
// unit (no server), workflow (time-skipping test server, one per file), integration (one dev server for the run,
// real processes over HTTP), replay (recorded histories, no server), browser (its own dev server with the Web UI, real
// processes, Debian's Chromium through playwright-core), chaos (its own restartable dev server, 200 machines, faults
// injected; see docs/reliability.md).
const transform = { '^.+\\.ts$': ['@swc/jest'] };
const common = { testEnvironment: 'node', transform, slowTestThreshold: 30 };

// The chaos run takes minutes and loads the machine: it is in the run only when asked for (`npm run test:chaos`, or a
// command line naming it, e.g. `npx jest --selectProjects chaos`), never in a plain `jest` / `npm test`.
const chaosAsked =
  process.env.MAINT_CHAOS === '1' || process.argv.slice(2).some((arg) => arg === 'chaos' || /(^|\/)test\/chaos(\/|$)/.test(arg));

// Workers made inside jest (the workflow tests) start the SDK's workflow threads with the real process environment,
// which jest's sandboxed process.env does not reach: give them maint's default, no workflow stack traces (README,
// "Patched dependencies"). Worker processes (integration tests) get theirs from MAINT_WORKFLOW_STACK_TRACES.
process.env.TEMPORAL_WORKFLOW_STACK_TRACES ??= 'off';

module.exports = {
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'workflow', testMatch: ['<rootDir>/test/workflow/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    { ...common, displayName: 'replay', testMatch: ['<rootDir>/test/replay/**/*.test.ts'] },
    { ...common, displayName: 'browser', testMatch: ['<rootDir>/test/browser/**/*.test.ts'] },
    ...(chaosAsked ? [{ ...common, displayName: 'chaos', testMatch: ['<rootDir>/test/chaos/**/*.test.ts'] }] : []),
  ],
};
