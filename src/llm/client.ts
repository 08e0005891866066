// One structured model call under a time budget: retries 429/5xx/connection errors with backoff
// (honouring Retry-After) while the budget lasts, and reports every other failure as a value.
import OpenAI from 'openai';
import type { ZodType } from 'zod';
import type { LlmUsage } from './cache.js';
import type { ChatMessage } from './prompts.js';

export interface JsonSchemaFormat {
  name: string;
  schema: Record<string, unknown>;
}

/**
 * Request parameters some servers or models reject (reasoning models refuse `max_tokens` and a
 * temperature of 0). Learned from a 400 that names them; keep one object per layer so it is learned once.
 */
export interface RequestCompat {
  tokenParam: 'max_tokens' | 'max_completion_tokens' | 'none';
  temperature: boolean;
}

export function defaultCompat(): RequestCompat {
  return { tokenParam: 'max_tokens', temperature: true };
}

/** Adjusts `compat` after a 400 that names a parameter; true when there is something to retry. */
function adapt(compat: RequestCompat, err: unknown): boolean {
  if (!(err instanceof OpenAI.APIError) || err.status !== 400) return false;
  const msg = `${err.message} ${JSON.stringify(err.error ?? '')}`.toLowerCase();
  if (compat.tokenParam !== 'none' && msg.includes(compat.tokenParam)) {
    compat.tokenParam = compat.tokenParam === 'max_tokens' ? 'max_completion_tokens' : 'none';
    return true;
  }
  if (compat.temperature && msg.includes('temperature')) {
    compat.temperature = false;
    return true;
  }
  return false;
}

export interface CallOptions {
  model: string;
  /** learned request quirks; a fresh default when absent */
  compat?: RequestCompat;
  /** SSE streaming (default) or one JSON response */
  stream: boolean;
  /** epoch ms after which no attempt starts and the running one is aborted */
  deadline: number;
  /** aborts everything (the reply's budget ran out) */
  signal?: AbortSignal;
  maxTokens?: number;
  /** for tests: backoff when the server gives no Retry-After */
  baseBackoffMs?: number;
}

export type CallFailure = 'refusal' | 'timeout' | 'aborted' | 'http' | 'cut' | 'network' | 'empty';

export type CallOutcome =
  | { ok: true; content: string; usage: LlmUsage; attempts: number }
  | { ok: false; failure: CallFailure; detail: string; attempts: number; usage?: LlmUsage };

const MAX_ATTEMPTS = 5;
/** A streamed answer longer than this is not read on: max_tokens asks for far less, and a server that ignores it must not fill memory. */
const MAX_ANSWER_CHARS = 256 * 1024;

function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function retryable(err: unknown): boolean {
  if (err instanceof OpenAI.APIConnectionTimeoutError || err instanceof OpenAI.APIUserAbortError) return false;
  if (err instanceof OpenAI.APIConnectionError) return true;
  if (err instanceof OpenAI.APIError) {
    const s = err.status ?? 0;
    return s === 408 || s === 409 || s === 429 || s >= 500;
  }
  return false;
}

/** ms the server asked us to wait, or null */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  if (!headers || typeof headers.get !== 'function') return null;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = headers.get('retry-after');
  if (ra === null || ra.trim() === '') return null;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(ra);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function describe(err: unknown): string {
  if (err instanceof OpenAI.APIError && err.status) return `HTTP ${err.status}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 200);
  return String(err).slice(0, 200);
}

/**
 * Sends `messages` with a JSON-schema response format and returns the raw text of the answer.
 * Never throws.
 */
export async function callModel(
  client: OpenAI,
  messages: ChatMessage[],
  format: JsonSchemaFormat,
  opts: CallOptions,
): Promise<CallOutcome> {
  const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
  const compat = opts.compat ?? defaultCompat();
  let adaptations = 0;
  let attempts = 0;
  let lastDetail = '';
  for (;;) {
    const remaining = opts.deadline - Date.now();
    if (opts.signal?.aborted) return { ok: false, failure: 'aborted', detail: 'reply budget spent', attempts };
    if (remaining <= 0) return { ok: false, failure: 'timeout', detail: lastDetail || 'call budget spent', attempts };
    attempts++;
    const attemptAbort = new AbortController();
    const timer = setTimeout(() => attemptAbort.abort(), remaining);
    const signal = opts.signal ? AbortSignal.any([attemptAbort.signal, opts.signal]) : attemptAbort.signal;
    try {
      const body = {
        model: opts.model,
        messages,
        response_format: { type: 'json_schema' as const, json_schema: { name: format.name, schema: format.schema, strict: true } },
        ...(compat.temperature ? { temperature: 0 } : {}),
        ...(opts.maxTokens && compat.tokenParam !== 'none' ? { [compat.tokenParam]: opts.maxTokens } : {}),
      };
      const reqOpts = { signal, timeout: remaining + 1000, maxRetries: 0 };
      let content = '';
      let refusal = '';
      let finish: string | null = null;
      let usage: LlmUsage | null = null;
      if (opts.stream) {
        const stream = await client.chat.completions.create(
          { ...body, stream: true, stream_options: { include_usage: true } },
          reqOpts,
        );
        for await (const chunk of stream) {
          const choice = chunk.choices[0];
          if (choice?.delta?.content) content += choice.delta.content;
          if (choice?.delta?.refusal) refusal += choice.delta.refusal;
          if (content.length + refusal.length > MAX_ANSWER_CHARS) {
            attemptAbort.abort();
            const usage = { prompt: estimateTokens(promptChars), completion: estimateTokens(content.length + refusal.length) };
            return { ok: false, failure: 'cut', detail: `answer longer than ${MAX_ANSWER_CHARS} characters; not read on`, attempts, usage };
          }
          if (choice?.finish_reason) finish = choice.finish_reason;
          if (chunk.usage) usage = { prompt: chunk.usage.prompt_tokens, completion: chunk.usage.completion_tokens };
        }
        if (finish === null) {
          // an abort can end the iteration quietly instead of throwing
          if (opts.signal?.aborted) return { ok: false, failure: 'aborted', detail: 'reply budget spent', attempts };
          if (attemptAbort.signal.aborted) return { ok: false, failure: 'timeout', detail: 'call budget spent mid-stream', attempts };
          return { ok: false, failure: 'cut', detail: 'stream ended without finish_reason', attempts };
        }
      } else {
        const res = await client.chat.completions.create(body, reqOpts);
        const choice = res.choices[0];
        content = choice?.message?.content ?? '';
        refusal = choice?.message?.refusal ?? '';
        finish = choice?.finish_reason ?? null;
        if (res.usage) usage = { prompt: res.usage.prompt_tokens, completion: res.usage.completion_tokens };
      }
      const paid = usage ?? { prompt: estimateTokens(promptChars), completion: estimateTokens(content.length + refusal.length) };
      if (refusal) return { ok: false, failure: 'refusal', detail: refusal.slice(0, 200), attempts, usage: paid };
      if (!content.trim()) return { ok: false, failure: 'empty', detail: `no content (finish ${finish})`, attempts, usage: paid };
      return { ok: true, content, usage: paid, attempts };
    } catch (err) {
      if (opts.signal?.aborted) return { ok: false, failure: 'aborted', detail: 'reply budget spent', attempts };
      if (attemptAbort.signal.aborted || err instanceof OpenAI.APIConnectionTimeoutError) {
        return { ok: false, failure: 'timeout', detail: 'call budget spent', attempts };
      }
      lastDetail = describe(err);
      if (adaptations < 3 && adapt(compat, err)) {
        adaptations++;
        continue;
      }
      if (!retryable(err)) {
        // undici reports a connection cut mid-stream as a plain TypeError('terminated')
        const failure: CallFailure = err instanceof OpenAI.APIError ? (err instanceof OpenAI.APIConnectionError ? 'network' : 'http') : 'cut';
        return { ok: false, failure, detail: lastDetail, attempts };
      }
      if (attempts >= MAX_ATTEMPTS) return { ok: false, failure: 'http', detail: lastDetail, attempts };
      const asked = err instanceof OpenAI.APIError ? retryAfterMs(err.headers) : null;
      const base = opts.baseBackoffMs ?? 500;
      const wait = asked ?? Math.min(8000, base * 2 ** (attempts - 1)) * (0.75 + Math.random() * 0.5);
      if (Date.now() + wait >= opts.deadline) {
        return { ok: false, failure: err instanceof OpenAI.APIConnectionError ? 'network' : 'http', detail: `${lastDetail}; retry in ${Math.round(wait)} ms would pass the budget`, attempts };
      }
      await sleep(wait, opts.signal);
    } finally {
      clearTimeout(timer);
    }
  }
}

export type AskOutcome<T> =
  | { ok: true; value: T; usage: LlmUsage; calls: number }
  /** `answered`: the model did answer (refusal or invalid twice), so the outcome may be cached */
  | { ok: false; failure: CallFailure | 'invalid'; detail: string; usage: LlmUsage; answered: boolean; calls: number };

/** Parses and validates the answer; an invalid answer is asked for once more, then dropped. */
export async function askJson<T>(
  client: OpenAI,
  messages: ChatMessage[],
  format: JsonSchemaFormat,
  validator: ZodType<T>,
  opts: CallOptions,
): Promise<AskOutcome<T>> {
  const usage: LlmUsage = { prompt: 0, completion: 0 };
  let calls = 0;
  let detail = '';
  for (let round = 0; round < 2; round++) {
    const out = await callModel(client, messages, format, opts);
    calls += out.attempts;
    if (out.usage) {
      usage.prompt += out.usage.prompt;
      usage.completion += out.usage.completion;
    }
    if (!out.ok) {
      return { ok: false, failure: out.failure, detail: out.detail, usage, answered: out.failure === 'refusal', calls };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(out.content);
    } catch {
      detail = 'answer is not JSON';
      continue;
    }
    const v = validator.safeParse(parsed);
    if (v.success) return { ok: true, value: v.data, usage, calls };
    detail = `answer does not match the schema: ${v.error.issues[0]?.message ?? 'invalid'}`;
  }
  return { ok: false, failure: 'invalid', detail, usage, answered: true, calls };
}
