// JSON that keeps int64 exact. Mesos nanoseconds (1443830400000000000) exceed 2^53; JSON.parse would round them.
// lossless-json parses integers beyond the safe range to BigInt and prints BigInt as a bare number.
import { parse, stringify, isSafeNumber } from 'lossless-json';

function parseNumber(text: string): number | bigint {
  return isSafeNumber(text) ? Number(text) : /^-?\d+$/.test(text) ? BigInt(text) : Number(text);
}

/** Parses JSON; integers beyond Number.MAX_SAFE_INTEGER become BigInt. Throws SyntaxError on bad JSON. */
export function parseJson(text: string): unknown {
  return parse(text, null, parseNumber);
}

/** Stringifies JSON; BigInt values are written as bare numbers. */
export function stringifyJson(value: unknown): string {
  return stringify(value) ?? 'null';
}
