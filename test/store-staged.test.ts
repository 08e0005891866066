// Deferred correlation (Store.stageAnalysis / mergeStaged, BotOptions.deferCorrelation): a post is
// stored at once and its observations correlated later, in arrival order. Whatever the moment of
// the merge, the store must end as if each post had been correlated in its own commit, every read
// must see the staged posts, a restart before the merge must lose nothing, and answers must not change.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Bot } from '../src/bot/bot.js';
import { analyzePost } from '../src/analyze/post.js';
import { groupKey } from '../src/correlate/correlate.js';
import { parseMail } from '../src/mail/parse.js';
import { Store } from '../src/store/store.js';
import { PostFactory } from '../bench/generate.js';
import { bodyText, makeBot, quietLog, type Harness } from './helpers/bot-harness.js';
import { argusMidstream, buildPost, commandPost, recordsPost } from './helpers/bot-mail.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';
const MALIK = 'Malik Osei <malik@delta.example>';

const TABLES: Array<[string, string]> = [
  ['posts', 'rowid'],
  ['observations', 'seq'],
  ['dup_keys', 'key'],
  ['dup_classes', 'cls'],
  ['grp_members', 'grp, kind, value'],
  ['grp_stats', 'grp'],
  ['stmt_apply', 'stmt, grp'],
  ['statements', 'rowid'],
  ['questions', 'rowid'],
  ['threads', 'id'],
  ['findings', 'key'],
  ['finding_groups', 'group_key, finding_key'],
  ['finding_days', 'finding_key, day'],
  ['members', 'address'],
  ['processed', 'message_id'],
];

/** Everything correlation writes, row by row (rowids included where they order things). */
function state(store: Store): Record<string, unknown[]> {
  return Object.fromEntries(TABLES.map(([t, order]) => [t, store.db.prepare(`SELECT ${order === 'rowid' ? 'rowid AS rid, ' : ''}* FROM ${t} ORDER BY ${order}`).all()]));
}

/** A snort full alert for argusMidstream's i-th line (same 5-tuple, a second later): it joins that flow. */
function snortFor(net: string, dstNet: string, i: number): string {
  const salt = dstNet.split('.').reduce((a, b) => a + Number(b), 0) % 50;
  const t = `11/24-19:${String(2 + i * 5).padStart(2, '0')}:35.100000`;
  return [
    '[**] [1:1256:7] WEB-IIS CodeRed v2 root.exe access [**]',
    '[Classification: Web Application Attack] [Priority: 1]',
    `${t} ${net}.${10 + i * 7 + salt}.${20 + i * 3}:${3300 + i} -> ${dstNet}.${40 + i}:80`,
    'TCP TTL:113 TOS:0x0 ID:5386 IpLen:20 DgmLen:1500 DF',
    '***AP*** Seq: 0x2A4F1B3C  Ack: 0x9E1C22AF  Win: 0x2238  TcpLen: 20',
  ].join('\n');
}

/**
 * Posts that exercise what correlation does, each with the day it comes: growing findings, a
 * quoted copy whose original comes later, prose that corroborates records posted a day earlier in
 * its thread (the statement must not reach the earlier post's findings on that earlier day),
 * prose before records, alerts joining flows both ways; then generated list traffic.
 */
function traffic(): Array<{ raw: string; at: Date }> {
  const day = (d: number, h = 9) => new Date(Date.UTC(2026, 10, 20 + d, h, 0));
  const quoted = (net: string, dst: string, n: number) =>
    argusMidstream(net, dst, n)
      .split('\n')
      .map((l) => `> ${l}`)
      .join('\n');
  const out: Array<{ raw: string; at: Date }> = [
    { raw: recordsPost('a1@harbour.example', AROHA, 'bare ACKs', '100.64', '192.0.2'), at: day(0) },
    { raw: recordsPost('s1@fjord.example', SIGRID, 'Re: bare ACKs', '100.64', '198.51.100', { inReplyTo: 'a1@harbour.example' }), at: day(0, 10) },
    {
      raw: buildPost({ id: 'q1@delta.example', from: MALIK, subject: 'fwd: scans', body: `Forwarded from a colleague:\n${quoted('100.70', '203.0.113', 3)}\n` }),
      at: day(0, 11),
    },
    { raw: recordsPost('o1@fjord.example', SIGRID, 'scans from 100.70', '100.70', '203.0.113'), at: day(1) },
    {
      raw: buildPost({ id: 'p1@delta.example', from: MALIK, subject: 'Re: scans from 100.70', inReplyTo: 'o1@fjord.example', body: 'We have seen the same traffic from 100.70 on port 80 here.\n' }),
      at: day(2),
    },
    { raw: buildPost({ id: 'a2@harbour.example', from: AROHA, subject: 'Re: bare ACKs', inReplyTo: 'a1@harbour.example', body: `Snort saw them too:\n\n${[0, 1, 2].map((i) => snortFor('100.64', '192.0.2', i)).join('\n\n')}\n` }), at: day(2, 10) },
    { raw: buildPost({ id: 'p2@delta.example', from: MALIK, subject: 'ACKs from 100.80?', body: 'We see bare ACKs from 100.80 to port 80 here too.\n' }), at: day(3) },
    { raw: recordsPost('r2@fjord.example', SIGRID, 'Re: ACKs from 100.80?', '100.80', '198.51.100', { inReplyTo: 'p2@delta.example' }), at: day(4) },
    { raw: buildPost({ id: 'a4@harbour.example', from: AROHA, subject: 'alerts', body: `Snort:\n\n${[0, 1, 6, 7].map((i) => snortFor('100.90', '192.0.2', i)).join('\n\n')}\n` }), at: day(4, 10) },
    { raw: recordsPost('a5@harbour.example', AROHA, 'Re: alerts', '100.90', '192.0.2', { inReplyTo: 'a4@harbour.example' }), at: day(5) },
  ];
  const factory = new PostFactory(31, undefined, 'staged');
  for (let i = 0; i < 40; i++) out.push({ raw: factory.next({ forceRecords: i % 3 !== 0 }).raw, at: day(5 + Math.floor(i / 20), 8 + (i % 10)) });
  return out;
}

async function analysed(store: Store, raw: string, at: Date) {
  const mail = await parseMail(Buffer.from(raw), 'test');
  return analyzePost(mail, store.threadFor(mail, at));
}

const dayOf = (at: Date) => at.toISOString().slice(0, 10);

function tempStore(h: Harness, name: string): Store {
  return new Store(join(h.dir, name));
}

describe('staged posts (deferred correlation)', () => {
  it('merged late, many at once, or one by one: the store ends as if each post had been correlated in its own commit', async () => {
    const h = makeBot({ autoReply: false });
    const sync = tempStore(h, 'sync.db');
    const late = tempStore(h, 'late.db');
    const stepwise = tempStore(h, 'stepwise.db');
    const posts = traffic();
    let merged = 0;
    for (const [i, { raw, at }] of posts.entries()) {
      const day = dayOf(at);
      const iso = at.toISOString();
      const pa = await analysed(sync, raw, at);
      const touched = sync.saveAnalysis(pa, groupKey, day, iso);
      if (touched) sync.refreshFindings(touched, day);
      expect(late.stageAnalysis(await analysed(late, raw, at), day, iso)).toBe(touched !== null);
      expect(stepwise.stageAnalysis(await analysed(stepwise, raw, at), day, iso)).toBe(touched !== null);
      // at odd moments, a few at a time
      if (i % 7 === 3) merged += stepwise.mergeStaged(2);
    }
    expect(merged).toBeGreaterThan(10);
    expect(late.stagedCount()).toBe(posts.length);
    expect(late.mergeStaged()).toBe(posts.length);
    stepwise.mergeStaged();
    expect(late.stagedCount()).toBe(0);
    const want = state(sync);
    expect((want.findings as unknown[]).length).toBeGreaterThan(5);
    expect((want.stmt_apply as unknown[]).length).toBeGreaterThan(0);
    expect(state(late)).toEqual(want);
    expect(state(stepwise)).toEqual(want);
    for (const s of [sync, late, stepwise]) s.close();
    h.close();
  });

  it('every read of observations, aggregates or findings sees the staged posts, also after a restart that did not merge them', async () => {
    const h = makeBot({ autoReply: false });
    const sync = tempStore(h, 'sync.db');
    const stagedPath = join(h.dir, 'staged.db');
    const staged = new Store(stagedPath);
    const posts = traffic();
    for (const { raw, at } of posts) {
      const day = dayOf(at);
      const touched = sync.saveAnalysis(await analysed(sync, raw, at), groupKey, day, at.toISOString());
      if (touched) sync.refreshFindings(touched, day);
      staged.stageAnalysis(await analysed(staged, raw, at), day, at.toISOString());
    }
    // the process "dies" here: the staging connection is left as it is, never merged nor closed
    const obs = sync.db.prepare('SELECT id, post, thread, actor, actor_num, day FROM observations ORDER BY seq').all() as Array<{
      id: string;
      post: string;
      thread: string;
      actor: string | null;
      actor_num: number | null;
      day: string;
    }>;
    const some = obs.filter((_, i) => i % 9 === 0);
    const v4 = some.find((o) => o.actor_num !== null)!;
    const findingKeys = (sync.db.prepare('SELECT key FROM findings ORDER BY key').all() as Array<{ key: string }>).map((r) => r.key);
    const groups = (sync.db.prepare('SELECT DISTINCT group_key FROM observations ORDER BY group_key').all() as Array<{ group_key: string }>).map((r) => r.group_key);
    const reads: Array<[string, (s: Store) => unknown]> = [
      ['threadAnalyses', (s) => [...new Set(obs.map((o) => o.thread))].map((t) => s.threadAnalyses(t))],
      ['observation', (s) => some.map((o) => s.observation(o.id))],
      ['postsOfObservations', (s) => [...s.postsOfObservations(some.map((o) => o.id))]],
      ['observationsByIdPrefix', (s) => s.observationsByIdPrefix(some[1]!.id.slice(0, 6))],
      ['observationsByActorRange', (s) => s.observationsByActorRange(v4.actor_num! & 0xffff0000, (v4.actor_num! | 0xffff) >>> 0)],
      ['observationsByActor', (s) => s.observationsByActor(v4.actor!)],
      ['observationsOfDay', (s) => [...new Set(obs.map((o) => o.day))].map((d) => s.observationsOfDay(d))],
      ['storedFinding', (s) => s.storedFinding(findingKeys[0]!)],
      ['findingsByKeys', (s) => s.findingsByKeys(findingKeys)],
      ['findingsOfDay', (s) => [...new Set(obs.map((o) => o.day))].map((d) => s.findingsOfDay(d))],
      ['findingKeysOfGroups', (s) => s.findingKeysOfGroups(groups)],
      ['groupKeysOfObservations', (s) => s.groupKeysOfObservations(some.map((o) => o.id))],
      ['counts', (s) => s.counts()],
    ];
    expect(findingKeys.length).toBeGreaterThan(5);
    for (const [name, read] of reads) {
      // each read on its own restarted copy, so the read itself is what merges
      const copy = join(h.dir, `copy-${name}.db`);
      staged.db.exec(`VACUUM INTO '${copy}'`);
      const reopened = new Store(copy);
      expect(reopened.stagedCount(), name).toBe(posts.length);
      expect(read(reopened), name).toEqual(read(sync));
      expect(reopened.stagedCount(), name).toBe(0);
      expect(state(reopened), name).toEqual(state(sync));
      reopened.close();
      rmSync(copy, { force: true });
    }
    // and the dead process's own file, opened by the next one
    const next = new Store(stagedPath);
    expect(next.stagedCount()).toBe(posts.length);
    expect(next.mergeStaged()).toBe(posts.length);
    expect(state(next)).toEqual(state(sync));
    next.close();
    staged.close();
    sync.close();
    h.close();
  });

  it('a bot that defers: the same answers, auto-replies and digest as one that correlates each post at once; idle merges need no read', async () => {
    const member = 'sigrid@fjord.example';
    const now = makeBot({ autoReply: true, allowlist: [member, 'aroha@harbour.example'] });
    const later = makeBot({ autoReply: true, allowlist: [member, 'aroha@harbour.example'] });
    const deferring = new Bot({ config: later.config, store: later.store, outbox: later.outbox, log: quietLog(), now: () => new Date(later.clock.now), deferCorrelation: true });
    const factory = new PostFactory(41, undefined, 'ans');
    const steps: Array<{ raw: string; input: string; answer?: boolean }> = [];
    // history that comes in unanswered (a backfill), then live posts, commands among them
    for (let i = 0; i < 30; i++) steps.push({ raw: factory.next({ forceRecords: i % 2 === 0 }).raw, input: `old#${i}`, answer: false });
    steps.push({ raw: recordsPost('a1@harbour.example', AROHA, 'bare ACKs', '100.64', '192.0.2'), input: 'a1' });
    for (let i = 0; i < 5; i++) steps.push({ raw: factory.next({ forceRecords: true }).raw, input: `gen#${i}`, answer: false });
    steps.push({ raw: recordsPost('s1@fjord.example', SIGRID, 'Re: bare ACKs', '100.64', '198.51.100', { inReplyTo: 'a1@harbour.example' }), input: 's1', answer: false });
    steps.push({ raw: commandPost('c1@fjord.example', SIGRID, 'a1@harbour.example', '#listwatch analyze\n#listwatch correlate 100.64/16'), input: 'c1' });
    steps.push({ raw: recordsPost('a2@harbour.example', AROHA, 'more bare ACKs', '100.64', '192.0.9'), input: 'a2' });
    steps.push({ raw: commandPost('c2@fjord.example', SIGRID, 'a2@harbour.example', '#listwatch digest'), input: 'c2' });
    let deferred = 0;
    for (const [i, s] of steps.entries()) {
      for (const h of [now, later]) h.clock.now = new Date(Date.UTC(2026, 10, 25, 8, i));
      const a = await now.bot.handle(Buffer.from(s.raw), s.input, { answer: s.answer ?? true });
      const b = await deferring.handle(Buffer.from(s.raw), s.input, { answer: s.answer ?? true });
      expect({ ...b, findingChanges: a.findingChanges }, s.input).toEqual(a);
      if (b.findingChanges === undefined) deferred++;
    }
    expect(deferred).toBeGreaterThan(30);
    const bodies = (h: Harness) => h.outgoing().map((m) => ({ cause: m.cause, to: m.to, body: bodyText(m.raw) }));
    expect(bodies(now).length).toBeGreaterThanOrEqual(3);
    expect(bodies(later)).toEqual(bodies(now));
    expect(deferring.runDigest().queued.length).toBe(now.bot.runDigest().queued.length);
    expect(bodies(later)).toEqual(bodies(now));

    // a post nobody asks about: staged by the commit, merged on the bot's next idle turn, no read needed
    const quiet = factory.next({ forceRecords: true });
    const r = await deferring.handle(Buffer.from(quiet.raw), 'quiet', { answer: false });
    expect(r.outcome).toBe('analyzed');
    expect(r.findingChanges).toBeUndefined();
    expect(later.store.stagedCount()).toBe(1);
    await vi.waitFor(() => expect(later.store.stagedCount()).toBe(0));
    await now.bot.handle(Buffer.from(quiet.raw), 'quiet', { answer: false });
    expect(state(later.store)).toEqual(state(now.store));
    now.close();
    later.close();
  });

  it('a post whose text is too long to keep stages its observations; one whose text is kept is analysed again from it: both end as correlated at once', async () => {
    const h = makeBot({ autoReply: false });
    const sync = tempStore(h, 'sync.db');
    const staged = tempStore(h, 'staged.db');
    const at = new Date(Date.UTC(2026, 10, 25, 9));
    // argusMidstream's layout, 3,000 lines (~330 KB): more text than a post row keeps
    const lines = ['StartTime      Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State'];
    for (let i = 0; i < 3000; i++) {
      const t = `${String(10 + Math.floor(i / 360)).padStart(2, '0')}:${String(Math.floor(i / 6) % 60).padStart(2, '0')}:${String((i % 6) * 10).padStart(2, '0')}.000000`;
      lines.push(`${t}  e           tcp     100.64.${10 + (i % 200)}.${20 + (i % 97)}.${3300 + (i % 500)}      ?>         192.0.2.${40 + (i % 50)}.80            1       1514    A_`);
    }
    const long = recordsPost('long@harbour.example', AROHA, 'a long paste', '100.64', '192.0.2', { body: `argus:\n\n${lines.join('\n')}\n` });
    const short = recordsPost('short@fjord.example', SIGRID, 'Re: a long paste', '100.64', '198.51.100', { inReplyTo: 'long@harbour.example' });
    for (const raw of [long, short]) {
      const touched = sync.saveAnalysis(await analysed(sync, raw, at), groupKey, '2026-11-25', at.toISOString());
      if (touched) sync.refreshFindings(touched, '2026-11-25');
      staged.stageAnalysis(await analysed(staged, raw, at), '2026-11-25', at.toISOString());
    }
    const rows = staged.db.prepare('SELECT post, length(observations) AS n FROM staged_posts ORDER BY seq').all() as Array<{ post: string; n: number }>;
    expect(rows[0]!.post).toBe('long@harbour.example');
    expect(rows[0]!.n).toBeGreaterThan(100_000);
    expect(rows[1]!.n).toBe(0);
    expect((staged.db.prepare("SELECT mail FROM posts WHERE id = 'long@harbour.example'").get() as { mail: string | null }).mail).toBeNull();
    expect(staged.mergeStaged()).toBe(2);
    expect((state(sync).observations as unknown[]).length).toBeGreaterThan(2000);
    expect(state(staged)).toEqual(state(sync));
    sync.close();
    staged.close();
    h.close();
  });

  it('aggregates rebuilt on open (after a migration) while posts wait staged: merged after, the same as correlated at once', async () => {
    const h = makeBot({ autoReply: false });
    const sync = tempStore(h, 'sync.db');
    const path = join(h.dir, 'staged.db');
    const staged = new Store(path);
    const posts = traffic().slice(0, 24);
    for (const [i, { raw, at }] of posts.entries()) {
      const day = dayOf(at);
      const touched = sync.saveAnalysis(await analysed(sync, raw, at), groupKey, day, at.toISOString());
      if (touched) sync.refreshFindings(touched, day);
      const pa = await analysed(staged, raw, at);
      // the first posts correlated at once, the rest (the prose that corroborates them among them) staged
      if (i < 4) {
        const t = staged.saveAnalysis(pa, groupKey, day, at.toISOString());
        if (t) staged.refreshFindings(t, day);
      } else staged.stageAnalysis(pa, day, at.toISOString());
    }
    // as migrations 4 and 5 did: the aggregates emptied, to be rebuilt from the observations on open
    staged.db.exec(`DELETE FROM grp_members; DELETE FROM grp_stats; DELETE FROM dup_keys; DELETE FROM dup_classes; DELETE FROM stmt_apply;
      UPDATE observations SET cls = NULL, counted = 0, eff_group = NULL, join_flow = NULL; DELETE FROM meta WHERE key = 'aggregates'`);
    staged.close();
    const reopened = new Store(path);
    expect(reopened.stagedCount()).toBe(posts.length - 4);
    reopened.mergeStaged();
    const want = state(sync);
    const got = state(reopened);
    for (const t of ['observations', 'dup_keys', 'dup_classes', 'grp_members', 'grp_stats', 'stmt_apply', 'findings']) expect(got[t], t).toEqual(want[t]);
    expect((want.stmt_apply as unknown[]).length).toBeGreaterThan(0);
    reopened.close();
    sync.close();
    h.close();
  });

  it('two connections on one file (the bot and a CLI read) merging in turn correlate each post once', async () => {
    const h = makeBot({ autoReply: false });
    const sync = tempStore(h, 'sync.db');
    const path = join(h.dir, 'shared.db');
    const bot = new Store(path);
    const cli = new Store(path);
    const posts = traffic().slice(0, 30);
    for (const [i, { raw, at }] of posts.entries()) {
      const day = dayOf(at);
      const touched = sync.saveAnalysis(await analysed(sync, raw, at), groupKey, day, at.toISOString());
      if (touched) sync.refreshFindings(touched, day);
      bot.stageAnalysis(await analysed(bot, raw, at), day, at.toISOString());
      if (i % 10 === 4) cli.counts();
      if (i % 4 === 3) bot.mergeStaged(1);
    }
    expect(bot.stagedCount()).toBeGreaterThan(0);
    expect(cli.mergeStaged(3)).toBe(3);
    bot.mergeStaged();
    expect(cli.mergeStaged()).toBe(0);
    expect(state(bot)).toEqual(state(sync));
    for (const s of [sync, bot, cli]) s.close();
    h.close();
  });

  it('a deferring bot started on a store with posts left staged merges them on its own', async () => {
    const h = makeBot({ autoReply: false });
    const at = new Date(Date.UTC(2026, 10, 25, 9));
    for (const [id, from, net] of [['y1@harbour.example', AROHA, '100.64'], ['y2@fjord.example', SIGRID, '100.65']] as const)
      h.store.stageAnalysis(await analysed(h.store, recordsPost(id, from, 'bare ACKs', net, '192.0.2'), at), '2026-11-25', at.toISOString());
    const path = h.config.db;
    h.close();
    const store = new Store(path);
    expect(store.stagedCount()).toBe(2);
    new Bot({ config: h.config, store, outbox: h.outbox, log: quietLog(), deferCorrelation: true });
    await vi.waitFor(() => expect(store.stagedCount()).toBe(0));
    expect((store.db.prepare('SELECT COUNT(*) AS n FROM observations').get() as { n: number }).n).toBe(8);
    store.close();
  });

  it('a staged post whose correlation fails is dropped with an error row; the posts after it are merged', async () => {
    const h = makeBot({ autoReply: false });
    const store = h.store;
    const at = new Date(Date.UTC(2026, 10, 25, 9));
    store.stageAnalysis(await analysed(store, recordsPost('x1@harbour.example', AROHA, 'bare ACKs', '100.64', '192.0.2'), at), '2026-11-25', at.toISOString());
    store.stageAnalysis(await analysed(store, recordsPost('x2@fjord.example', SIGRID, 'more', '100.64', '198.51.100'), at), '2026-11-25', at.toISOString());
    // a bug's stand-in: the first post's staged observations cannot be read
    store.db.prepare("UPDATE staged_posts SET observations = '[{' WHERE post = 'x1@harbour.example'").run();
    expect(store.mergeStaged()).toBe(2);
    expect(store.stagedCount()).toBe(0);
    const errors = store.db.prepare('SELECT input, message FROM errors').all() as Array<{ input: string; message: string }>;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.input).toBe('staged:x1@harbour.example');
    expect(errors[0]!.message).toMatch(/^correlation failed/);
    expect(store.threadAnalyses('x2@fjord.example')[0]!.observations).toHaveLength(4);
    expect(store.threadAnalyses('x1@harbour.example')[0]!.observations).toHaveLength(0);
    h.close();
  });
});
