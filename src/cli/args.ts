// The CLI's own syntax for flag values, checked before any request (a mistake here is exit 2, not a 400). What the
// values mean (a valid IPv4, a machine named twice, a duration maint accepts) is the API's to judge.
import type { MachineId } from '../domain/machine';
import { parseDuration } from '../domain/time';
import { UsageError } from './errors';

/** "90s", "30m", "1h30m", "2d", as the API takes them; returns the text unchanged for the API. */
export function durationArg(flag: string) {
  return (text: string): string => {
    if (parseDuration(text) === undefined) {
      throw new UsageError(`${flag}: "${text}" is not a duration; use whole units like 90s, 30m, 1h30m, 2d`);
    }
    return text;
  };
}

/** An ISO 8601 instant with its offset, e.g. 2026-11-27T14:00:00Z. */
export function isInstant(text: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text) && !Number.isNaN(Date.parse(text));
}

/** A duration from now or an instant: what `--deadline` takes. */
export type When = { in: string } | { at: string };

export function whenArg(flag: string) {
  return (text: string): When => {
    if (parseDuration(text) !== undefined) return { in: text };
    if (isInstant(text)) return { at: text };
    throw new UsageError(`${flag}: "${text}" is neither a duration (30m, 1h30m) nor an instant with its offset (2026-11-27T14:00:00Z)`);
  };
}

export function positiveIntArg(flag: string) {
  return (text: string): number => {
    if (!/^[1-9]\d*$/.test(text) || !Number.isSafeInteger(Number(text))) {
      throw new UsageError(`${flag}: "${text}" is not a whole number of at least 1`);
    }
    return Number(text);
  };
}

/**
 * One machine as an operator types it: `sim-01` (a hostname), `sim-01=192.0.2.1` (hostname and IP, as Mesos names a
 * machine whose agent reports both) or `192.0.2.1` (an IP alone).
 */
export function machineArg(text: string): MachineId {
  const item = text.trim();
  const eq = item.indexOf('=');
  if (eq >= 0) {
    const hostname = item.slice(0, eq).trim();
    const ip = item.slice(eq + 1).trim();
    if (!hostname || !ip) throw new UsageError(`machine "${text}": write hostname=ip, both parts present`);
    return { hostname, ip };
  }
  if (!item) throw new UsageError('an empty machine name: separate machines with single commas');
  return /^\d+\.\d+\.\d+\.\d+$/.test(item) ? { ip: item } : { hostname: item };
}

/** `--machines a,b=10.0.0.2` given once or several times. */
export function machineListArg(text: string, previous: MachineId[] = []): MachineId[] {
  return [...previous, ...text.split(',').map(machineArg)];
}
