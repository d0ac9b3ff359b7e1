// Durations (Go style, whole units) and Mesos int64 nanoseconds, which must never pass through a float.
import { parseJson, stringifyJson } from '../../src/lib/json';
import {
  formatDuration,
  INT64_MAX,
  INT64_MIN,
  msToNanos,
  nanosToMs,
  parseDuration,
  parseNanos,
} from '../../src/domain/time';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('parseDuration', () => {
  test.each([
    ['500ms', 500],
    ['1ms', 1],
    ['90s', 90 * SECOND],
    ['30m', 30 * MINUTE],
    ['1h', HOUR],
    ['2d', 2 * DAY],
    ['0s', 0],
  ])('reads a single unit: %p', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['1h30m', HOUR + 30 * MINUTE],
    ['1m30s', MINUTE + 30 * SECOND],
    ['1m1ms', MINUTE + 1],
    ['1d2h3m4s5ms', DAY + 2 * HOUR + 3 * MINUTE + 4 * SECOND + 5],
  ])('adds up compounds: %p', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each([
    ['a fraction', '1.5h'],
    ['words', '1 hour'],
    ['a space between amount and unit', '1 h'],
    ['the empty string', ''],
    ['a unit without an amount', 'h'],
    ['an amount without a unit', '90'],
    ['a trailing amount without a unit', '1m30'],
    ['a negative duration', '-1h'],
    ['a plus sign', '+1h'],
    ['an upper-case unit', '1H'],
    ['an unknown unit', '1w'],
    ['microseconds', '10us'],
    ['surrounding whitespace', ' 1h '],
    ['an exponent', '1e3s'],
  ])('rejects %s (%p)', (_why, text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  test('accepts the largest whole-day count that fits a safe integer of milliseconds', () => {
    expect(parseDuration('104249991d')).toBe(104_249_991 * DAY);
  });

  test('rejects a duration beyond Number.MAX_SAFE_INTEGER milliseconds', () => {
    expect(parseDuration('104249992d')).toBeUndefined();
    expect(parseDuration('99999999999999999999999h')).toBeUndefined();
  });

  test('rejects a sum that overflows even when each part fits', () => {
    expect(parseDuration('104249991d104249991d')).toBeUndefined();
  });
});

describe('formatDuration', () => {
  test.each([
    [0, '0s'],
    [1, '1ms'],
    [90 * SECOND, '1m30s'],
    [HOUR + 30 * MINUTE, '1h30m'],
    [DAY, '1d'],
    [DAY + HOUR + MINUTE + SECOND + 1, '1d1h1m1s1ms'],
    [-(HOUR + 30 * MINUTE), '-1h30m'],
  ])('writes %p as %p', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  test.each([0, 1, 999, SECOND, 61 * SECOND, 5_400_000, DAY - 1, 3 * DAY + 7, 104_249_991 * DAY])(
    'round trips %p through parseDuration',
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );
});

describe('parseNanos', () => {
  const MESOS_START = 1443830400000000000n; // docs example, beyond 2^53

  test('keeps a BigInt as is', () => {
    expect(parseNanos(MESOS_START)).toBe(MESOS_START);
  });

  test('reads a numeric string exactly', () => {
    expect(parseNanos('1443830400000000000')).toBe(MESOS_START);
    expect(parseNanos('1443830400000000001')).toBe(MESOS_START + 1n);
  });

  test('reads int64 max as BigInt and as a string', () => {
    expect(parseNanos(9223372036854775807n)).toBe(INT64_MAX);
    expect(parseNanos('9223372036854775807')).toBe(INT64_MAX);
  });

  test('reads int64 min, as start may be before the epoch', () => {
    expect(parseNanos('-9223372036854775808')).toBe(INT64_MIN);
    expect(parseNanos(-1)).toBe(-1n);
  });

  test('reads safe JS numbers', () => {
    expect(parseNanos(3600000000000)).toBe(3600000000000n);
    expect(parseNanos(0)).toBe(0n);
    expect(parseNanos(Number.MAX_SAFE_INTEGER)).toBe(9007199254740991n);
  });

  test('rejects an unsafe JS number: it was already rounded by a float', () => {
    const rounded = Number('1443830400000000001'); // actually 1443830400000000000 now
    expect(parseNanos(rounded)).toBeUndefined();
    expect(parseNanos(2 ** 53)).toBeUndefined();
  });

  test('rejects values beyond int64', () => {
    expect(parseNanos(INT64_MAX + 1n)).toBeUndefined();
    expect(parseNanos('9223372036854775808')).toBeUndefined();
    expect(parseNanos(INT64_MIN - 1n)).toBeUndefined();
    expect(parseNanos('-9223372036854775809')).toBeUndefined();
  });

  test.each([
    ['exponent notation', '1e9'],
    ['letters', 'abc'],
    ['the empty string', ''],
    ['a decimal string', '1.0'],
    ['a lone minus', '-'],
    ['hex', '0x10'],
  ])('rejects %s (%p)', (_why, text) => {
    expect(parseNanos(text)).toBeUndefined();
  });

  test.each([
    ['a fraction', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['null', null],
    ['undefined', undefined],
    ['an object', { nanoseconds: 1 }],
    ['a boolean', true],
  ])('rejects %s', (_why, value) => {
    expect(parseNanos(value)).toBeUndefined();
  });
});

describe('msToNanos / nanosToMs', () => {
  test('msToNanos is exact beyond 2^53 nanoseconds', () => {
    expect(msToNanos(1443830400000)).toBe(1443830400000000000n);
    expect(msToNanos(0)).toBe(0n);
    expect(msToNanos(-1)).toBe(-1_000_000n);
  });

  test('nanosToMs is exact for whole milliseconds', () => {
    expect(nanosToMs(1443830400000000000n)).toBe(1443830400000);
    expect(nanosToMs(-1_000_000n)).toBe(-1);
  });

  test('nanosToMs floors a positive remainder', () => {
    expect(nanosToMs(1443830400000999999n)).toBe(1443830400000);
    expect(nanosToMs(1n)).toBe(0);
  });

  test('nanosToMs floors toward negative infinity for negatives (a start never moves later)', () => {
    expect(nanosToMs(-1n)).toBe(-1);
    expect(nanosToMs(-999_999n)).toBe(-1);
    expect(nanosToMs(-1_000_001n)).toBe(-2);
  });

  test('round trips milliseconds', () => {
    for (const ms of [0, 1, -1, 1443830400000, -1443830400000, Date.UTC(2026, 11, 1)]) {
      expect(nanosToMs(msToNanos(ms))).toBe(ms);
    }
  });
});

describe('parseJson / stringifyJson (lossless int64)', () => {
  test('parseJson keeps an integer beyond 2^53 exact as a BigInt', () => {
    const parsed = parseJson('{"start":{"nanoseconds":1443830400000000001}}') as { start: { nanoseconds: unknown } };
    expect(parsed.start.nanoseconds).toBe(1443830400000000001n);
  });

  test('stringifyJson writes a BigInt back as a bare number', () => {
    expect(stringifyJson({ nanoseconds: 1443830400000000001n })).toBe('{"nanoseconds":1443830400000000001}');
  });

  test('a Mesos body round trips byte for byte', () => {
    const text = '{"windows":[{"machine_ids":[{"hostname":"machine1","ip":"10.0.0.1"}],"unavailability":{"start":{"nanoseconds":1443830400000000001},"duration":{"nanoseconds":3600000000000}}}]}';
    expect(stringifyJson(parseJson(text))).toBe(text);
  });

  test('small numbers stay numbers', () => {
    expect(parseJson('{"a":5,"b":-1.5,"c":3600000000000,"d":9007199254740991}')).toEqual({
      a: 5,
      b: -1.5,
      c: 3600000000000,
      d: 9007199254740991,
    });
  });

  test('the first unsafe integer is a BigInt', () => {
    expect(parseJson('9007199254740992')).toBe(9007199254740992n);
  });

  test('int64 values parsed by parseJson are accepted by parseNanos exactly', () => {
    for (const text of ['1443830400000000000', '1443830400000000001', '9223372036854775807', '-9223372036854775808']) {
      expect(parseNanos(parseJson(text))).toBe(BigInt(text));
    }
  });

  test('parseJson throws SyntaxError on bad JSON', () => {
    expect(() => parseJson('{"a":')).toThrow(SyntaxError);
  });

  test('stringifyJson of undefined is "null"', () => {
    expect(stringifyJson(undefined)).toBe('null');
  });
});
