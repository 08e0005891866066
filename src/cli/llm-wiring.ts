import type { AnalysisResult } from '../analyze/types.js';
import { createLogger } from '../bot/log.js';
import { enrichWithLlm, openLlmLayer } from '../llm/index.js';
import type { MailPost } from '../mail/types.js';

/** `analyze --llm`: the LLM layer from the environment; notes (e.g. "LLM off") go to stderr, never to the report. */
export async function enrichFromEnv(result: AnalysisResult, mails: MailPost[]): Promise<AnalysisResult> {
  const log = createLogger(process.env.LISTWATCH_LOG_LEVEL ?? 'warn');
  const layer = openLlmLayer({ log });
  const { result: enriched, notes } = await enrichWithLlm(result, mails, layer);
  for (const note of notes) process.stderr.write(`listwatch: ${note}\n`);
  return enriched;
}
