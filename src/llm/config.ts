import { z } from 'zod';

export const LlmConfigSchema = z.object({
  enabled: z.boolean(),
  apiKey: z.string().min(1).optional(),
  baseURL: z.string().url().optional(),
  model: z.string().min(1),
  /** budget for one model call, retries included */
  callTimeoutMs: z.number().int().positive(),
  /** budget for everything one LlmLayer method does (one bot reply, one digest section) */
  replyBudgetMs: z.number().int().positive(),
  maxConcurrency: z.number().int().min(1).max(64),
  /** prompt + completion tokens per UTC day; at the cap the layer stops calling until the next day */
  dailyTokenCap: z.number().int().nonnegative(),
  /** USD per million input / output tokens, for the cost estimate only */
  pricePerMTokIn: z.number().nonnegative().optional(),
  pricePerMTokOut: z.number().nonnegative().optional(),
  /** List-Id values (e.g. `soc.example.org`) whose posts are never sent to the model */
  privateLists: z.array(z.string().min(1)),
});

export type LlmConfig = z.infer<typeof LlmConfigSchema>;

export const LLM_DEFAULTS = {
  model: 'gpt-4o-mini',
  callTimeoutMs: 20_000,
  replyBudgetMs: 45_000,
  maxConcurrency: 2,
  dailyTokenCap: 500_000,
} as const;

const OFF = new Set(['off', 'false', '0', 'no', 'disabled']);

function num(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function str(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/**
 * Settings from the environment, then `overrides` (e.g. from the config file) on top.
 * OPENAI_API_KEY, OPENAI_BASE_URL, LISTWATCH_LLM_MODEL, LISTWATCH_LLM=off, and
 * LISTWATCH_LLM_TIMEOUT_MS, LISTWATCH_LLM_REPLY_BUDGET_MS, LISTWATCH_LLM_CONCURRENCY,
 * LISTWATCH_LLM_DAILY_TOKENS, LISTWATCH_LLM_PRICE_IN, LISTWATCH_LLM_PRICE_OUT,
 * LISTWATCH_LLM_PRIVATE_LISTS (comma-separated List-Ids).
 * Throws a ZodError naming the bad setting.
 */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<LlmConfig> = {}): LlmConfig {
  const fromEnv: Partial<LlmConfig> = {
    enabled: !OFF.has((env.LISTWATCH_LLM ?? '').trim().toLowerCase()),
    apiKey: str(env.OPENAI_API_KEY),
    baseURL: str(env.OPENAI_BASE_URL),
    model: str(env.LISTWATCH_LLM_MODEL),
    callTimeoutMs: num(env.LISTWATCH_LLM_TIMEOUT_MS),
    replyBudgetMs: num(env.LISTWATCH_LLM_REPLY_BUDGET_MS),
    maxConcurrency: num(env.LISTWATCH_LLM_CONCURRENCY),
    dailyTokenCap: num(env.LISTWATCH_LLM_DAILY_TOKENS),
    pricePerMTokIn: num(env.LISTWATCH_LLM_PRICE_IN),
    pricePerMTokOut: num(env.LISTWATCH_LLM_PRICE_OUT),
    privateLists: str(env.LISTWATCH_LLM_PRIVATE_LISTS)
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
  const merged: Record<string, unknown> = { ...LLM_DEFAULTS, privateLists: [] };
  for (const src of [fromEnv, overrides]) {
    for (const [k, v] of Object.entries(src)) if (v !== undefined) merged[k] = v;
  }
  return LlmConfigSchema.parse(merged);
}
