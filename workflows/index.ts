// The workflow bundle's entry: workflow functions only.
export { scheduleWorkflow } from './schedule';
export { windowWorkflow } from './window';
export { machineWorkflow } from './machine';
export { frameworksWorkflow } from './frameworks';
export { agentWorkflow } from './agent';
export { frameworkMailboxWorkflow } from './framework-mailbox';
