// MachineID rules as Mesos has them (docs/mesos-maintenance.md §1.1, §3): presence must match, hostnames compare
// lowercased (ASCII, as stout's strings::lower does), ips exactly; validation texts are Mesos' own.
import {
  firstDuplicate,
  isIPv4,
  machineIdError,
  machineJson,
  machineKey,
  sameMachine,
  type MachineId,
} from '../../src/domain/machine';

describe('sameMachine (Mesos MachineID equality)', () => {
  test('hostnames compare case-insensitively', () => {
    expect(sameMachine({ hostname: 'Machine1', ip: '10.0.0.1' }, { hostname: 'machine1', ip: '10.0.0.1' })).toBe(true);
  });

  test('ips compare exactly', () => {
    expect(sameMachine({ ip: '10.0.0.1' }, { ip: '10.0.0.1' })).toBe(true);
    expect(sameMachine({ ip: '10.0.0.1' }, { ip: '10.0.0.2' })).toBe(false);
  });

  test('a hostname-only machine differs from the same hostname with an empty ip (presence must match)', () => {
    expect(sameMachine({ hostname: 'a' }, { hostname: 'a', ip: '' })).toBe(false);
  });

  test('an ip-only machine differs from the same ip with an empty hostname', () => {
    expect(sameMachine({ ip: '10.0.0.1' }, { hostname: '', ip: '10.0.0.1' })).toBe(false);
  });

  test('a hostname-only entry never equals the same host with an ip (it would not match a live agent)', () => {
    expect(sameMachine({ hostname: 'a' }, { hostname: 'a', ip: '10.0.0.1' })).toBe(false);
  });

  test('a hostname never equals an ip with the same text', () => {
    expect(sameMachine({ hostname: '10.0.0.1' }, { ip: '10.0.0.1' })).toBe(false);
  });

  test('non-ASCII letters are not case-folded: Mesos lowercases bytes with ::tolower, ASCII only', () => {
    // strings::lower (stout) maps A-Z only; "É" and "é" are different UTF-8 bytes, so different machines in Mesos.
    expect(sameMachine({ hostname: 'HÔTE' }, { hostname: 'hÔte' })).toBe(true);
    expect(sameMachine({ hostname: 'É' }, { hostname: 'é' })).toBe(false);
    // U+212A KELVIN SIGN lowercases to ASCII "k" in JavaScript, but is never "k" in Mesos.
    expect(sameMachine({ hostname: '\u212Aube' }, { hostname: 'kube' })).toBe(false);
  });
});

describe('machineKey', () => {
  test('is the documented form h=<lowercased hostname>;i=<ip>', () => {
    expect(machineKey({ hostname: 'Sim-07', ip: '192.0.2.7' })).toBe('h=sim-07;i=192.0.2.7');
    expect(machineKey({ hostname: 'sim-07' })).toBe('h=sim-07');
    expect(machineKey({ ip: '192.0.2.7' })).toBe('i=192.0.2.7');
  });

  test('is stable: the same machine spelled differently, or with fields in another order, gives the same key', () => {
    const a = machineKey({ hostname: 'MACHINE1', ip: '10.0.0.1' });
    const b = machineKey({ ip: '10.0.0.1', hostname: 'machine1' });
    expect(a).toBe(b);
    expect(machineKey({ hostname: 'MACHINE1', ip: '10.0.0.1' })).toBe(a);
  });

  test('keeps presence: an empty ip is part of the key', () => {
    expect(machineKey({ hostname: 'a', ip: '' })).not.toBe(machineKey({ hostname: 'a' }));
    expect(machineKey({ hostname: '', ip: '1.2.3.4' })).not.toBe(machineKey({ ip: '1.2.3.4' }));
  });

  test('does not collide for hostnames containing the separators ";" and "=" or the escape "%"', () => {
    const tricky: MachineId[] = [
      { hostname: 'a', ip: '1.2.3.4' },
      { hostname: 'a;i=1.2.3.4' },
      { hostname: 'a;i=1.2.3.4', ip: '' },
      { hostname: 'a%3Bi%3D1.2.3.4' },
      { hostname: 'a%253Bi%253D1.2.3.4' },
      { hostname: 'h=a' },
      { hostname: '=' },
      { hostname: ';' },
      { hostname: '%' },
      { hostname: '%25' },
      { ip: 'h=a' },
      { hostname: 'a', ip: ';' },
      { hostname: 'a;', ip: '' },
      { hostname: '' },
      { ip: '' },
      { hostname: '', ip: '' },
      {},
    ];
    const keys = tricky.map(machineKey);
    expect(new Set(keys).size).toBe(tricky.length);
  });

  test('does not collide for unicode hostnames, and equal ones share a key', () => {
    const names = ['hôte', 'hote', 'höte', '主机', '主機', 'xn--hte-ppa', 'ホスト', 'emoji-🚀', 'emoji-🛸'];
    const keys = names.map((hostname) => machineKey({ hostname }));
    expect(new Set(keys).size).toBe(names.length);
    expect(machineKey({ hostname: 'emoji-🚀' })).toBe(keys[7]);
  });

  test('ips are not case-folded in the key', () => {
    expect(machineKey({ ip: 'ABC' })).not.toBe(machineKey({ ip: 'abc' }));
  });

  test('gives a key (not an exception) for any JavaScript string, even a lone surrogate', () => {
    // JSON allows "\ud800"; the schema accepts it as a non-empty hostname, so the key must not throw (URIError).
    expect(() => machineKey({ hostname: 'bad-\ud800' })).not.toThrow();
  });

  test('the key is the same as code point by code point, lone surrogates or not (keys recorded in histories stay)', () => {
    // The encoding every key was made with before text without a lone surrogate was encoded in one call.
    const perCodePoint = (text: string) =>
      Array.from(text, (ch) => (/^\p{Cs}$/u.test(ch) ? `%u${ch.charCodeAt(0).toString(16).toUpperCase()}` : encodeURIComponent(ch))).join('');
    const texts = ['sim-01', '192.0.2.1', 'a;b=c%d', 'É-é', 'emoji-🚀', 'bad-\ud800', '\udfff-x', 'pair-\ud83d\ude80-lone-\ud83d', ' ', ''];
    for (const text of texts) {
      expect(machineKey({ ip: text })).toBe(`i=${perCodePoint(text)}`);
      expect(machineKey({ hostname: text })).toBe(`h=${perCodePoint(text.replace(/[A-Z]/g, (c) => c.toLowerCase()))}`);
    }
  });
});

describe('machineJson (Mesos compact JSON, as printed in error texts)', () => {
  test('prints hostname then ip, compact, in the spelling given', () => {
    expect(machineJson({ hostname: 'Machine1', ip: '10.0.0.1' })).toBe('{"hostname":"Machine1","ip":"10.0.0.1"}');
  });

  test('keeps protobuf field order whatever the object order', () => {
    expect(machineJson({ ip: '10.0.0.1', hostname: 'm' })).toBe('{"hostname":"m","ip":"10.0.0.1"}');
  });

  test('prints only the fields that are present, including present-but-empty ones', () => {
    expect(machineJson({ hostname: 'a' })).toBe('{"hostname":"a"}');
    expect(machineJson({ ip: '10.0.0.1' })).toBe('{"ip":"10.0.0.1"}');
    expect(machineJson({ hostname: 'a', ip: '' })).toBe('{"hostname":"a","ip":""}');
  });

  test('leaves out fields that are not part of a MachineID', () => {
    const withExtra = { hostname: 'a', agentId: 'S1' } as MachineId;
    expect(machineJson(withExtra)).toBe('{"hostname":"a"}');
  });

  test('escapes quotes and backslashes and keeps unicode as is', () => {
    expect(machineJson({ hostname: 'a"b\\c' })).toBe('{"hostname":"a\\"b\\\\c"}');
    expect(machineJson({ hostname: 'hôte-主机' })).toBe('{"hostname":"hôte-主机"}');
  });
});

describe('isIPv4 (glibc inet_pton(AF_INET))', () => {
  test.each(['0.0.0.0', '255.255.255.255', '192.0.2.1', '10.0.0.1', '1.2.3.0', '100.20.3.40'])('accepts %p', (ip) => {
    expect(isIPv4(ip)).toBe(true);
  });

  test.each([
    ['a leading zero', '01.2.3.4'],
    ['a leading zero in the last octet', '1.2.3.04'],
    ['a double zero', '00.0.0.0'],
    ['three parts', '1.2.3'],
    ['five parts', '1.2.3.4.5'],
    ['an octet above 255', '256.1.1.1'],
    ['a four-digit octet', '1000.1.1.1'],
    ['a leading space', ' 1.2.3.4'],
    ['a trailing space', '1.2.3.4 '],
    ['a trailing newline', '1.2.3.4\n'],
    ['a trailing dot', '1.2.3.4.'],
    ['an empty part', '1..2.3'],
    ['a sign', '+1.2.3.4'],
    ['hex', '0x1.2.3.4'],
    ['a single number', '16909060'],
    ['IPv6 loopback', '::1'],
    ['IPv6', '2001:db8::1'],
    ['IPv4-mapped IPv6', '::ffff:1.2.3.4'],
    ['non-ASCII digits', '١.٢.٣.٤'],
    ['a CIDR suffix', '1.2.3.4/32'],
    ['a port', '1.2.3.4:80'],
    ['the empty string', ''],
  ])('rejects %s (%p)', (_why, ip) => {
    expect(isIPv4(ip)).toBe(false);
  });
});

describe('machineIdError (Mesos validation texts)', () => {
  test('neither hostname nor ip', () => {
    expect(machineIdError({})).toBe("Both 'hostname' and 'ip' for a machine are empty");
  });

  test('both present but empty', () => {
    expect(machineIdError({ hostname: '', ip: '' })).toBe("Both 'hostname' and 'ip' for a machine are empty");
  });

  test('an ip that is not IPv4, echoed as given', () => {
    expect(machineIdError({ hostname: 'a', ip: '::1' })).toBe('Failed to parse IPv4: ::1');
    expect(machineIdError({ ip: '01.2.3.4' })).toBe('Failed to parse IPv4: 01.2.3.4');
  });

  test('a hostname alone is valid (listed, even if it never matches an agent)', () => {
    expect(machineIdError({ hostname: 'a' })).toBeUndefined();
  });

  test('an ip alone is valid', () => {
    expect(machineIdError({ ip: '10.0.0.1' })).toBeUndefined();
  });

  test('an empty ip next to a hostname is not parsed', () => {
    expect(machineIdError({ hostname: 'a', ip: '' })).toBeUndefined();
  });

  test('the hostname is not checked for syntax', () => {
    expect(machineIdError({ hostname: 'not a dns name!', ip: '10.0.0.1' })).toBeUndefined();
  });
});

describe('firstDuplicate', () => {
  test('finds none in distinct machines', () => {
    expect(firstDuplicate([{ hostname: 'a' }, { hostname: 'b' }, { hostname: 'a', ip: '1.2.3.4' }])).toBeUndefined();
  });

  test('finds a duplicate hostname in another case, and returns the later spelling (as Mesos prints it)', () => {
    const dup = firstDuplicate([{ hostname: 'Machine1' }, { hostname: 'other' }, { hostname: 'MACHINE1' }]);
    expect(dup).toEqual({ hostname: 'MACHINE1' });
  });

  test('does not count a hostname-only entry and the same hostname with an empty ip as duplicates', () => {
    expect(firstDuplicate([{ hostname: 'a' }, { hostname: 'a', ip: '' }])).toBeUndefined();
  });

  test('returns the first machine that repeats when several do', () => {
    const dup = firstDuplicate([{ ip: '1.1.1.1' }, { ip: '2.2.2.2' }, { ip: '2.2.2.2' }, { ip: '1.1.1.1' }]);
    expect(dup).toEqual({ ip: '2.2.2.2' });
  });

  test('finds nothing in an empty list', () => {
    expect(firstDuplicate([])).toBeUndefined();
  });
});
