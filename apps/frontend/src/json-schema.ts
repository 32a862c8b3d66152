import { z } from 'zod';

/**
 * Zod is the one schema language (the stored document's lives in libs/tweet-model); routes hand
 * Fastify its JSON Schema form, so Ajv validates requests and fast-json-stringify serializes
 * responses as usual. `input` describes what a client sends (defaults optional).
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io });
  return rest;
}
