// The Mesos endpoints' request bodies as zod schemas, derived from the same message descriptors their parser uses
// (src/mesos/messages.ts), so the document cannot drift from what the parser takes. The parser stays the one that
// reads them: its errors are Mesos' own words, which zod's are not. Derived as stout's JSON→protobuf conversion
// accepts values: int64 and other integers as numbers or numeric strings, unknown keys ignored, null as unset.
import { z } from 'zod';
import type { FieldDescriptor, MessageDescriptor } from '../../mesos/proto-json';

const NUMERIC_STRING = /^-?\d+$/;
/** Any whole JSON number, also beyond 2^53 (z.int() stops at safe integers; Mesos' nanoseconds do not). */
const WholeNumber = z
  .number()
  .refine(Number.isInteger, 'a whole number')
  .meta({ type: 'integer' } as Record<string, unknown>);

function scalar(field: FieldDescriptor): z.ZodType {
  switch (field.kind) {
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
      return z
        .union([WholeNumber, z.string().regex(NUMERIC_STRING)])
        .meta({ description: `${field.kind}: a JSON number or a numeric string (int64 kept exact)` });
    case 'double':
      return z.union([z.number(), z.string()]).meta({ description: 'double: a JSON number or a numeric string' });
    case 'bool':
      return z.boolean();
    case 'string':
      return z.string();
    case 'enum':
      return z.enum(field.enumValues as [string, ...string[]]);
    case 'message':
      return messageSchema(field.message!);
  }
}

const cache = new Map<MessageDescriptor, z.ZodObject>();

/** A message: an object whose required fields must be there; other keys are ignored, as Mesos ignores them. */
export function messageSchema(descriptor: MessageDescriptor): z.ZodObject {
  const cached = cache.get(descriptor);
  if (cached) return cached;
  const shape: Record<string, z.ZodType> = {};
  for (const field of descriptor.fields) {
    const value = field.repeated ? z.array(scalar(field)) : scalar(field);
    shape[field.name] = field.required ? value : value.optional();
  }
  // Named after the proto message, so the document refers to each once (Resource appears in many calls).
  const id = descriptor.name.replace(/ \(partial\)$/, '');
  const schema = z.looseObject(shape).meta({ id, description: descriptor.name });
  cache.set(descriptor, schema);
  return schema;
}
