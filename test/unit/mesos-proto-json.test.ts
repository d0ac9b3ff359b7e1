// Mesos' JSON → protobuf conversion (stout's JSON::parse and protobuf::parse, picojson underneath): every error text,
// and the int64 exactness the maintenance endpoints need (docs/mesos-maintenance.md §1.2, §2).
import {
  parseJsonBody,
  parseMessage,
  parseRepeatedMessages,
  type JsonValue,
  type MessageDescriptor,
} from '../../src/mesos/proto-json';
import {
  CALL_TYPES,
  IMPLEMENTED_CALL_TYPES,
  NOT_IMPLEMENTED_CALL_TYPES,
  durationToNanos,
  parseMachineList,
  parseMasterCall,
  parseSchedule,
  validateMasterCall,
  type MasterCall,
} from '../../src/mesos/messages';

function scheduleError(text: string): string | undefined {
  const parsed = parseSchedule(text);
  return parsed.ok ? undefined : parsed.error;
}

function callError(text: string): string | undefined {
  const parsed = parseMasterCall(text);
  return parsed.ok ? undefined : parsed.error;
}

function parsedCall(text: string): MasterCall {
  const parsed = parseMasterCall(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function json(text: string): JsonValue {
  const parsed = parseJsonBody(text, 'any');
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const window = (unavailability: string, machines = '[{"hostname":"a"}]') =>
  `{"machine_ids":${machines},"unavailability":${unavailability}}`;

/** A descriptor with every kind, to reach the conversions the Mesos messages do not use. */
const Kinds: MessageDescriptor = {
  name: 'test.Kinds',
  fields: [
    { name: 'i64', number: 1, kind: 'int64' },
    { name: 'u64', number: 2, kind: 'uint64' },
    { name: 'i32', number: 3, kind: 'int32' },
    { name: 'u32', number: 4, kind: 'uint32' },
    { name: 'd', number: 5, kind: 'double' },
    { name: 'b', number: 6, kind: 'bool' },
    { name: 's', number: 7, kind: 'string' },
    { name: 'e', number: 8, kind: 'enum', enumValues: ['A', 'B'] },
    { name: 're', number: 9, kind: 'enum', enumValues: ['A', 'B'], required: true },
    { name: 'ri', number: 10, kind: 'int64', repeated: true },
    { name: 'rs', number: 11, kind: 'string', repeated: true },
  ],
};

function kinds(text: string): Record<string, unknown> {
  const parsed = parseMessage(Kinds, json(text));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

function kindsError(text: string): string | undefined {
  const parsed = parseMessage(Kinds, json(text));
  return parsed.ok ? undefined : parsed.error;
}

describe('parseJsonBody (stout JSON::parse over picojson)', () => {
  test('an empty body is a syntax error, as is a body of whitespace', () => {
    expect(parseJsonBody('', 'object')).toEqual({ ok: false, error: 'syntax error at line 1 near: ' });
    expect(parseJsonBody(' \n', 'object')).toEqual({ ok: false, error: 'syntax error at line 1 near: ' });
    // picojson counts a line when it reads the character after a newline.
    expect(parseJsonBody(' \n\t', 'object')).toEqual({ ok: false, error: 'syntax error at line 2 near: ' });
  });

  test('a syntax error quotes the rest of its line from where picojson stopped', () => {
    expect(parseJsonBody('{"windows": [}', 'object')).toEqual({ ok: false, error: 'syntax error at line 1 near: }' });
    expect(parseJsonBody('{"windows": x, "y": 1}', 'object')).toEqual({
      ok: false,
      error: 'syntax error at line 1 near: x, "y": 1}',
    });
    expect(parseJsonBody('{"a": tru}', 'object')).toEqual({ ok: false, error: 'syntax error at line 1 near: }' });
    expect(parseJsonBody('[1,]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: ]' });
    expect(parseJsonBody("{'a': 1}", 'object')).toEqual({ ok: false, error: "syntax error at line 1 near: 'a': 1}" });
  });

  test('lines count from 1, the quote stops at the end of the line and drops control characters', () => {
    expect(parseJsonBody('{\n  "a": x\ty\n}', 'object')).toEqual({ ok: false, error: 'syntax error at line 2 near: xy' });
  });

  test('a string ends at a raw control character; bad escapes are syntax errors', () => {
    expect(parseJsonBody('["a\tb"]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: b"]' });
    expect(parseJsonBody('["\\x"]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: "]' });
    expect(parseJsonBody('["\\udc00"]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: "]' });
    expect(parseJsonBody('["abc', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: ' });
  });

  test('escapes, surrogate pairs and non-ASCII text decode', () => {
    expect(json('["\\u00e9\\ud83d\\ude00\\n\\/", "é😀"]')).toEqual(['é😀\n/', 'é😀']);
  });

  test('trailing characters after the value, quoted from right after it', () => {
    expect(parseJsonBody('{} x', 'object')).toEqual({
      ok: false,
      error: 'Parsed JSON included non-whitespace trailing characters:  x',
    });
    expect(parseJsonBody('{}}\n', 'object')).toEqual({
      ok: false,
      error: 'Parsed JSON included non-whitespace trailing characters: }',
    });
    expect(parseJsonBody('[] [] ', 'array')).toEqual({
      ok: false,
      error: 'Parsed JSON included non-whitespace trailing characters:  []',
    });
  });

  test('after a number, picojson is one character further on (Mesos loses that character from the text)', () => {
    expect(parseJsonBody('12abc', 'any')).toEqual({
      ok: false,
      error: 'Parsed JSON included non-whitespace trailing characters: bc',
    });
    expect(parseJsonBody('12 ', 'any')).toEqual({
      ok: false,
      error: 'Parsed JSON included non-whitespace trailing characters: ',
    });
  });

  test('whitespace around the value is fine', () => {
    expect(parseJsonBody(' \r\n{} \n', 'object').ok).toBe(true);
  });

  test('a value of another type than expected', () => {
    expect(parseJsonBody('[]', 'object')).toEqual({ ok: false, error: 'Unexpected JSON type parsed' });
    expect(parseJsonBody('{}', 'array')).toEqual({ ok: false, error: 'Unexpected JSON type parsed' });
    expect(parseJsonBody('null', 'object')).toEqual({ ok: false, error: 'Unexpected JSON type parsed' });
    expect(parseJsonBody('"x"', 'any')).toEqual({ ok: true, value: 'x' });
  });

  test('a number beyond double range', () => {
    expect(parseJsonBody('[1e400]', 'array')).toEqual({ ok: false, error: 'Value out of range' });
  });

  test('malformed numbers', () => {
    expect(parseJsonBody('[1.2.3]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: ]' });
    expect(parseJsonBody('[-]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: ]' });
    expect(parseJsonBody('[+1]', 'array')).toEqual({ ok: false, error: 'syntax error at line 1 near: +1]' });
  });

  test('nesting deeper than 200 is a syntax error', () => {
    expect(parseJsonBody('['.repeat(200) + ']'.repeat(200), 'array').ok).toBe(true);
    expect(parseJsonBody('['.repeat(201) + ']'.repeat(201), 'array')).toEqual({
      ok: false,
      error: `syntax error at line 1 near: ${']'.repeat(201)}`,
    });
  });

  test('int64 stays exact; other numbers are doubles; a repeated key keeps its last value', () => {
    const value = json('{"a": 1443830400000000000, "b": 1.5, "c": 9223372036854775808, "a": -1e3}');
    expect(value).toEqual(
      new Map<string, JsonValue>([
        ['a', { kind: 'float', value: -1000 }],
        ['b', { kind: 'float', value: 1.5 }],
        ['c', { kind: 'float', value: 9223372036854775808 }],
      ]),
    );
    expect(json('[1443830400000000000, -0, 007]')).toEqual([
      { kind: 'int', value: 1443830400000000000n },
      { kind: 'int', value: 0n },
      { kind: 'int', value: 7n },
    ]);
  });
});

describe('parseSchedule (protobuf::parse<Schedule>)', () => {
  test('nanoseconds as a number or a numeric string both parse exactly', () => {
    for (const start of ['1443830400000000000', '"1443830400000000000"']) {
      const parsed = parseSchedule(`{"windows":[${window(`{"start":{"nanoseconds":${start}}}`)}]}`);
      expect(parsed).toEqual({
        ok: true,
        value: {
          windows: [
            { machine_ids: [{ hostname: 'a' }], unavailability: { start: { nanoseconds: 1443830400000000000n } } },
          ],
        },
      });
    }
  });

  test('{} is the empty schedule', () => {
    expect(parseSchedule('{}')).toEqual({ ok: true, value: { windows: [] } });
  });

  test('unknown keys are ignored, at any depth', () => {
    const parsed = parseSchedule(
      '{"x":1,"windows":[{"machine_ids":[{"hostname":"a","port":5}],' +
        '"unavailability":{"start":{"nanoseconds":1,"u":[]}},"y":{}}]}',
    );
    expect(parsed.ok && parsed.value.windows[0].machine_ids).toEqual([{ hostname: 'a' }]);
  });

  test('a negative start is accepted', () => {
    const parsed = parseSchedule(`{"windows":[${window('{"start":{"nanoseconds":-5}}')}]}`);
    expect(parsed.ok && parsed.value.windows[0].unavailability.start.nanoseconds).toBe(-5n);
  });

  test('null is absent: "hostname": null has no hostname, "hostname": "" has one', () => {
    const parsed = parseSchedule(
      `{"windows":[${window('{"start":{"nanoseconds":0}}', '[{"hostname":null,"ip":"10.0.0.1"},{"hostname":""}]')}]}`,
    );
    expect(parsed.ok && parsed.value.windows[0].machine_ids).toEqual([{ ip: '10.0.0.1' }, { hostname: '' }]);
    const first = parsed.ok ? parsed.value.windows[0].machine_ids[0] : {};
    expect('hostname' in first).toBe(false);
  });

  test('a duration is kept; null leaves it unset', () => {
    const withDuration = parseSchedule(
      `{"windows":[${window('{"start":{"nanoseconds":1},"duration":{"nanoseconds":"3600000000000"}}')}]}`,
    );
    expect(withDuration.ok && withDuration.value.windows[0].unavailability.duration).toEqual({
      nanoseconds: 3600000000000n,
    });
    const nullDuration = parseSchedule(`{"windows":[${window('{"start":{"nanoseconds":1},"duration":null}')}]}`);
    expect(nullDuration.ok && 'duration' in nullDuration.value.windows[0].unavailability).toBe(false);
  });

  test('JSON errors come back as such (stage json)', () => {
    expect(parseSchedule('')).toEqual({ ok: false, error: 'syntax error at line 1 near: ', stage: 'json' });
    expect(parseSchedule('[]')).toEqual({ ok: false, error: 'Unexpected JSON type parsed', stage: 'json' });
  });

  test('Missing required fields: a window without unavailability', () => {
    expect(parseSchedule('{"windows":[{"machine_ids":[{"hostname":"a"}]}]}')).toEqual({
      ok: false,
      error: 'Missing required fields: windows[0].unavailability',
      stage: 'proto',
    });
  });

  test('Missing required fields: every missing field, in protobuf order, at any depth', () => {
    expect(
      scheduleError(
        `{"windows":[${window('{"start":{},"duration":{}}')},${window('{}')},${window('{"start":{"nanoseconds":1}}')},{}]}`,
      ),
    ).toBe(
      'Missing required fields: windows[0].unavailability.start.nanoseconds, ' +
        'windows[0].unavailability.duration.nanoseconds, windows[1].unavailability.start, windows[3].unavailability',
    );
  });

  test('Not expecting a JSON string for a message field', () => {
    expect(scheduleError(`{"windows":[${window('"soon"')}]}`)).toBe(
      "Not expecting a JSON string for field 'unavailability'",
    );
  });

  test('Not expecting a JSON object for a scalar field', () => {
    expect(scheduleError(`{"windows":[${window('{"start":{"nanoseconds":1}}', '[{"hostname":{}}]')}]}`)).toBe(
      "Not expecting a JSON object for field 'hostname'",
    );
  });

  test('Not expecting a JSON number / boolean for a field of another type', () => {
    expect(scheduleError('{"windows":5}')).toBe("Not expecting a JSON number for field 'windows'");
    expect(scheduleError('{"windows":true}')).toBe("Not expecting a JSON boolean for field 'windows'");
    expect(scheduleError(`{"windows":[${window('{"start":{"nanoseconds":1}}', '[{"ip":1}]')}]}`)).toBe(
      "Not expecting a JSON number for field 'ip'",
    );
    expect(scheduleError(`{"windows":[${window('{"start":{"nanoseconds":false}}')}]}`)).toBe(
      "Not expecting a JSON boolean for field 'nanoseconds'",
    );
  });

  test('Not expecting a JSON array for a non-repeated field', () => {
    expect(scheduleError(`{"windows":[${window('[]')}]}`)).toBe("Not expecting a JSON array for field 'unavailability'");
  });

  test('Failed to parse a string as a JSON number, with the JSON error', () => {
    const at = (nanos: string) => scheduleError(`{"windows":[${window(`{"start":{"nanoseconds":${nanos}}}`)}]}`);
    expect(at('"soon"')).toBe(
      "Failed to parse 'soon' as a JSON number for field 'nanoseconds': syntax error at line 1 near: soon",
    );
    expect(at('"12abc"')).toBe(
      "Failed to parse '12abc' as a JSON number for field 'nanoseconds': " +
        'Parsed JSON included non-whitespace trailing characters: bc',
    );
    expect(at('"5 "')).toBe(
      "Failed to parse '5 ' as a JSON number for field 'nanoseconds': " +
        'Parsed JSON included non-whitespace trailing characters: ',
    );
    expect(at('"\\"5\\""')).toBe(
      `Failed to parse '"5"' as a JSON number for field 'nanoseconds': Unexpected JSON type parsed`,
    );
    expect(at('""')).toBe("Failed to parse '' as a JSON number for field 'nanoseconds': syntax error at line 1 near: ");
    expect(at('"1e999"')).toBe("Failed to parse '1e999' as a JSON number for field 'nanoseconds': Value out of range");
  });

  test('a numeric string may have leading whitespace', () => {
    const parsed = parseSchedule(`{"windows":[${window('{"start":{"nanoseconds":" 7"}}')}]}`);
    expect(parsed.ok && parsed.value.windows[0].unavailability.start.nanoseconds).toBe(7n);
  });

  test('a fraction into an int64 truncates toward zero; an out-of-range double gives INT64_MIN', () => {
    expect(kinds('{"i64": 1.9, "re": "A"}').i64).toBe(1n);
    expect(kinds('{"i64": -1.9, "re": "A"}').i64).toBe(-1n);
    expect(kinds('{"i64": "2.5e3", "re": "A"}').i64).toBe(2500n);
    expect(kinds('{"i64": 1e19, "re": "A"}').i64).toBe(-9223372036854775808n);
    expect(kinds('{"i64": -9223372036854775808, "re": "A"}').i64).toBe(-9223372036854775808n);
  });

  test('a single value for a repeated field is one element; nested arrays flatten; null elements vanish', () => {
    const parsed = parseSchedule(
      `{"windows":${window('{"start":{"nanoseconds":1}}', '[[{"hostname":"a"}], null, {"ip":"10.0.0.1"}]')}}`,
    );
    expect(parsed.ok && parsed.value.windows.length).toBe(1);
    expect(parsed.ok && parsed.value.windows[0].machine_ids).toEqual([{ hostname: 'a' }, { ip: '10.0.0.1' }]);
    expect(kinds('{"ri": 5, "rs": "x", "re": "A"}')).toMatchObject({ ri: [5n], rs: ['x'] });
  });

  test('fields apply in key order (std::map): the first error is the one whose key sorts first', () => {
    expect(scheduleError(`{"windows":[{"unavailability":1,"machine_ids":2}]}`)).toBe(
      "Not expecting a JSON number for field 'machine_ids'",
    );
  });

  test('a repeated key keeps its last value', () => {
    const parsed = parseSchedule(`{"windows":5,"windows":[]}`);
    expect(parsed).toEqual({ ok: true, value: { windows: [] } });
  });

  test('a parse error wins over missing required fields', () => {
    expect(scheduleError(`{"windows":[{"machine_ids":[{"ip":1}]}]}`)).toBe("Not expecting a JSON number for field 'ip'");
  });
});

describe('scalar kinds (stout Parser)', () => {
  test('bool from a boolean or a JSON boolean string', () => {
    expect(kinds('{"b": true, "re": "A"}').b).toBe(true);
    expect(kinds('{"b": " false ", "re": "A"}').b).toBe(false);
  });

  test('Failed to parse a string as a JSON boolean', () => {
    expect(kindsError('{"b": "yes"}')).toBe(
      "Failed to parse 'yes' as a JSON boolean for field 'b': syntax error at line 1 near: yes",
    );
    expect(kindsError('{"b": "1"}')).toBe(
      "Failed to parse '1' as a JSON boolean for field 'b': Unexpected JSON type parsed",
    );
  });

  test('Not expecting a JSON number / string for a bool field; boolean for a string field', () => {
    expect(kindsError('{"b": 1}')).toBe("Not expecting a JSON number for field 'b'");
    expect(kindsError('{"s": false}')).toBe("Not expecting a JSON boolean for field 's'");
  });

  test('enums: a known name is set; an unknown one leaves an optional enum unset', () => {
    expect(kinds('{"e": "B", "re": "A"}').e).toBe('B');
    expect('e' in kinds('{"e": "C", "re": "A"}')).toBe(false);
    expect(kindsError('{"e": 1, "re": "A"}')).toBe("Not expecting a JSON number for field 'e'");
  });

  test('Failed to find enum for an unknown name in a required enum', () => {
    expect(kindsError('{"re": "C"}')).toBe("Failed to find enum for 'C'");
  });

  test('Missing required fields at the top level', () => {
    expect(kindsError('{}')).toBe('Missing required fields: re');
  });

  test('32-bit and unsigned fields take what static_cast gives', () => {
    const v = kinds('{"i32": 4294967297, "u32": -1, "u64": -1, "re": "A"}');
    expect(v).toMatchObject({ i32: 1, u32: 4294967295, u64: 18446744073709551615n });
    expect(kinds('{"i32": 3e9, "u32": 1.5, "re": "A"}')).toMatchObject({ i32: -2147483648, u32: 1 });
  });

  test('doubles take Infinity spellings only as strings', () => {
    expect(kinds('{"d": "-Infinity", "re": "A"}').d).toBe(-Infinity);
    expect(kinds('{"d": 12, "re": "A"}').d).toBe(12);
    expect(kindsError('{"d": "NaN"}')).toBe(
      "Failed to parse 'NaN' as a JSON number for field 'd': syntax error at line 1 near: NaN",
    );
  });

  test('Expecting a JSON object / array at the top of a conversion', () => {
    expect(parseMessage(Kinds, [])).toEqual({ ok: false, error: 'Expecting a JSON object' });
    expect(parseRepeatedMessages(Kinds, new Map())).toEqual({ ok: false, error: 'Expecting a JSON array' });
  });
});

describe('parseMachineList (protobuf::parse<RepeatedPtrField<MachineID>>)', () => {
  test('an array of machines', () => {
    expect(parseMachineList('[{"hostname":"Machine1","ip":"10.0.0.1"},{"ip":"10.0.0.2"}]')).toEqual({
      ok: true,
      value: [{ hostname: 'Machine1', ip: '10.0.0.1' }, { ip: '10.0.0.2' }],
    });
    expect(parseMachineList('[]')).toEqual({ ok: true, value: [] });
  });

  test('a body that is not an array', () => {
    expect(parseMachineList('{"hostname":"a"}')).toEqual({
      ok: false,
      error: 'Unexpected JSON type parsed',
      stage: 'json',
    });
  });

  test('an element that is not an object', () => {
    expect(parseMachineList('[{"hostname":"a"}, "b"]')).toEqual({
      ok: false,
      error: 'Expecting a JSON object',
      stage: 'proto',
    });
  });

  test('an element with a bad field', () => {
    expect(parseMachineList('[{"hostname":["a"]}]')).toEqual({
      ok: false,
      error: "Not expecting a JSON array for field 'hostname'",
      stage: 'proto',
    });
  });
});

describe('parseMasterCall and validateMasterCall (v1 operator API)', () => {
  test('maintenance and drain calls parse into their typed shapes', () => {
    expect(
      parsedCall(
        '{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[' +
          window('{"start":{"nanoseconds":1443830400000000000}}') +
          ']}}}',
      ),
    ).toEqual({
      type: 'UPDATE_MAINTENANCE_SCHEDULE',
      update_maintenance_schedule: {
        schedule: {
          windows: [{ machine_ids: [{ hostname: 'a' }], unavailability: { start: { nanoseconds: 1443830400000000000n } } }],
        },
      },
    });
    expect(parsedCall('{"type":"START_MAINTENANCE","start_maintenance":{"machines":[{"hostname":"h","ip":"0.0.0.3"}]}}'))
      .toEqual({ type: 'START_MAINTENANCE', start_maintenance: { machines: [{ hostname: 'h', ip: '0.0.0.3' }] } });
    expect(
      parsedCall(
        '{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a1"},' +
          '"max_grace_period":{"seconds":600},"mark_gone":"true"}}',
      ),
    ).toEqual({
      type: 'DRAIN_AGENT',
      drain_agent: { agent_id: { value: 'a1' }, max_grace_period: { seconds: 600n, nanos: 0 }, mark_gone: true },
    });
  });

  test('google.protobuf.Duration into Mesos nanoseconds', () => {
    expect(durationToNanos({ seconds: 600n, nanos: 5 })).toBe(600000000005n);
    expect(durationToNanos({ seconds: -1n, nanos: 0 })).toBe(-1000000000n);
  });

  test('"10mins" for a grace period is a conversion error', () => {
    expect(callError('{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a"},"max_grace_period":"10mins"}}')).toBe(
      "Failed to convert JSON into Call protobuf: Not expecting a JSON string for field 'max_grace_period'",
    );
  });

  test('JSON errors carry "Failed to parse body into JSON: "', () => {
    expect(parseMasterCall('{')).toEqual({
      ok: false,
      error: 'Failed to parse body into JSON: syntax error at line 1 near: ',
      detail: 'syntax error at line 1 near: ',
      stage: 'json',
    });
  });

  test('conversion errors carry "Failed to convert JSON into Call protobuf: "', () => {
    expect(callError('[]')).toBe('Failed to convert JSON into Call protobuf: Expecting a JSON object');
    expect(callError('{"type":"DRAIN_AGENT","drain_agent":{}}')).toBe(
      'Failed to convert JSON into Call protobuf: Missing required fields: drain_agent.agent_id',
    );
    expect(callError('{"type":"DEACTIVATE_AGENT","deactivate_agent":{"agent_id":{}}}')).toBe(
      'Failed to convert JSON into Call protobuf: Missing required fields: deactivate_agent.agent_id.value',
    );
    expect(callError('{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{}}')).toBe(
      'Failed to convert JSON into Call protobuf: Missing required fields: update_maintenance_schedule.schedule',
    );
    expect(
      callError('{"type":"UPDATE_MAINTENANCE_SCHEDULE","update_maintenance_schedule":{"schedule":{"windows":[{}]}}}'),
    ).toBe(
      'Failed to convert JSON into Call protobuf: ' +
        'Missing required fields: update_maintenance_schedule.schedule.windows[0].unavailability',
    );
  });

  test('sub-messages are reported in field-number order', () => {
    expect(callError('{"drain_agent":{},"update_maintenance_schedule":{}}')).toBe(
      'Failed to convert JSON into Call protobuf: Missing required fields: ' +
        'update_maintenance_schedule.schedule, drain_agent.agent_id',
    );
  });

  test('an unknown type name leaves the type unset', () => {
    const call = parsedCall('{"type":"PAUSE_EVERYTHING"}');
    expect(call.type).toBeUndefined();
    expect(validateMasterCall(call)).toBe("Expecting 'type' to be present");
    expect(validateMasterCall(parsedCall('{}'))).toBe("Expecting 'type' to be present");
    expect(callError('{"type":1}')).toBe(
      "Failed to convert JSON into Call protobuf: Not expecting a JSON number for field 'type'",
    );
  });

  test.each([
    ['UPDATE_MAINTENANCE_SCHEDULE', 'update_maintenance_schedule'],
    ['START_MAINTENANCE', 'start_maintenance'],
    ['STOP_MAINTENANCE', 'stop_maintenance'],
    ['DRAIN_AGENT', 'drain_agent'],
    ['DEACTIVATE_AGENT', 'deactivate_agent'],
    ['REACTIVATE_AGENT', 'reactivate_agent'],
    ['MARK_AGENT_GONE', 'mark_agent_gone'],
    ['TEARDOWN', 'teardown'],
  ])('%s without its field: Expecting %s to be present', (type, field) => {
    expect(validateMasterCall(parsedCall(`{"type":"${type}"}`))).toBe(`Expecting '${field}' to be present`);
  });

  test('calls that need no field, and complete calls, are valid', () => {
    for (const type of ['UNKNOWN', 'GET_MAINTENANCE_SCHEDULE', 'GET_MAINTENANCE_STATUS', 'GET_AGENTS', 'GET_HEALTH']) {
      expect(validateMasterCall(parsedCall(`{"type":"${type}"}`))).toBeUndefined();
    }
    expect(validateMasterCall(parsedCall('{"type":"STOP_MAINTENANCE","stop_maintenance":{}}'))).toBeUndefined();
    const reactivate = parsedCall('{"type":"REACTIVATE_AGENT","reactivate_agent":{"agent_id":{"value":"a"}}}');
    expect(validateMasterCall(reactivate)).toBeUndefined();
  });

  test('GROW_VOLUME without an agent id', () => {
    const call = parsedCall(
      '{"type":"GROW_VOLUME","grow_volume":' +
        '{"volume":{"name":"disk","type":"SCALAR"},"addition":{"name":"disk","type":"SCALAR"}}}',
    );
    expect(validateMasterCall(call)).toBe(
      "Expecting 'agent_id' to be present; only agent default resources are supported right now",
    );
  });

  test('devolve quirk: a seconds-less grace period outside DRAIN_AGENT leaves the internal call uninitialised', () => {
    const call = parsedCall(
      '{"type":"DEACTIVATE_AGENT","deactivate_agent":{"agent_id":{"value":"a"}},' +
        '"drain_agent":{"agent_id":{"value":"a"},"max_grace_period":{"nanos":5}}}',
    );
    expect(validateMasterCall(call)).toBe('Not initialized: drain_agent.max_grace_period.nanoseconds');
    const drain = parsedCall('{"type":"DRAIN_AGENT","drain_agent":{"agent_id":{"value":"a"},"max_grace_period":{}}}');
    expect(validateMasterCall(drain)).toBeUndefined();
  });

  test('every Call.Type name is known; the implemented ones are the maintenance and agent calls', () => {
    expect(CALL_TYPES).toHaveLength(40);
    expect(new Set([...IMPLEMENTED_CALL_TYPES, ...NOT_IMPLEMENTED_CALL_TYPES])).toEqual(new Set(CALL_TYPES));
    expect(NOT_IMPLEMENTED_CALL_TYPES).toContain('UNKNOWN');
    expect(IMPLEMENTED_CALL_TYPES).toContain('DRAIN_AGENT');
    for (const type of CALL_TYPES) expect(parsedCall(`{"type":"${type}"}`).type).toBe(type);
  });
});
