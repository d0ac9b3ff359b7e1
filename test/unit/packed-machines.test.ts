import { packMachines, unpackMachines } from '../../src/domain/packed-machines';
import type { MachineUnavailability } from '../../src/domain/framework';
import { machineKey } from '../../src/domain/machine';

const entry = (n: number, mode: MachineUnavailability['mode'], startMs?: number): MachineUnavailability => {
  const machine = { hostname: `sim-${n}`, ip: `192.0.2.${n}` };
  return {
    key: machineKey(machine),
    machine,
    ...(n % 2 ? { agentId: `agent-sim-${n}` } : {}),
    mode,
    ...(startMs === undefined ? {} : { unavailability: { startMs, durationMs: 3_600_000, exact: { startNs: `${startMs}000000` } } }),
  };
};

test('packing keeps every machine as it was, writing each shared unavailability once', () => {
  const list = [entry(1, 'DRAINING', 1_000), entry(2, 'DOWN', 1_000), entry(3, 'DRAINING', 2_000), entry(4, 'UP')];
  const packed = packMachines(list);
  expect(packed.unavailabilities).toHaveLength(2);
  expect(unpackMachines(packed)).toEqual(list);
});

test('10,000 machines of one window pack well under the 2 MB payload limit', () => {
  const list = Array.from({ length: 10_000 }, (_, i) => entry(i + 1, 'DRAINING', 1_000));
  const packed = JSON.stringify(packMachines(list)).length;
  expect(packed).toBeLessThan(JSON.stringify(list).length / 2);
  expect(packed).toBeLessThan(1_000_000);
});

test('state written before packing (a plain list) and no state at all still read', () => {
  const list = [entry(1, 'DRAINING', 1_000)];
  expect(unpackMachines(list)).toEqual(list);
  expect(unpackMachines(undefined)).toEqual([]);
});
