import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { memoryLlmCache, sqliteLlmCache } from '../src/llm/cache.js';
import { llmConfigFromEnv } from '../src/llm/config.js';
import { Store } from '../src/store/index.js';

describe('llmConfigFromEnv', () => {
  it('defaults: on, 20 s per call, no key', () => {
    expect(llmConfigFromEnv({})).toEqual({
      enabled: true,
      model: 'gpt-4o-mini',
      callTimeoutMs: 20_000,
      replyBudgetMs: 45_000,
      maxConcurrency: 2,
      dailyTokenCap: 500_000,
      privateLists: [],
    });
  });

  it('reads the environment, and overrides win over it', () => {
    const env = {
      OPENAI_API_KEY: ' sk-test ',
      OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
      LISTWATCH_LLM_MODEL: 'local',
      LISTWATCH_LLM_TIMEOUT_MS: '5000',
      LISTWATCH_LLM_DAILY_TOKENS: '1000',
      LISTWATCH_LLM_PRICE_IN: '0.15',
      LISTWATCH_LLM_PRIVATE_LISTS: 'soc.example.org, <cert.example.net>',
    };
    const c = llmConfigFromEnv(env, { model: 'override', privateLists: ['x.example'] });
    expect(c).toMatchObject({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:8080/v1', model: 'override', callTimeoutMs: 5000, dailyTokenCap: 1000, pricePerMTokIn: 0.15, privateLists: ['x.example'] });
    expect(llmConfigFromEnv(env).privateLists).toEqual(['soc.example.org', '<cert.example.net>']);
    for (const off of ['off', 'OFF', 'false', '0']) expect(llmConfigFromEnv({ LISTWATCH_LLM: off }).enabled).toBe(false);
    expect(llmConfigFromEnv({ LISTWATCH_LLM: 'on' }).enabled).toBe(true);
  });

  it('rejects nonsense with a message naming the setting', () => {
    expect(() => llmConfigFromEnv({ OPENAI_BASE_URL: 'not a url' })).toThrow(/baseURL/);
    expect(() => llmConfigFromEnv({}, { maxConcurrency: 0 })).toThrow(/maxConcurrency/);
  });
});

describe('LLM caches', () => {
  it('sqlite: tables are created idempotently, values and usage per day persist', () => {
    const db = new Database(':memory:');
    let now = new Date('2026-11-26T23:59:00Z');
    const a = sqliteLlmCache(db, () => now);
    a.set('k1', '{"x":1}', { prompt: 100, completion: 20 });
    const b = sqliteLlmCache(db, () => now); // second open on the same store
    expect(b.get('k1')).toBe('{"x":1}');
    expect(b.get('k2')).toBeUndefined();
    b.set('k2', '{}', { prompt: 5, completion: 5 });
    expect(b.tokensOn('2026-11-26')).toBe(130);
    expect(b.usageOn('2026-11-26')).toEqual({ prompt: 105, completion: 25 });
    now = new Date('2026-11-27T00:01:00Z');
    b.set('k3', '{}', { prompt: 1, completion: 1 });
    expect(b.tokensOn('2026-11-27')).toBe(2);
    expect(b.tokensOn('2026-11-26')).toBe(130);
    db.close();
  });

  it("lives in the bot's store file beside its tables, across reopening", () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-store-'));
    try {
      const path = join(dir, 'listwatch.db');
      const s1 = new Store(path);
      sqliteLlmCache(s1.db).set('corroborate.v1|m|abc', '{"statements":[]}', { prompt: 10, completion: 2 });
      s1.close();
      const s2 = new Store(path);
      const cache = sqliteLlmCache(s2.db);
      expect(cache.get('corroborate.v1|m|abc')).toBe('{"statements":[]}');
      expect(cache.tokensOn(new Date().toISOString().slice(0, 10))).toBe(12);
      s2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('memory: same behaviour', () => {
    const c = memoryLlmCache(() => new Date('2026-11-26T12:00:00Z'));
    c.set('k', 'v', { prompt: 3, completion: 4 });
    expect(c.get('k')).toBe('v');
    expect(c.tokensOn('2026-11-26')).toBe(7);
    expect(c.tokensOn('2026-11-25')).toBe(0);
  });
});
