import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../src/contract.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { findingKey, ipv4Number, Store } from '../src/store/store.js';

const dbPath = (): string => join(mkdtempSync(join(tmpdir(), 'listwatch-store-')), 'state.db');

function finding(reporters: string[], observations: string[], extra: Partial<Finding> = {}): Finding {
  return {
    id: `F-${reporters.join('-')}`,
    kind: 'cross-reporter',
    behaviour: 'midstream',
    actorPrefix: '100.64.0.0/16',
    dport: 80,
    reporters,
    corroborating: [],
    observations,
    first: null,
    last: null,
    summary: 'bare ACKs',
    ...extra,
  };
}

describe('store', () => {
  it('runs its numbered migrations once and keeps data across reopen', () => {
    const path = dbPath();
    const a = new Store(path);
    expect(a.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    a.setCursor('INBOX', { uidValidity: '7', lastUid: 42 }, '2026-11-25T00:00:00Z');
    const secret = a.secret('x-loop-secret');
    a.close();
    const b = new Store(path);
    expect(b.cursor('INBOX')).toEqual({ uidValidity: '7', lastUid: 42 });
    expect(b.secret('x-loop-secret')).toBe(secret);
    // the outbox's tables are there too
    expect(b.db.prepare("SELECT name FROM sqlite_master WHERE name = 'outbox_messages'").get()).toBeTruthy();
    b.close();
  });

  it('names same-traffic findings by their observations and others by what they are about', () => {
    expect(findingKey(finding(['a'], ['x', 'y'], { kind: 'same-traffic' }))).toBe(findingKey(finding(['b'], ['y', 'x'], { kind: 'same-traffic' })));
    expect(findingKey(finding(['a'], ['x']))).toBe(findingKey(finding(['a', 'b'], ['x', 'y'])));
    expect(findingKey(finding(['a'], ['x']))).not.toBe(findingKey(finding(['a'], ['x'], { dport: 443 })));
  });

  it('turns IPv4 actors into numbers for prefix queries', () => {
    expect(ipv4Number('130.67.240.225')).toBe(130 * 2 ** 24 + 67 * 2 ** 16 + 240 * 256 + 225);
    expect(ipv4Number('2001:db8::1')).toBeNull();
    expect(ipv4Number(null)).toBeNull();
  });

  it('keeps members, subscriptions and request counts', () => {
    const s = new Store(dbPath());
    expect(s.isMember('A@Example.org')).toBe(false);
    s.addMember('A@Example.org', '2026-11-25T10:00:00Z');
    expect(s.isMember('a@example.org')).toBe(true);
    expect(s.subscribe('a@example.org', 'now')).toBe(true);
    expect(s.subscribe('a@example.org', 'now')).toBe(false);
    expect(s.subscribers()).toEqual(['a@example.org']);
    expect(s.unsubscribe('a@example.org')).toBe(true);
    s.addRequest('a@example.org', '2026-11-25T10:00:00Z', 'p', 'analyze');
    s.addRequest('a@example.org', '2026-11-25T11:30:00Z', 'p', 'analyze');
    expect(s.countRequests('a@example.org', '2026-11-25T11:00:00Z')).toBe(1);
    s.close();
  });
});

describe('incremental correlation', () => {
  it('reads a group key through its index, not by scanning the history', () => {
    const s = new Store(dbPath());
    // a group's own counted rows, as its finding's ids and time span read them (the index holds only those: migration 7)
    const plan = s.db
      .prepare('EXPLAIN QUERY PLAN SELECT id, seq FROM observations WHERE group_key = ? AND counted = 1 AND join_flow IS NULL ORDER BY seq')
      .all('k') as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX observations_group/);
    // an alert's flows and a flow's alerts are found in memory (migration 11: no index on the 5-tuple), their rows read by seq
    expect(s.db.prepare("SELECT name FROM sqlite_schema WHERE name = 'observations_ep'").get()).toBeUndefined();
    const row = s.db.prepare('EXPLAIN QUERY PLAN SELECT seq, post, time_ms, ep_key, role, counted FROM observations WHERE seq = ?').all(1) as Array<{ detail: string }>;
    expect(row.map((p) => p.detail).join(' ')).toMatch(/USING INTEGER PRIMARY KEY/);
    s.close();
  });

  it("costs a new post the same whether its group holds 5 or 100 posts: nothing of the group's history is read back", async () => {
    const { vi } = await import('vitest');
    const { makeBot } = await import('./helpers/bot-harness.js');
    const { recordsPost } = await import('./helpers/bot-mail.js');
    const parsesFor = async (history: number): Promise<{ parses: number; observations: number; findings: number }> => {
      const h = makeBot({ autoReply: false });
      // history: posts about 100.64/16 from two organisations, each with other hosts
      for (let i = 0; i < history; i++) {
        const from = i % 2 ? 'S <s@fjord.example>' : 'A <a@harbour.example>';
        await h.handle(recordsPost(`old-${i}@h.example`, from, `scan ${i}`, '100.64', `10.${i % 250}.${Math.floor(i / 250)}`));
      }
      const spy = vi.spyOn(JSON, 'parse');
      const r = await h.handle(recordsPost('new@delta.example', 'D <d@delta.example>', 'same here', '100.64', '198.51.100'));
      // stored rows are JSON objects and arrays; a string literal parsed is a copy of a string (ownCopy), whose count depends on what the process has cached
      const parses = spy.mock.calls.filter(([text]) => typeof text === 'string' && (text.startsWith('{') || text.startsWith('['))).length;
      spy.mockRestore();
      const findings = h.store.counts().findings;
      h.close();
      return { parses, observations: r.observations ?? 0, findings };
    };
    const small = await parsesFor(5);
    const large = await parsesFor(100);
    expect(small.observations).toBe(4);
    expect(large.findings).toBe(small.findings);
    // the old recompute parsed every stored observation of the group: 20 vs 400 here
    expect(large.parses).toBe(small.parses);
  });
});

describe('threads', () => {
  it('joins a post to its thread by References, else a recent reply by subject, never a fresh post by subject', async () => {
    const s = new Store(dbPath());
    const base = { inReplyTo: null, references: [] as string[] };
    const pa = (id: string, thread: string, subject: string) =>
      ({
        mail: { id, text: '', blocks: [], tlp: null } as never,
        post: { id, thread, subject, date: null, from: { name: null, address: null, org: null }, observations: [] },
        observations: [],
        statements: [],
        questions: [],
      }) as Parameters<Store['savePost']>[0];
    s.savePost(pa('a@x', 'a@x', 'Code red variants?'), () => 'k', '2026-11-25', '2026-11-25T10:00:00Z');
    const now = new Date('2026-11-26T10:00:00Z');
    expect(s.threadFor({ id: 'b@x', inReplyTo: 'a@x', references: [], subject: 'whatever' }, now)).toBe('a@x');
    expect(s.threadFor({ id: 'c@x', ...base, references: ['root@elsewhere', 'a@x'], subject: 'x' }, now)).toBe('a@x');
    expect(s.threadFor({ id: 'd@x', ...base, references: ['root@elsewhere'], subject: 'x' }, now)).toBe('root@elsewhere');
    expect(s.threadFor({ id: 'e@x', ...base, subject: 'Re: [incidents] Code red variants?' }, now)).toBe('a@x');
    expect(s.threadFor({ id: 'f@x', ...base, subject: 'Code red variants?' }, now)).toBe('f@x');
    expect(s.threadFor({ id: 'g@x', ...base, subject: 'Re: Code red variants?' }, new Date('2027-03-01T00:00:00Z'))).toBe('g@x');
    s.close();
  });
});

describe('migrations', () => {
  it('upgrades a database made by an older version in place', async () => {
    const BetterSqlite3 = (await import('better-sqlite3')).default;
    const path = dbPath();
    const old = new BetterSqlite3(path);
    MIGRATIONS[0]!(old);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO cursor(mailbox, uid_validity, last_uid, updated_at) VALUES ('INBOX', '9', 5, 'then')").run();
    old.close();
    const s = new Store(path);
    expect(s.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(s.cursor('INBOX')).toEqual({ uidValidity: '9', lastUid: 5 });
    const cols = (s.db.prepare('PRAGMA table_info(posts)').all() as Array<{ name: string }>).map((c) => c.name);
    expect(cols).toContain('mail');
    s.close();
  });
});
