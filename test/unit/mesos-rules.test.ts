// Mesos' stateless schedule and machine-list validation (src/master/maintenance.cpp; docs/mesos-maintenance.md §3):
// exact texts, first error wins, in Mesos' order.
import type { MachineId } from '../../src/domain/machine';
import { parseSchedule, type Schedule } from '../../src/mesos/messages';
import { machineListError, scheduleError } from '../../src/mesos/rules';

function win(machine_ids: MachineId[], duration?: bigint): Schedule['windows'][number] {
  return {
    machine_ids,
    unavailability: {
      start: { nanoseconds: 1n },
      ...(duration === undefined ? {} : { duration: { nanoseconds: duration } }),
    },
  };
}

const a: MachineId = { hostname: 'a', ip: '10.0.0.1' };
const b: MachineId = { hostname: 'b', ip: '10.0.0.2' };

describe('scheduleError', () => {
  test('a valid schedule, and the empty one', () => {
    expect(scheduleError({ windows: [win([a], 0n), win([b])] })).toBeUndefined();
    expect(scheduleError({ windows: [] })).toBeUndefined();
  });

  test('a window with no machines', () => {
    expect(scheduleError({ windows: [win([a]), win([])] })).toBe('List of machines in the maintenance window is empty');
  });

  test('a negative duration (zero and none are fine)', () => {
    expect(scheduleError({ windows: [win([a], -1n)] })).toBe("Unavailability 'duration' is negative");
    expect(scheduleError({ windows: [win([a], 0n)] })).toBeUndefined();
  });

  test('a machine with neither hostname nor ip', () => {
    expect(scheduleError({ windows: [win([{ hostname: '', ip: '' }])] })).toBe(
      "Both 'hostname' and 'ip' for a machine are empty",
    );
  });

  test('an ip that is not IPv4', () => {
    expect(scheduleError({ windows: [win([{ hostname: 'a', ip: '::1' }])] })).toBe('Failed to parse IPv4: ::1');
  });

  test('a machine twice, across windows, by Mesos equality; the text shows the second spelling', () => {
    expect(scheduleError({ windows: [win([a]), win([b, { hostname: 'A', ip: '10.0.0.1' }])] })).toBe(
      `Machine '{"hostname":"A","ip":"10.0.0.1"}' appears more than once in the schedule`,
    );
    // Presence matters: these are two machines.
    expect(scheduleError({ windows: [win([{ hostname: 'a' }, { hostname: 'a', ip: '' }])] })).toBeUndefined();
  });

  test('within a window: empty list, then duration, then machines in order', () => {
    expect(scheduleError({ windows: [win([], -1n)] })).toBe('List of machines in the maintenance window is empty');
    expect(scheduleError({ windows: [win([{ hostname: '' }], -1n)] })).toBe("Unavailability 'duration' is negative");
    expect(scheduleError({ windows: [win([a, a, { hostname: '' }])] })).toBe(
      `Machine '{"hostname":"a","ip":"10.0.0.1"}' appears more than once in the schedule`,
    );
    expect(scheduleError({ windows: [win([a, { hostname: '' }, a])] })).toBe(
      "Both 'hostname' and 'ip' for a machine are empty",
    );
  });

  test('windows are checked in order: an earlier window’s machine error beats a later empty window', () => {
    expect(scheduleError({ windows: [win([{ ip: '1.2.3' }]), win([])] })).toBe('Failed to parse IPv4: 1.2.3');
  });

  test('works on a parsed schedule', () => {
    const parsed = parseSchedule(
      '{"windows":[{"machine_ids":[{"hostname":"a"}],' +
        '"unavailability":{"start":{"nanoseconds":1},"duration":{"nanoseconds":"-1"}}}]}',
    );
    if (!parsed.ok) throw new Error(parsed.error);
    expect(scheduleError(parsed.value)).toBe("Unavailability 'duration' is negative");
  });
});

describe('machineListError', () => {
  test('a valid list', () => {
    expect(machineListError([a, b, { hostname: 'a' }])).toBeUndefined();
  });

  test('an empty list', () => {
    expect(machineListError([])).toBe('List of machines is empty');
  });

  test('a machine with neither hostname nor ip', () => {
    expect(machineListError([a, {}])).toBe("Both 'hostname' and 'ip' for a machine are empty");
  });

  test('an ip that is not IPv4', () => {
    expect(machineListError([{ ip: '10.0.0.256' }])).toBe('Failed to parse IPv4: 10.0.0.256');
  });

  test('a repeat (the text says "schedule" here too), by Mesos equality', () => {
    expect(machineListError([a, b, { hostname: 'B', ip: '10.0.0.2' }])).toBe(
      `Machine '{"hostname":"B","ip":"10.0.0.2"}' appears more than once in the schedule`,
    );
  });

  test('machines are checked in order: a repeat before an invalid machine wins', () => {
    expect(machineListError([a, a, {}])).toBe(
      `Machine '{"hostname":"a","ip":"10.0.0.1"}' appears more than once in the schedule`,
    );
  });
});
