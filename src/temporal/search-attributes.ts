// Search attributes maint sets on its workflows, so the Temporal UI filters by machine, mode, window and deadline
// (e.g. MaintenanceMode="DRAINING"). The dev-server launcher registers each of them on start.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const MACHINE = defineSearchAttributeKey('MaintenanceMachine', SearchAttributeType.KEYWORD);
export const MODE = defineSearchAttributeKey('MaintenanceMode', SearchAttributeType.KEYWORD);
export const WINDOW = defineSearchAttributeKey('MaintenanceWindow', SearchAttributeType.KEYWORD);
export const DEADLINE = defineSearchAttributeKey('MaintenanceDeadline', SearchAttributeType.DATETIME);
/**
 * Frameworks' latest answers to a DRAINING machine's inverse offers (Mesos' inverse offer statuses), one
 * `answerValue` each: the maintenance status reads them for every machine with one visibility query.
 */
export const ANSWERS = defineSearchAttributeKey('MaintenanceAnswers', SearchAttributeType.KEYWORD_LIST);

export const ALL_SEARCH_ATTRIBUTES = [MACHINE, MODE, WINDOW, DEADLINE, ANSWERS] as const;

export interface AnswerValue {
  frameworkId: string;
  answer: 'ACCEPT' | 'DECLINE';
  atMs: number;
}

/** One answer as a keyword: JSON, so any framework id survives. */
export function answerValue(a: AnswerValue): string {
  return JSON.stringify([a.frameworkId, a.answer, a.atMs]);
}

export function parseAnswerValue(value: string): AnswerValue | undefined {
  try {
    const [frameworkId, answer, atMs] = JSON.parse(value) as [string, AnswerValue['answer'], number];
    return typeof frameworkId === 'string' && (answer === 'ACCEPT' || answer === 'DECLINE') && Number.isFinite(atMs)
      ? { frameworkId, answer, atMs }
      : undefined;
  } catch {
    return undefined;
  }
}
