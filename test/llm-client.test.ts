import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { askJson, callModel, defaultCompat, retryAfterMs, type CallOptions } from '../src/llm/client.js';
import { startFakeOpenAI, type FakeOpenAI } from './helpers/fake-openai.js';

const format = { name: 'answer', schema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false } };
const Answer = z.object({ n: z.number().int() });
const messages = [
  { role: 'system' as const, content: 'answer with JSON' },
  { role: 'user' as const, content: 'what is six times seven?' },
];

let fake: FakeOpenAI;
let client: OpenAI;
beforeEach(async () => {
  fake = await startFakeOpenAI();
  client = new OpenAI({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
});
afterEach(async () => {
  await fake.close();
});

function opts(over: Partial<CallOptions> = {}): CallOptions {
  return { model: 'test-model', stream: false, deadline: Date.now() + 5000, baseBackoffMs: 10, ...over };
}

describe('callModel against the real openai client and a loopback server', () => {
  it('sends the JSON schema response format and reads a JSON reply with usage', async () => {
    fake.queue.push({ kind: 'reply', content: { n: 42 }, usage: { prompt_tokens: 30, completion_tokens: 5 } });
    const out = await callModel(client, messages, format, opts());
    expect(out).toMatchObject({ ok: true, content: '{"n":42}', usage: { prompt: 30, completion: 5 } });
    const req = fake.requests[0]!;
    expect(req.headers.authorization).toBe('Bearer test-key');
    expect(req.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'answer', schema: format.schema, strict: true } });
    expect(req.body.stream).toBeUndefined();
  });

  it('joins SSE deltas and takes usage from the final chunk', async () => {
    fake.queue.push({ kind: 'reply', content: { n: 1234567 }, usage: { prompt_tokens: 11, completion_tokens: 7 } });
    const out = await callModel(client, messages, format, opts({ stream: true }));
    expect(out).toMatchObject({ ok: true, content: '{"n":1234567}', usage: { prompt: 11, completion: 7 } });
    expect(fake.requests[0]!.body.stream).toBe(true);
    expect(fake.requests[0]!.body.stream_options).toEqual({ include_usage: true });
  });

  it('estimates usage when the server reports none', async () => {
    fake.queue.push({ kind: 'reply', content: { n: 1 }, usage: null });
    const out = await callModel(client, messages, format, opts({ stream: true }));
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.usage.prompt).toBeGreaterThan(0);
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    fake.queue.push({ kind: 'status', status: 429, retryAfter: '1' }, { kind: 'reply', content: { n: 2 } });
    const out = await callModel(client, messages, format, opts());
    expect(out.ok).toBe(true);
    expect(out.attempts).toBe(2);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('gives up at once when Retry-After is longer than the budget left', async () => {
    fake.queue.push({ kind: 'status', status: 429, retryAfter: '30' }, { kind: 'reply', content: { n: 2 } });
    const t0 = Date.now();
    const out = await callModel(client, messages, format, opts({ deadline: Date.now() + 10_000 }));
    expect(out).toMatchObject({ ok: false, failure: 'http' });
    expect(fake.requests).toHaveLength(1);
    // waiting would take the whole 10 s budget; the margin keeps a loaded CI machine from mattering
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('retries 500 with backoff, and does not retry 400', async () => {
    fake.queue.push({ kind: 'status', status: 500 }, { kind: 'status', status: 503 }, { kind: 'reply', content: { n: 3 } });
    expect((await callModel(client, messages, format, opts())).ok).toBe(true);
    expect(fake.requests).toHaveLength(3);
    fake.queue.push({ kind: 'status', status: 400 }, { kind: 'reply', content: { n: 3 } });
    expect(await callModel(client, messages, format, opts())).toMatchObject({ ok: false, failure: 'http', attempts: 1 });
    expect(fake.requests).toHaveLength(4);
  });

  it('reports a cut stream as a failure, not an exception', async () => {
    fake.queue.push({ kind: 'cut' });
    expect(await callModel(client, messages, format, opts({ stream: true }))).toMatchObject({ ok: false, failure: 'cut' });
    fake.queue.push({ kind: 'cut' });
    const plain = await callModel(client, messages, format, opts());
    expect(plain.ok).toBe(false);
  });

  it('a server that hangs costs no more than the budget', async () => {
    fake.queue.push({ kind: 'hang' });
    const t0 = Date.now();
    const out = await callModel(client, messages, format, opts({ stream: true, deadline: Date.now() + 400 }));
    expect(out).toMatchObject({ ok: false, failure: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(5000); // without the budget it would hang until the test times out
  });

  it('a delayed reply inside the budget arrives; outside it times out', async () => {
    fake.queue.push({ kind: 'reply', content: { n: 5 }, delayMs: 200 });
    expect((await callModel(client, messages, format, opts({ deadline: Date.now() + 2000 }))).ok).toBe(true);
    fake.queue.push({ kind: 'reply', content: { n: 5 }, delayMs: 1500 });
    expect(await callModel(client, messages, format, opts({ deadline: Date.now() + 300 }))).toMatchObject({ ok: false, failure: 'timeout' });
  });

  it('a stream that stalls after its first chunk is cut off at the budget', async () => {
    fake.queue.push({ kind: 'stall' });
    const t0 = Date.now();
    const out = await callModel(client, messages, format, opts({ stream: true, deadline: Date.now() + 400 }));
    expect(out).toMatchObject({ ok: false, failure: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(5000); // a stalled stream never ends by itself
  });

  it('stops reading a stream that runs far past max_tokens, before the budget ends it', async () => {
    fake.queue.push({ kind: 'flood' });
    const out = await callModel(client, messages, format, opts({ stream: true, deadline: Date.now() + 20_000 }));
    expect(out).toMatchObject({ ok: false, failure: 'cut' });
    expect(out.ok ? '' : out.detail).toMatch(/longer than/);
  });

  it('learns once that the model wants max_completion_tokens and no temperature', async () => {
    const compat = defaultCompat();
    fake.queue.push(
      { kind: 'status', status: 400, message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." },
      { kind: 'status', status: 400, message: "Unsupported value: 'temperature' does not support 0 with this model." },
      { kind: 'reply', content: { n: 6 } },
      { kind: 'reply', content: { n: 7 } },
    );
    expect(await callModel(client, messages, format, opts({ maxTokens: 100, compat }))).toMatchObject({ ok: true, content: '{"n":6}' });
    expect(fake.requests.map((r) => [r.body.max_tokens, r.body.max_completion_tokens, r.body.temperature])).toEqual([
      [100, undefined, 0],
      [undefined, 100, 0],
      [undefined, 100, undefined],
    ]);
    expect(compat).toEqual({ tokenParam: 'max_completion_tokens', temperature: false });
    await callModel(client, messages, format, opts({ maxTokens: 100, compat }));
    expect(fake.requests).toHaveLength(4);
  });

  it('the reply-level signal aborts a running call', async () => {
    fake.queue.push({ kind: 'hang' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const out = await callModel(client, messages, format, opts({ signal: ac.signal, stream: true }));
    expect(out).toMatchObject({ ok: false, failure: 'aborted' });
  });

  it('a refusal is a failure with the usage it cost', async () => {
    fake.queue.push({ kind: 'refusal', refusal: 'I cannot help with that.' });
    expect(await callModel(client, messages, format, opts({ stream: true }))).toMatchObject({ ok: false, failure: 'refusal' });
    fake.queue.push({ kind: 'refusal', refusal: 'I cannot help with that.' });
    expect(await callModel(client, messages, format, opts())).toMatchObject({ ok: false, failure: 'refusal' });
  });

  it('a body that is not JSON is a failure', async () => {
    fake.queue.push({ kind: 'broken-body' });
    const out = await callModel(client, messages, format, opts());
    expect(out.ok).toBe(false);
  });
});

describe('askJson', () => {
  it('asks once more when the answer is malformed JSON, then accepts a valid one', async () => {
    fake.queue.push({ kind: 'reply', content: '{"n": 4' }, { kind: 'reply', content: { n: 4 } });
    const out = await askJson(client, messages, format, Answer, opts({ stream: true }));
    expect(out).toMatchObject({ ok: true, value: { n: 4 } });
    expect(fake.requests).toHaveLength(2);
  });

  it('drops the answer after two invalid ones, and says the model did answer', async () => {
    fake.queue.push({ kind: 'reply', content: { n: 'four' } }, { kind: 'reply', content: 'sorry' }, { kind: 'reply', content: { n: 4 } });
    const out = await askJson(client, messages, format, Answer, opts());
    expect(out).toMatchObject({ ok: false, failure: 'invalid', answered: true });
    expect(fake.requests).toHaveLength(2);
    if (!out.ok) expect(out.usage.prompt).toBeGreaterThan(0);
  });

  it('does not re-ask after a transport failure', async () => {
    fake.queue.push({ kind: 'cut' }, { kind: 'reply', content: { n: 4 } });
    const out = await askJson(client, messages, format, Answer, opts({ stream: true }));
    expect(out).toMatchObject({ ok: false, failure: 'cut', answered: false });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds, milliseconds and HTTP dates', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250', 'retry-after': '3' }))).toBe(250);
    const now = Date.parse('2026-11-26T05:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 26 Nov 2026 05:00:02 GMT' }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({}))).toBeNull();
  });
});
