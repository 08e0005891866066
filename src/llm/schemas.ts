// What each task asks the model to answer: a JSON schema for the API's structured output
// (strict mode: every property required, no others) and the zod schema that checks the answer.
import { z } from 'zod';
import type { JsonSchemaFormat } from './client.js';

/** Tags the corroboration prompt offers; the rule pass uses the same shape (lowercase-hyphenated). */
export const DETAIL_TAGS = [
  'unused-addresses',
  'no-handshake',
  'firewalled',
  'no-response',
  'same-source',
  'same-port',
  'same-payload',
  'same-signature',
  'more-sources',
  'other-ports',
  'ongoing',
  'stopped',
] as const;

export const CorroborateAnswer = z.object({
  statements: z
    .array(
      z.object({
        quote: z.string().max(2000),
        polarity: z.enum(['same', 'not-same']),
        details: z.array(z.string().max(60)).max(12),
      }),
    )
    .max(20),
});
export type CorroborateAnswer = z.infer<typeof CorroborateAnswer>;

export const corroborateFormat: JsonSchemaFormat = {
  name: 'prose_statements',
  schema: {
    type: 'object',
    properties: {
      statements: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            quote: { type: 'string', description: 'one or two whole sentences copied verbatim from the post' },
            polarity: { type: 'string', enum: ['same', 'not-same'] },
            details: { type: 'array', items: { type: 'string' } },
          },
          required: ['quote', 'polarity', 'details'],
          additionalProperties: false,
        },
      },
    },
    required: ['statements'],
    additionalProperties: false,
  },
};

export const QuestionsAnswer = z.object({
  questions: z.array(z.object({ post: z.string().max(20), text: z.string().max(2000) })).max(30),
});
export type QuestionsAnswer = z.infer<typeof QuestionsAnswer>;

export const questionsFormat: JsonSchemaFormat = {
  name: 'open_questions',
  schema: {
    type: 'object',
    properties: {
      questions: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            post: { type: 'string', description: 'label of the asking post, e.g. P2' },
            text: { type: 'string', description: 'the question, verbatim from that post' },
          },
          required: ['post', 'text'],
          additionalProperties: false,
        },
      },
    },
    required: ['questions'],
    additionalProperties: false,
  },
};

export const NarrateAnswer = z.object({ paragraph: z.string().min(1).max(6000) });
export type NarrateAnswer = z.infer<typeof NarrateAnswer>;

export const narrateFormat: JsonSchemaFormat = {
  name: 'narrative',
  schema: {
    type: 'object',
    properties: { paragraph: { type: 'string', description: 'one paragraph of plain prose citing observation ids in [brackets]' } },
    required: ['paragraph'],
    additionalProperties: false,
  },
};
