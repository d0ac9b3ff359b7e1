// Mesos' JSON → protobuf conversion, reproduced to the letter. Pure (no Node built-ins, no I/O): workflows import it.
//
// Two layers, as in Mesos:
// - `parseJsonBody` is stout's `JSON::parse<T>(string)`: picojson 1.3.0 (PICOJSON_USE_INT64, with Mesos' depth
//   patch) driven by stout's ParseContext, then stout's trailing-character check and type check. The parser below is
//   a port of picojson's, byte for byte over the UTF-8 of the text, so its error texts ("syntax error at line N near:
//   <rest of the line>") point where Mesos' do.
// - `parseMessage` / `parseRepeatedMessages` are stout's `protobuf::parse<T>(JSON::Value)` (struct Parser in
//   stout/protobuf.hpp), driven by a small descriptor instead of protobuf reflection, then protobuf's
//   IsInitialized()/InitializationErrorString() ("Missing required fields: windows[0].unavailability").
//
// Quirks kept on purpose, because Mesos has them:
// - JSON objects are std::maps: a repeated key keeps its last value, and fields are applied in byte order of their
//   names, so with two bad fields the error names the one that sorts first.
// - A number directly followed by a character leaves picojson one character further than it read, so the trailing
//   text loses that character ("12abc" → "...trailing characters: bc"), and a number with trailing whitespace inside
//   a string ("5 ") fails with an empty trailing text.
// - A repeated field given a single value takes it as one element; nested arrays are flattened; null elements vanish.
// - Numbers land in integer fields through C++ static_cast: fractions truncate toward zero, int64 values wrap into
//   32-bit fields, and out-of-range doubles become what x86-64 conversion instructions produce (INT64_MIN, ...).

/** A JSON number as stout holds it: an int64 when picojson's strtoimax took it whole, else a finite double. */
export type JsonNumber =
  | { readonly kind: 'int'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number };
/** A JSON object: stout's std::map (keys unique, last one wins). */
export type JsonObject = Map<string, JsonValue>;
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export function isJsonObject(value: JsonValue): value is JsonObject {
  return value instanceof Map;
}

export function isJsonNumber(value: JsonValue): value is JsonNumber {
  return typeof value === 'object' && value !== null && !(value instanceof Map) && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------------
// UTF-8 (own codec: TextEncoder/TextDecoder are not guaranteed in the workflow sandbox)

function utf8Encode(text: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd; // a lone surrogate cannot be UTF-8: what any encoder sends instead
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

/** Decodes UTF-8; an invalid sequence (only ever the tail of an error text cut mid-character) becomes U+FFFD. */
function utf8Decode(bytes: ArrayLike<number>, from = 0, to = bytes.length): string {
  let out = '';
  let i = from;
  while (i < to) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      cp = b & 0x0f;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      cp = b & 0x07;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else {
      out += '\ufffd';
      i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      const c = j < to ? bytes[j] : -1;
      if (c < lo || c > hi) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3f);
      lo = 0x80;
      hi = 0xbf;
    }
    if (!ok) {
      out += '\ufffd';
      i = j; // the maximal valid prefix is replaced by one U+FFFD
      continue;
    }
    out += String.fromCodePoint(cp);
    i = j;
  }
  return out;
}

/** std::string's operator<: bytewise, which for UTF-8 is code point order. */
function compareBytewise(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// ---------------------------------------------------------------------------------------------------------------
// picojson 1.3.0, as stout drives it

const CH = {
  tab: 0x09,
  nl: 0x0a,
  cr: 0x0d,
  space: 0x20,
  quote: 0x22,
  plus: 0x2b,
  comma: 0x2c,
  minus: 0x2d,
  dot: 0x2e,
  slash: 0x2f,
  zero: 0x30,
  nine: 0x39,
  colon: 0x3a,
  upperA: 0x41,
  upperE: 0x45,
  upperF: 0x46,
  lbracket: 0x5b,
  backslash: 0x5c,
  rbracket: 0x5d,
  lowerA: 0x61,
  lowerB: 0x62,
  lowerE: 0x65,
  lowerF: 0x66,
  lowerN: 0x6e,
  lowerR: 0x72,
  lowerT: 0x74,
  lowerU: 0x75,
  lbrace: 0x7b,
  rbrace: 0x7d,
} as const;

/** picojson::input: one byte of push-back, line counting as picojson does it. */
class Input {
  cur = 0;
  line = 1;
  private lastCh = -1;
  private ungot = false;

  constructor(private readonly bytes: Uint8Array) {}

  getc(): number {
    if (this.ungot) {
      this.ungot = false;
      return this.lastCh;
    }
    if (this.cur === this.bytes.length) {
      this.lastCh = -1;
      return -1;
    }
    if (this.lastCh === CH.nl) this.line++;
    this.lastCh = this.bytes[this.cur++];
    return this.lastCh;
  }

  ungetc(): void {
    if (this.lastCh !== -1) this.ungot = true;
  }

  skipWs(): void {
    for (;;) {
      const ch = this.getc();
      if (!(ch === CH.space || ch === CH.tab || ch === CH.nl || ch === CH.cr)) {
        this.ungetc();
        break;
      }
    }
  }

  expect(expected: number): boolean {
    this.skipWs();
    if (this.getc() !== expected) {
      this.ungetc();
      return false;
    }
    return true;
  }

  match(pattern: string): boolean {
    for (let i = 0; i < pattern.length; i++) {
      if (this.getc() !== pattern.charCodeAt(i)) {
        this.ungetc();
        return false;
      }
    }
    return true;
  }
}

const FAIL = Symbol('fail');
type Parsed = JsonValue | typeof FAIL;

/** stout's set_number: picojson::value(double) throws on inf/nan, and stout answers "Value out of range". */
class OutOfRange {}

/** stout's STOUT_JSON_MAX_DEPTH: nesting deeper than 200 arrays/objects is a syntax error. */
const MAX_DEPTH = 200;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Exactly what strtod consumes from picojson's number characters ([0-9+-eE.]) when it takes them all. */
const STRTOD_WHOLE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

function hexValue(ch: number): number {
  if (ch >= CH.zero && ch <= CH.nine) return ch - CH.zero;
  if (ch >= CH.upperA && ch <= CH.upperF) return ch - CH.upperA + 10;
  if (ch >= CH.lowerA && ch <= CH.lowerF) return ch - CH.lowerA + 10;
  return -1;
}

function parseQuadhex(input: Input): number {
  let uni = 0;
  for (let i = 0; i < 4; i++) {
    const ch = input.getc();
    if (ch === -1) return -1;
    const hex = hexValue(ch);
    if (hex === -1) {
      input.ungetc();
      return -1;
    }
    uni = uni * 16 + hex;
  }
  return uni;
}

function parseCodepoint(out: number[], input: Input): boolean {
  let uni = parseQuadhex(input);
  if (uni === -1) return false;
  if (uni >= 0xd800 && uni <= 0xdfff) {
    if (uni >= 0xdc00) return false; // a low surrogate first
    if (input.getc() !== CH.backslash || input.getc() !== CH.lowerU) {
      input.ungetc();
      return false;
    }
    const second = parseQuadhex(input);
    if (!(second >= 0xdc00 && second <= 0xdfff)) return false;
    uni = (((uni - 0xd800) << 10) | ((second - 0xdc00) & 0x3ff)) + 0x10000;
  }
  if (uni < 0x80) out.push(uni);
  else if (uni < 0x800) out.push(0xc0 | (uni >> 6), 0x80 | (uni & 0x3f));
  else if (uni < 0x10000) out.push(0xe0 | (uni >> 12), 0x80 | ((uni >> 6) & 0x3f), 0x80 | (uni & 0x3f));
  else out.push(0xf0 | (uni >> 18), 0x80 | ((uni >> 12) & 0x3f), 0x80 | ((uni >> 6) & 0x3f), 0x80 | (uni & 0x3f));
  return true;
}

const ESCAPES: Record<number, number> = {
  [CH.quote]: CH.quote,
  [CH.backslash]: CH.backslash,
  [CH.slash]: CH.slash,
  [CH.lowerB]: 0x08,
  [CH.lowerF]: 0x0c,
  [CH.lowerN]: CH.nl,
  [CH.lowerR]: CH.cr,
  [CH.lowerT]: CH.tab,
};

/** After the opening quote. Raw control characters (and the end of input) are errors, as in picojson. */
function parseString(input: Input): string | undefined {
  const out: number[] = [];
  for (;;) {
    let ch = input.getc();
    if (ch < CH.space) {
      input.ungetc();
      return undefined;
    } else if (ch === CH.quote) {
      return utf8Decode(out);
    } else if (ch === CH.backslash) {
      ch = input.getc();
      if (ch === -1) return undefined;
      if (ch === CH.lowerU) {
        if (!parseCodepoint(out, input)) return undefined;
      } else if (ESCAPES[ch] !== undefined) {
        out.push(ESCAPES[ch]);
      } else {
        return undefined;
      }
    } else {
      out.push(ch);
    }
  }
}

function parseNumberText(input: Input): string {
  let text = '';
  for (;;) {
    const ch = input.getc();
    if (
      (ch >= CH.zero && ch <= CH.nine) ||
      ch === CH.plus ||
      ch === CH.minus ||
      ch === CH.lowerE ||
      ch === CH.upperE ||
      ch === CH.dot
    ) {
      text += String.fromCharCode(ch);
    } else {
      input.ungetc();
      return text;
    }
  }
}

function parseArray(input: Input, depth: number): Parsed {
  if (depth <= 0) return FAIL;
  const array: JsonValue[] = [];
  if (input.expect(CH.rbracket)) return array;
  do {
    const item = parseAny(input, depth - 1);
    if (item === FAIL) return FAIL;
    array.push(item);
  } while (input.expect(CH.comma));
  return input.expect(CH.rbracket) ? array : FAIL;
}

function parseObject(input: Input, depth: number): Parsed {
  if (depth <= 0) return FAIL;
  const object: JsonObject = new Map();
  if (input.expect(CH.rbrace)) return object;
  do {
    if (!input.expect(CH.quote)) return FAIL;
    const key = parseString(input);
    if (key === undefined || !input.expect(CH.colon)) return FAIL;
    const value = parseAny(input, depth - 1);
    if (value === FAIL) return FAIL;
    object.set(key, value);
  } while (input.expect(CH.comma));
  return input.expect(CH.rbrace) ? object : FAIL;
}

function parseAny(input: Input, depth: number): Parsed {
  input.skipWs();
  const ch = input.getc();
  switch (ch) {
    case CH.lowerN:
      return input.match('ull') ? null : FAIL;
    case CH.lowerF:
      return input.match('alse') ? false : FAIL;
    case CH.lowerT:
      return input.match('rue') ? true : FAIL;
    case CH.quote: {
      const text = parseString(input);
      return text === undefined ? FAIL : text;
    }
    case CH.lbracket:
      return parseArray(input, depth);
    case CH.lbrace:
      return parseObject(input, depth);
    default:
      if ((ch >= CH.zero && ch <= CH.nine) || ch === CH.minus) {
        input.ungetc();
        const text = parseNumberText(input);
        if (text === '') return FAIL;
        // strtoimax first: an integer in int64 range, taken whole.
        if (/^[+-]?[0-9]+$/.test(text)) {
          const int = BigInt(text);
          if (int >= INT64_MIN && int <= INT64_MAX) return { kind: 'int', value: int };
        }
        // Then strtod, which must take it whole too.
        if (STRTOD_WHOLE.test(text)) {
          const float = Number(text);
          if (!Number.isFinite(float)) throw new OutOfRange();
          return { kind: 'float', value: float };
        }
        return FAIL;
      }
      input.ungetc();
      return FAIL;
  }
}

function isStoutWhitespace(byte: number): boolean {
  return byte === CH.space || byte === CH.tab || byte === CH.nl || byte === CH.cr;
}

/** stout's `JSON::parse(string)`. */
function stoutParse(bytes: Uint8Array): Result<JsonValue> {
  let lastVisible = bytes.length - 1;
  while (lastVisible >= 0 && isStoutWhitespace(bytes[lastVisible])) lastVisible--;

  const input = new Input(bytes);
  let parsed: Parsed;
  try {
    parsed = parseAny(input, MAX_DEPTH);
  } catch (e) {
    if (e instanceof OutOfRange) return { ok: false, error: 'Value out of range' };
    throw e;
  }

  if (parsed === FAIL) {
    const line = input.line;
    const near: number[] = [];
    for (;;) {
      const ch = input.getc();
      if (ch === -1 || ch === CH.nl) break;
      if (ch >= CH.space) near.push(ch);
    }
    return { ok: false, error: `syntax error at line ${line} near: ${utf8Decode(near)}` };
  }

  const end = input.cur;
  if (end !== lastVisible + 1) {
    // s.substr(end, lastVisible + 1 - end): a negative length wraps to npos, i.e. "to the end".
    const stop = lastVisible + 1 >= end ? lastVisible + 1 : bytes.length;
    return {
      ok: false,
      error: `Parsed JSON included non-whitespace trailing characters: ${utf8Decode(bytes, end, stop)}`,
    };
  }
  return { ok: true, value: parsed };
}

export type JsonExpect = 'object' | 'array' | 'any';

function hasType(value: JsonValue, expect: JsonExpect | 'number' | 'boolean'): boolean {
  switch (expect) {
    case 'any':
      return true;
    case 'object':
      return isJsonObject(value);
    case 'array':
      return Array.isArray(value);
    case 'number':
      return isJsonNumber(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/**
 * stout's `JSON::parse<T>(text)`: `expect` 'object' is `JSON::Object`, 'array' `JSON::Array`, 'any' `JSON::Value`.
 * Errors are Mesos' texts: picojson's `syntax error at line N near: ...` (an empty body included), `Value out of
 * range`, `Parsed JSON included non-whitespace trailing characters: ...`, `Unexpected JSON type parsed`.
 */
export function parseJsonBody(text: string, expect: 'object'): Result<JsonObject>;
export function parseJsonBody(text: string, expect: 'array'): Result<JsonValue[]>;
export function parseJsonBody(text: string, expect: JsonExpect): Result<JsonValue>;
export function parseJsonBody(text: string, expect: JsonExpect): Result<JsonValue> {
  return parseTyped(text, expect);
}

function parseTyped(text: string, expect: JsonExpect | 'number' | 'boolean'): Result<JsonValue> {
  const parsed = stoutParse(utf8Encode(text));
  if (!parsed.ok) return parsed;
  if (!hasType(parsed.value, expect)) return { ok: false, error: 'Unexpected JSON type parsed' };
  return parsed;
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptors and stout's protobuf::parse

export type FieldKind = 'message' | 'string' | 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'enum' | 'double';

export interface FieldDescriptor {
  /** The proto field name (what JSON keys match, exactly). */
  readonly name: string;
  /** The field number: protobuf lists set fields in number order when it reports missing fields below them. */
  readonly number: number;
  readonly kind: FieldKind;
  readonly repeated?: boolean;
  readonly required?: boolean;
  /** For kind 'message'. */
  readonly message?: MessageDescriptor;
  /** For kind 'enum': the value names, in declaration order (the first is the proto3 default). */
  readonly enumValues?: readonly string[];
}

export interface MessageDescriptor {
  /** The full proto name, for humans. */
  readonly name: string;
  /** Fields in declaration order (protobuf checks required fields in that order). */
  readonly fields: readonly FieldDescriptor[];
  /** proto3 messages (google.protobuf.Duration) have no field presence: absent scalars read as zero. */
  readonly proto3?: boolean;
}

/** A parsed message: unset optional fields are absent, repeated fields are arrays (maybe empty). */
export type ProtoScalar = string | boolean | number | bigint;
export type ProtoValue = ProtoScalar | ProtoMessage | ProtoValue[];
export interface ProtoMessage {
  [field: string]: ProtoValue | undefined;
}

type Applied = string | undefined; // an error text, or undefined when the value was taken

function zeroValue(field: FieldDescriptor): ProtoScalar | undefined {
  switch (field.kind) {
    case 'int64':
    case 'uint64':
      return 0n;
    case 'int32':
    case 'uint32':
    case 'double':
      return 0;
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'enum':
      return field.enumValues?.[0];
    case 'message':
      return undefined;
  }
}

function newMessage(descriptor: MessageDescriptor): ProtoMessage {
  const message: ProtoMessage = {};
  for (const field of descriptor.fields) {
    if (field.repeated) message[field.name] = [];
    else if (descriptor.proto3 && field.kind !== 'message') message[field.name] = zeroValue(field);
  }
  return message;
}

function setScalar(message: ProtoMessage, field: FieldDescriptor, value: ProtoScalar): void {
  if (field.repeated) (message[field.name] as ProtoValue[]).push(value);
  else message[field.name] = value;
}

const TWO_63 = 2 ** 63;
const TWO_64 = 2 ** 64;
const TWO_31 = 2 ** 31;

/** static_cast<int64_t>(double) as x86-64 does it (cvttsd2si): out of range gives INT64_MIN. */
function doubleToInt64(d: number): bigint {
  const t = Math.trunc(d);
  return t >= -TWO_63 && t < TWO_63 ? BigInt(t) : INT64_MIN;
}

/** static_cast<uint64_t>(double) as gcc emits it on x86-64. */
function doubleToUint64(d: number): bigint {
  const t = Math.trunc(d);
  if (t < TWO_63) return t >= -TWO_63 ? BigInt.asUintN(64, BigInt(t)) : 2n ** 63n;
  return t < TWO_64 ? BigInt(t) : 0n;
}

/** static_cast<int32_t>(double): cvttsd2si to a 32-bit register, out of range gives INT32_MIN. */
function doubleToInt32(d: number): number {
  const t = Math.trunc(d);
  return t >= -TWO_31 && t < TWO_31 ? t : -TWO_31;
}

/** static_cast<uint32_t>(double): a 64-bit conversion, low 32 bits kept. */
function doubleToUint32(d: number): number {
  return Number(BigInt.asUintN(32, doubleToInt64(d)));
}

function applyNumber(message: ProtoMessage, field: FieldDescriptor, n: JsonNumber): Applied {
  const int = n.kind === 'int';
  switch (field.kind) {
    case 'double':
      setScalar(message, field, int ? Number(n.value) : n.value);
      return undefined;
    case 'int64':
      setScalar(message, field, int ? n.value : doubleToInt64(n.value));
      return undefined;
    case 'uint64':
      setScalar(message, field, int ? BigInt.asUintN(64, n.value) : doubleToUint64(n.value));
      return undefined;
    case 'int32':
      setScalar(message, field, int ? Number(BigInt.asIntN(32, n.value)) : doubleToInt32(n.value));
      return undefined;
    case 'uint32':
      setScalar(message, field, int ? Number(BigInt.asUintN(32, n.value)) : doubleToUint32(n.value));
      return undefined;
    default:
      return `Not expecting a JSON number for field '${field.name}'`;
  }
}

function applyNumericString(message: ProtoMessage, field: FieldDescriptor, text: string): Applied {
  const number = parseTyped(text, 'number');
  if (!number.ok) return `Failed to parse '${text}' as a JSON number for field '${field.name}': ${number.error}`;
  return applyNumber(message, field, number.value as JsonNumber);
}

function applyString(message: ProtoMessage, field: FieldDescriptor, text: string): Applied {
  switch (field.kind) {
    case 'string':
      setScalar(message, field, text);
      return undefined;
    case 'enum': {
      if (field.enumValues?.includes(text)) {
        setScalar(message, field, text);
        return undefined;
      }
      // proto2: an unknown name leaves an optional enum unset (and adds nothing to a repeated one).
      return field.required ? `Failed to find enum for '${text}'` : undefined;
    }
    case 'double':
      // Only double fields take these spellings; any other text is parsed as a JSON number.
      if (text === 'Infinity') return applyNumber(message, field, { kind: 'float', value: Infinity });
      if (text === '-Infinity') return applyNumber(message, field, { kind: 'float', value: -Infinity });
      return applyNumericString(message, field, text);
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
      return applyNumericString(message, field, text);
    case 'bool': {
      const boolean = parseTyped(text, 'boolean');
      if (!boolean.ok) {
        return `Failed to parse '${text}' as a JSON boolean for field '${field.name}': ${boolean.error}`;
      }
      setScalar(message, field, boolean.value as boolean);
      return undefined;
    }
    case 'message':
      return `Not expecting a JSON string for field '${field.name}'`;
  }
}

/** stout's Parser visitor: one JSON value into one field of `message`. */
function applyValue(message: ProtoMessage, field: FieldDescriptor, value: JsonValue): Applied {
  if (value === null) return undefined; // null is "unset"; required fields are checked at the end
  if (typeof value === 'boolean') {
    if (field.kind !== 'bool') return `Not expecting a JSON boolean for field '${field.name}'`;
    setScalar(message, field, value);
    return undefined;
  }
  if (typeof value === 'string') return applyString(message, field, value);
  if (Array.isArray(value)) {
    if (!field.repeated) return `Not expecting a JSON array for field '${field.name}'`;
    for (const element of value) {
      const error = applyValue(message, field, element); // nested arrays flatten, as in stout
      if (error !== undefined) return error;
    }
    return undefined;
  }
  if (isJsonObject(value)) {
    if (field.kind !== 'message' || field.message === undefined) {
      return `Not expecting a JSON object for field '${field.name}'`;
    }
    let target: ProtoMessage;
    if (field.repeated) {
      target = newMessage(field.message);
      (message[field.name] as ProtoValue[]).push(target);
    } else {
      // MutableMessage: the field is set from here on, even by {}.
      target = (message[field.name] as ProtoMessage | undefined) ?? newMessage(field.message);
      message[field.name] = target;
    }
    return applyObject(field.message, target, value);
  }
  return applyNumber(message, field, value);
}

/** stout's internal::parse(Message*, JSON::Object): known keys in std::map order, unknown keys ignored. */
function applyObject(descriptor: MessageDescriptor, message: ProtoMessage, object: JsonObject): Applied {
  const keys = [...object.keys()].sort(compareBytewise);
  for (const key of keys) {
    const field = descriptor.fields.find((f) => f.name === key);
    if (field === undefined) continue;
    const error = applyValue(message, field, object.get(key)!);
    if (error !== undefined) return error;
  }
  return undefined;
}

/**
 * protobuf's FindInitializationErrors: the message's own missing required fields in declaration order, then, for
 * each set message field in field-number order, its missing fields under `name.` or `name[i].`.
 */
export function initializationErrors(descriptor: MessageDescriptor, message: ProtoMessage, prefix = ''): string[] {
  const errors: string[] = [];
  for (const field of descriptor.fields) {
    if (field.required && message[field.name] === undefined) errors.push(prefix + field.name);
  }
  const byNumber = [...descriptor.fields].sort((a, b) => a.number - b.number);
  for (const field of byNumber) {
    if (field.kind !== 'message' || field.message === undefined) continue;
    const value = message[field.name];
    if (value === undefined) continue;
    if (field.repeated) {
      (value as ProtoMessage[]).forEach((element, i) =>
        errors.push(...initializationErrors(field.message!, element, `${prefix}${field.name}[${i}].`)),
      );
    } else {
      errors.push(...initializationErrors(field.message, value as ProtoMessage, `${prefix}${field.name}.`));
    }
  }
  return errors;
}

/**
 * stout's `protobuf::parse<T>(JSON::Value)` for a message: `Expecting a JSON object`, the Parser's texts, then
 * `Missing required fields: a, b.c, d[0].e`.
 */
export function parseMessage(descriptor: MessageDescriptor, json: JsonValue): Result<ProtoMessage> {
  if (!isJsonObject(json)) return { ok: false, error: 'Expecting a JSON object' };
  const message = newMessage(descriptor);
  const error = applyObject(descriptor, message, json);
  if (error !== undefined) return { ok: false, error };
  const missing = initializationErrors(descriptor, message);
  if (missing.length > 0) return { ok: false, error: `Missing required fields: ${missing.join(', ')}` };
  return { ok: true, value: message };
}

/**
 * stout's `protobuf::parse<RepeatedPtrField<T>>(JSON::Value)`: `Expecting a JSON array`, then each element as
 * `parseMessage` (first error wins; missing fields are named relative to the element).
 */
export function parseRepeatedMessages(descriptor: MessageDescriptor, json: JsonValue): Result<ProtoMessage[]> {
  if (!Array.isArray(json)) return { ok: false, error: 'Expecting a JSON array' };
  const messages: ProtoMessage[] = [];
  for (const element of json) {
    const parsed = parseMessage(descriptor, element);
    if (!parsed.ok) return parsed;
    messages.push(parsed.value);
  }
  return { ok: true, value: messages };
}
