// The embedded default end to end: a Maildir list seeded from fixtures/demo-list, replies written as
// .eml files to ./var/outbox, state in ./var/listwatch.db, all relative to the working directory.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { runOnce, startBot } from '../src/bot/run.js';
import { Store } from '../src/store/store.js';
import { commandPost } from './helpers/bot-mail.js';
import { bodyText, emlFiles, header, quietLog } from './helpers/bot-harness.js';

const DEMO = join(import.meta.dirname, '..', 'fixtures', 'demo-list');
const demoPosts = (): number => readdirSync(join(DEMO, 'cur')).filter((f) => !f.startsWith('.')).length;
const DEMO_ROOT = '20261124201000.aroha@noc.harbour-uni.example';

function waitFor<T>(fn: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = (): void => {
      const v = fn();
      if (v) return resolve(v);
      if (Date.now() > until) return reject(new Error(`timed out after ${timeoutMs} ms`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

function drop(dir: string, name: string, raw: string): void {
  // deliver the Maildir way: write in tmp/, rename into new/
  writeFileSync(join(dir, 'var', 'list', 'tmp', name), raw);
  renameSync(join(dir, 'var', 'list', 'tmp', name), join(dir, 'var', 'list', 'new', name));
}

describe('the embedded default', () => {
  it('seeds ./var/list from the demo list, analyses it, and answers a post dropped into new/ within a second', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-embedded-'));
    const loaded = loadConfig({ cwd, env: {}, overrides: { seedFrom: DEMO } });
    const rt = await startBot(loaded, { cwd, log: quietLog(), schedule: false, flushMs: 200 });
    try {
      const demoCount = demoPosts();
      await waitFor(() => readdirSync(join(cwd, 'var', 'list', 'cur')).length === demoCount, 10_000);
      expect(readdirSync(join(cwd, 'var', 'list', 'new'))).toEqual([]);
      expect(rt.store.counts().posts).toBe(demoCount);
      expect(rt.store.counts().observations).toBeGreaterThan(10);
      await rt.idle();
      // autoReply is off by default: only commands in the demo list were answered
      const before = emlFiles(join(cwd, 'var', 'outbox'));
      const asking = new Set(
        readdirSync(join(DEMO, 'cur'))
          .filter((f) => !f.startsWith('.'))
          .map((f) => readFileSync(join(DEMO, 'cur', f), 'utf8'))
          .filter((t) => /^#listwatch /m.test(t))
          .map((t) => /^Message-ID:\s*(<[^>]+>)/im.exec(t)?.[1]),
      );
      expect(before.map((f) => header(f, 'In-Reply-To')).filter((id) => !asking.has(id ?? undefined))).toEqual([]);

      // Sigrid posted in the demo thread, so she is a member
      // how fast is measured by `npm run bench` (live), not asserted here
      drop(cwd, '1795700000.ask.example', commandPost('ask-embedded@cert.fjordnet.example', 'Sigrid Holm <sigrid@cert.fjordnet.example>', DEMO_ROOT, '#listwatch analyze'));
      const reply = await waitFor(() => emlFiles(join(cwd, 'var', 'outbox')).find((f) => f.includes('<ask-embedded@cert.fjordnet.example>')), 5000);
      expect(header(reply!, 'In-Reply-To')).toBe('<ask-embedded@cert.fjordnet.example>');
      expect(header(reply!, 'To')).toBe('incidents@lists.example');
      expect(bodyText(reply!)).toContain('100.64.0.0/16');
      expect(existsSync(join(cwd, 'var', 'listwatch.db'))).toBe(true);
    } finally {
      await rt.stop();
    }
  });

  it('watch --once processes what is there, sends what it causes, and a rerun does nothing twice', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-once-'));
    const loaded = loadConfig({ cwd, env: { LISTWATCH_AUTO_REPLY: 'true' }, overrides: { seedFrom: DEMO } });
    const first = await runOnce(loaded, { cwd, log: quietLog() });
    expect(first.processed).toBe(demoPosts());
    const replies = emlFiles(join(cwd, 'var', 'outbox'));
    expect(replies.length).toBeGreaterThan(0);
    expect(replies.length).toBe(first.sent);
    // the same posts again (copied back into new/) are recognised by Message-ID
    for (const f of readdirSync(join(cwd, 'var', 'list', 'cur'))) renameSync(join(cwd, 'var', 'list', 'cur', f), join(cwd, 'var', 'list', 'new', f.split(':')[0]!));
    const second = await runOnce(loaded, { cwd, log: quietLog() });
    expect(second.processed).toBe(first.processed);
    expect(second.sent).toBe(0);
    expect(emlFiles(join(cwd, 'var', 'outbox'))).toHaveLength(replies.length);
  });

  it('schedules the digest with node-cron in the configured zone (a seconds schedule, to see it fire)', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-cron-'));
    const loaded = loadConfig({ cwd, env: { LISTWATCH_DIGEST_CRON: '* * * * * *', LISTWATCH_TZ: 'Europe/Berlin' }, overrides: { seedFrom: DEMO } });
    const rt = await startBot(loaded, { cwd, log: quietLog(), flushMs: 100 });
    try {
      const [digest] = await waitFor(() => {
        const files = emlFiles(join(cwd, 'var', 'outbox')).filter((f) => /^Auto-Submitted: auto-generated/m.test(f));
        return files.length ? files : null;
      }, 15_000);
      expect(header(digest!, 'To')).toBe('incidents@lists.example');
      await new Promise((r) => setTimeout(r, 1500));
      // it fired again and again, but the day's digest went out once
      expect(emlFiles(join(cwd, 'var', 'outbox')).filter((f) => /^Auto-Submitted: auto-generated/m.test(f))).toHaveLength(1);
    } finally {
      await rt.stop();
    }
  });

  it('creates an empty Maildir and says so when there is no seed', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-noseed-'));
    const lines: string[] = [];
    const log = (await import('pino')).default({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const r = await runOnce(loadConfig({ cwd, env: {}, overrides: { seedFrom: join(cwd, 'nowhere') } }), { cwd, log });
    expect(r.processed).toBe(0);
    expect(existsSync(join(cwd, 'var', 'list', 'new'))).toBe(true);
    expect(lines.join('')).toContain('created an empty Maildir list');
  });

  it('a folder (or anything not a file) in new/ is left alone and does not stop the pass', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-oddfile-'));
    const loaded = loadConfig({ cwd, env: {}, overrides: { seedFrom: join(cwd, 'nowhere') } });
    expect((await runOnce(loaded, { cwd, log: quietLog() })).processed).toBe(0);
    mkdirSync(join(cwd, 'var', 'list', 'new', '0-a-folder'));
    drop(cwd, '1-post', commandPost('odd@cert.fjordnet.example', 'Sigrid Holm <sigrid@cert.fjordnet.example>', 'root@x.example', 'hello'));
    expect((await runOnce(loaded, { cwd, log: quietLog() })).processed).toBe(1);
    expect(readdirSync(join(cwd, 'var', 'list', 'new'))).toEqual(['0-a-folder']);
  });

  it('finishes the post in hand on stop and leaves a consistent store', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'listwatch-stop-'));
    const loaded = loadConfig({ cwd, env: {}, overrides: { seedFrom: DEMO } });
    const rt = await startBot(loaded, { cwd, log: quietLog(), schedule: false });
    await rt.stop();
    const store = new Store(join(cwd, 'var', 'listwatch.db'));
    const posts = store.counts().posts;
    const moved = readdirSync(join(cwd, 'var', 'list', 'cur')).length;
    // every post in the store was moved to cur/, none half-done
    expect(moved).toBe(posts);
    store.close();
  });
});
