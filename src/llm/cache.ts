import type { Database } from 'better-sqlite3';

export interface LlmUsage {
  prompt: number;
  completion: number;
}

/**
 * Model answers keyed by prompt version + model + input hash, and the tokens they cost per UTC day.
 * A stored answer is never paid for again, also after a restart (sqlite).
 */
export interface LlmCache {
  get(key: string): string | undefined;
  set(key: string, value: string, usage: LlmUsage): void;
  /** prompt + completion tokens recorded on `day` (YYYY-MM-DD, UTC) */
  tokensOn(day: string): number;
  /** the same split into prompt and completion, for the cost estimate */
  usageOn(day: string): LlmUsage;
}

export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function memoryLlmCache(clock: () => Date = () => new Date()): LlmCache {
  const values = new Map<string, string>();
  const days = new Map<string, LlmUsage>();
  return {
    get: (key) => values.get(key),
    set(key, value, usage) {
      values.set(key, value);
      const day = utcDay(clock());
      const u = days.get(day) ?? { prompt: 0, completion: 0 };
      days.set(day, { prompt: u.prompt + usage.prompt, completion: u.completion + usage.completion });
    },
    tokensOn(day) {
      const u = days.get(day);
      return u ? u.prompt + u.completion : 0;
    },
    usageOn: (day) => ({ ...(days.get(day) ?? { prompt: 0, completion: 0 }) }),
  };
}

/** Uses its own tables (`llm_cache`, `llm_usage`), created if missing. */
export function sqliteLlmCache(db: Database, clock: () => Date = () => new Date()): LlmCache {
  db.exec(`
    CREATE TABLE IF NOT EXISTS llm_cache (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      created TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS llm_usage (
      day TEXT PRIMARY KEY,
      prompt_tokens INTEGER NOT NULL DEFAULT 0,
      completion_tokens INTEGER NOT NULL DEFAULT 0,
      calls INTEGER NOT NULL DEFAULT 0
    );
  `);
  const getStmt = db.prepare<[string], { value: string }>('SELECT value FROM llm_cache WHERE key = ?');
  const putStmt = db.prepare('INSERT OR REPLACE INTO llm_cache (key, value, created) VALUES (?, ?, ?)');
  const addUsage = db.prepare(`
    INSERT INTO llm_usage (day, prompt_tokens, completion_tokens, calls) VALUES (?, ?, ?, 1)
    ON CONFLICT(day) DO UPDATE SET
      prompt_tokens = prompt_tokens + excluded.prompt_tokens,
      completion_tokens = completion_tokens + excluded.completion_tokens,
      calls = calls + 1
  `);
  const usageStmt = db.prepare<[string], { p: number; c: number }>(
    'SELECT prompt_tokens AS p, completion_tokens AS c FROM llm_usage WHERE day = ?',
  );
  const write = db.transaction((key: string, value: string, usage: LlmUsage) => {
    const now = clock();
    putStmt.run(key, value, now.toISOString());
    addUsage.run(utcDay(now), Math.max(0, Math.round(usage.prompt)), Math.max(0, Math.round(usage.completion)));
  });
  const usageOn = (day: string): LlmUsage => {
    const row = usageStmt.get(day);
    return row ? { prompt: row.p, completion: row.c } : { prompt: 0, completion: 0 };
  };
  return {
    get: (key) => getStmt.get(key)?.value,
    set: (key, value, usage) => write(key, value, usage),
    tokensOn(day) {
      const u = usageOn(day);
      return u.prompt + u.completion;
    },
    usageOn,
  };
}
