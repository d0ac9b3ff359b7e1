// Placement advice: candidates ranked by how their maintenance meets a task of a given runtime, with reasons.
import type { MachineUnavailability } from '../../src/domain/framework';
import { machineKey, type MachineId } from '../../src/domain/machine';
import { coveredBy, MachineIndex, rankPlacement } from '../../src/domain/placement';
import { seededRandom, seedFrom } from '../support/seeded-random';
import type { MachineMode, Unavailability } from '../../src/domain/window';

const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;

const sim = (n: number): MachineId => ({ hostname: `sim-${String(n).padStart(2, '0')}`, ip: `192.0.2.${n}` });

function entry(machine: MachineId, mode: MachineMode, unavailability?: Unavailability): MachineUnavailability {
  return { key: machineKey(machine), machine, mode, ...(unavailability ? { unavailability } : {}) };
}

const hostnames = (ranking: ReturnType<typeof rankPlacement>) => ranking.map((p) => p.machine.hostname);

describe('rankPlacement', () => {
  test('no maintenance first in the given order, then maintenance after the task (latest first), then down during it', () => {
    const maintenance = [
      entry(sim(1), 'DRAINING', { startMs: NOW + 3 * HOUR, durationMs: HOUR }), // after a 1h task, 2h gap
      entry(sim(2), 'DOWN', { startMs: NOW - HOUR, durationMs: 2 * HOUR }), // back in 1h
      entry(sim(3), 'DRAINING', { startMs: NOW + 5 * HOUR }), // after, 4h gap
      entry(sim(4), 'DRAINING', { startMs: NOW + 30 * MIN, durationMs: HOUR }), // during: back at +1h30m
      entry(sim(5), 'DOWN', { startMs: NOW - HOUR }), // no end
    ];
    const candidates = [sim(5), sim(4), sim(1), sim(9), sim(3), sim(2), sim(8)];
    const ranking = rankPlacement(candidates, maintenance, NOW, HOUR);
    expect(ranking.map((p) => [p.machine.hostname, p.rank, p.class])).toEqual([
      ['sim-09', 1, 'NO_MAINTENANCE'],
      ['sim-08', 2, 'NO_MAINTENANCE'],
      ['sim-03', 3, 'MAINTENANCE_AFTER_TASK'],
      ['sim-01', 4, 'MAINTENANCE_AFTER_TASK'],
      ['sim-02', 5, 'DOWN_DURING_TASK'],
      ['sim-04', 6, 'DOWN_DURING_TASK'],
      ['sim-05', 7, 'DOWN_DURING_TASK'],
    ]);
    expect(ranking[0]).toEqual({ machine: sim(9), rank: 1, class: 'NO_MAINTENANCE', reason: 'no maintenance scheduled' });
    expect(ranking[2]!.unavailability).toEqual({ startMs: NOW + 5 * HOUR });
  });

  test('the reasons say when, and how it meets the task', () => {
    const maintenance = [
      entry(sim(1), 'DRAINING', { startMs: NOW + 4 * HOUR, durationMs: HOUR }),
      entry(sim(2), 'DOWN', { startMs: NOW - HOUR, durationMs: 3 * HOUR }),
      entry(sim(3), 'DRAINING', { startMs: NOW + 20 * MIN }),
      entry(sim(4), 'DOWN', { startMs: NOW - HOUR }),
      entry(sim(5), 'DRAINING', { startMs: NOW - 5 * MIN, durationMs: HOUR }),
    ];
    const reasons = Object.fromEntries(
      rankPlacement([sim(1), sim(2), sim(3), sim(4), sim(5)], maintenance, NOW, HOUR).map((p) => [p.machine.hostname, p.reason]),
    );
    expect(reasons).toEqual({
      'sim-01': 'maintenance starts 2026-11-25T16:00:00.000Z, 3h after the task would end',
      'sim-02': 'DOWN now; back UP 2026-11-25T14:00:00.000Z',
      'sim-03': 'maintenance starts 2026-11-25T12:20:00.000Z, 40m before the task would end; no end scheduled: back UP only when an operator says so',
      'sim-04': 'DOWN now; no end scheduled: back UP only when an operator says so',
      'sim-05': 'DRAINING, maintenance started 2026-11-25T11:55:00.000Z: it goes DOWN any moment; back UP 2026-11-25T12:55:00.000Z',
    });
  });

  test('a maintenance that starts exactly when the task ends is after it; a millisecond earlier is during it', () => {
    const at = (startMs: number) => rankPlacement([sim(1)], [entry(sim(1), 'DRAINING', { startMs, durationMs: HOUR })], NOW, HOUR)[0]!;
    expect(at(NOW + HOUR)).toMatchObject({ class: 'MAINTENANCE_AFTER_TASK', reason: expect.stringContaining('just as the task would end') });
    expect(at(NOW + HOUR - 1).class).toBe('DOWN_DURING_TASK');
  });

  test('a runtime of 0 fits before any future maintenance', () => {
    const [p] = rankPlacement([sim(1)], [entry(sim(1), 'DRAINING', { startMs: NOW + 1, durationMs: HOUR })], NOW, 0);
    expect(p!.class).toBe('MAINTENANCE_AFTER_TASK');
  });

  test('DOWN machines come back soonest first, those with no end last, ties in the given order', () => {
    const maintenance = [
      entry(sim(1), 'DOWN', { startMs: NOW - HOUR }),
      entry(sim(2), 'DOWN', { startMs: NOW - HOUR, durationMs: 5 * HOUR }),
      entry(sim(3), 'DOWN', { startMs: NOW - HOUR, durationMs: 2 * HOUR }),
      entry(sim(4), 'DOWN'),
      entry(sim(5), 'DRAINING', { startMs: NOW + 10 * MIN, durationMs: HOUR }),
    ];
    const ranking = rankPlacement([sim(1), sim(2), sim(3), sim(4), sim(5)], maintenance, NOW, HOUR);
    expect(hostnames(ranking)).toEqual(['sim-03', 'sim-05', 'sim-02', 'sim-01', 'sim-04']);
    expect(ranking[4]!.reason).toBe('DOWN now, with no end of maintenance known');
  });

  test('machines out of maintenance (UP, or a maintenance all in the past) have none', () => {
    const maintenance = [
      entry(sim(1), 'UP'),
      entry(sim(2), 'UP', { startMs: NOW - 2 * HOUR, durationMs: HOUR }),
    ];
    const ranking = rankPlacement([sim(1), sim(2)], maintenance, NOW, HOUR);
    expect(ranking.map((p) => p.class)).toEqual(['NO_MAINTENANCE', 'NO_MAINTENANCE']);
  });

  test('a DOWN machine whose maintenance ended is still down during the task, back any moment', () => {
    const [p] = rankPlacement([sim(1)], [entry(sim(1), 'DOWN', { startMs: NOW - 2 * HOUR, durationMs: HOUR })], NOW, HOUR);
    expect(p).toMatchObject({ class: 'DOWN_DURING_TASK', reason: expect.stringContaining('back UP any moment') });
  });

  test('when several entries match a candidate, the worst for the task counts', () => {
    const maintenance = [
      entry({ hostname: 'sim-01' }, 'DRAINING', { startMs: NOW + 10 * HOUR }),
      entry({ ip: '192.0.2.1' }, 'DOWN', { startMs: NOW - HOUR, durationMs: 2 * HOUR }),
    ];
    expect(rankPlacement([sim(1)], maintenance, NOW, HOUR)[0]!.class).toBe('DOWN_DURING_TASK');
  });

  test('every candidate is ranked once, also a candidate named twice; an empty view ranks all as free', () => {
    const ranking = rankPlacement([sim(1), sim(1), sim(2)], [], NOW, HOUR);
    expect(ranking.map((p) => p.rank)).toEqual([1, 2, 3]);
    expect(ranking.every((p) => p.class === 'NO_MAINTENANCE')).toBe(true);
  });
});

describe('coveredBy: which maintenance entries a candidate may be', () => {
  test('Mesos equality is a match: same parts, hostnames in any ASCII case', () => {
    expect(coveredBy(sim(1), sim(1))).toBe(true);
    expect(coveredBy({ hostname: 'SIM-01', ip: '192.0.2.1' }, sim(1))).toBe(true);
  });

  test('an entry scheduled by hostname only covers that host whatever its ip (Mesos would say: another machine)', () => {
    expect(coveredBy(sim(1), { hostname: 'sim-01' })).toBe(true);
    expect(coveredBy(sim(1), { hostname: 'Sim-01' })).toBe(true);
  });

  test('an entry by ip only covers that ip whatever the hostname', () => {
    expect(coveredBy(sim(1), { ip: '192.0.2.1' })).toBe(true);
  });

  test('a candidate named by less than the entry still matches when what it gives agrees', () => {
    expect(coveredBy({ hostname: 'sim-01' }, sim(1))).toBe(true);
    expect(coveredBy({ ip: '192.0.2.1' }, sim(1))).toBe(true);
  });

  test('a part that differs is another machine: two ips under one hostname, or another hostname on the ip', () => {
    expect(coveredBy(sim(1), { hostname: 'sim-01', ip: '192.0.2.99' })).toBe(false);
    expect(coveredBy(sim(1), { hostname: 'sim-99', ip: '192.0.2.1' })).toBe(false);
  });

  test('nothing in common is no match: a hostname against an ip, even with the same text; empty parts name nothing', () => {
    expect(coveredBy({ hostname: '192.0.2.1' }, { ip: '192.0.2.1' })).toBe(false);
    expect(coveredBy({ hostname: '', ip: '192.0.2.1' }, { hostname: '' })).toBe(false);
  });

  test('case folding is ASCII only, as Mesos compares hostnames', () => {
    expect(coveredBy({ hostname: 'É' }, { hostname: 'é' })).toBe(false);
  });
});

describe('MachineIndex', () => {
  test('finds exactly what comparing each with each finds, in the same order (random machines, seeded)', () => {
    const random = seededRandom(seedFrom(process.env.PLACEMENT_SEED));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random.next() * xs.length)]!;
    // Few names, so that machines meet: case differences, empty parts and missing parts included.
    const hostnames = [undefined, '', 'a', 'A', 'b', 'B-1', 'b-1', 'É', 'é'];
    const ips = [undefined, '', '10.0.0.1', '10.0.0.2', '10.0.0.3'];
    const machine = (): MachineId => {
      const [hostname, ip] = [pick(hostnames), pick(ips)];
      return { ...(hostname === undefined ? {} : { hostname }), ...(ip === undefined ? {} : { ip }) };
    };
    for (let round = 0; round < 200; round++) {
      const items = Array.from({ length: Math.floor(random.between(0, 30)) }, machine);
      const index = new MachineIndex(items, (m) => m);
      for (let q = 0; q < 20; q++) {
        const candidate = machine();
        expect({ seed: random.seed, found: index.covering(candidate) }).toEqual({ seed: random.seed, found: items.filter((m) => coveredBy(candidate, m)) });
      }
    }
  });
});
