// Search attributes maint sets on its workflows, so the Temporal UI filters by machine, mode, window and deadline
// (e.g. MaintenanceMode="DRAINING"). The dev-server launcher registers each of them on start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MACHINE = defineSearchAttributeKey('MaintenanceMachine', SearchAttributeType.KEYWORD);
export const MODE = defineSearchAttributeKey('MaintenanceMode', SearchAttributeType.KEYWORD);
export const WINDOW = defineSearchAttributeKey('MaintenanceWindow', SearchAttributeType.KEYWORD);
export const DEADLINE = defineSearchAttributeKey('MaintenanceDeadline', SearchAttributeType.DATETIME);

export const ALL_SEARCH_ATTRIBUTES = [MACHINE, MODE, WINDOW, DEADLINE] as const;
