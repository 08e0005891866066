// Backscatter is grouped by the port its senders answer from: a web server flooded with forged SYNs
// on 80 and on 443 answers from both. Those are two findings, and the document, the bot's store
// and a store written before the answering port was part of a finding's identity must all keep
// them apart (before, both had one id and one store row, and the second overwrote the first).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import { analyzeThread } from '../src/analyze/corpus.js';
import type { PostAnalysis } from '../src/analyze/types.js';
import type { Finding, Observation } from '../src/contract.js';
import { buildDigestModel, renderDigestText } from '../src/report/digest.js';
import { renderText } from '../src/report/text.js';
import { Store, findingKey } from '../src/store/store.js';
import { makeBot } from './helpers/bot-harness.js';
import { buildPost } from './helpers/bot-mail.js';
import { expectValidAnalysis } from './helpers/schema.js';

/** tcpdump lines: 203.0.113.80 answering from `port` with SYN-ACKs to four addresses that never asked */
function synAcksFrom(port: number, first: number): string[] {
  return [0, 1, 2, 3].map(
    (i) => `2026-11-25 09:0${first + i}:0${i}.000000 IP 203.0.113.80.${port} > 192.0.2.${60 + i}.1024: Flags [S.], seq ${9100 + i}, ack 1, win 8760, length 0`,
  );
}

const POST = buildPost({
  id: 'flood@harbour.example',
  from: 'Aroha Ngata <aroha@harbour.example>',
  subject: 'SYN-ACKs from 203.0.113.80 nobody asked for',
  body: ['We get SYN-ACKs from one web server, from two ports:', '', ...synAcksFrom(80, 0), ...synAcksFrom(443, 4), '', 'Is it backscatter?'].join('\n'),
});

function backscatter(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.behaviour === 'backscatter').sort((a, b) => (a.sport ?? -1) - (b.sport ?? -1));
}

describe('backscatter answered from two ports', () => {
  it('is two findings in the document: each with its port, its own id and a summary that names the port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listwatch-backscatter-'));
    writeFileSync(join(dir, 'flood.eml'), POST);
    const { result } = await analyzeInputs([join(dir, 'flood.eml')]);
    expectValidAnalysis(result.doc);
    const found = backscatter(result.doc.findings);
    expect(found.map((f) => [f.kind, f.sport, f.actorPrefix, f.dport, f.observations.length])).toEqual([
      ['campaign', 80, '203.0.113.80/32', 1024, 4],
      ['campaign', 443, '203.0.113.80/32', 1024, 4],
    ]);
    expect(new Set(result.doc.findings.map((f) => f.id)).size).toBe(result.doc.findings.length);
    expect(found[0]!.summary).toContain('(backscatter) from port 80 to port 1024');
    expect(found[1]!.summary).toContain('(backscatter) from port 443 to port 1024');
    // no other finding grows the field
    for (const f of result.doc.findings) if (f.behaviour !== 'backscatter') expect(f).not.toHaveProperty('sport');
  });

  it('reads as two findings in the text report and the digest: their heads name the port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'listwatch-backscatter-'));
    writeFileSync(join(dir, 'flood.eml'), POST);
    const { result } = await analyzeInputs([join(dir, 'flood.eml')]);
    const text = renderText(result).replace(/\s+/g, ' ');
    expect(text).toContain('campaign: backscatter from 203.0.113.80/32 port 80 to port 1024');
    expect(text).toContain('campaign: backscatter from 203.0.113.80/32 port 443 to port 1024');
    const built = buildDigestModel({
      day: '2026-11-25',
      timeZone: 'UTC',
      findings: backscatter(result.doc.findings).map((finding) => ({ finding, status: 'new' as const, firstDay: '2026-11-25' })),
      observations: result.doc.observations,
      posts: result.doc.posts,
      openQuestions: [],
      deliveryFailures: [],
      excludedPosts: [],
      showTargets: false,
    });
    expect(built).not.toBeNull();
    const digest = renderDigestText(built!.model);
    expect(digest).toMatch(/\] campaign, [^\n]*backscatter[^\n]*, from port 80, port 1024/);
    expect(digest).toMatch(/\] campaign, [^\n]*backscatter[^\n]*, from port 443, port 1024/);
  });

  it('is two findings in the bot store, the same as the document', async () => {
    const h = makeBot({ autoReply: false });
    try {
      const r = await h.handle(POST);
      expect(r.outcome).toBe('analyzed');
      const keys = (h.store.db.prepare("SELECT key FROM findings WHERE key LIKE 'flows:backscatter:%' ORDER BY key").pluck().all() as string[]);
      expect(keys).toEqual(['flows:backscatter::203.0.113.80/32:1024:from:443', 'flows:backscatter::203.0.113.80/32:1024:from:80']);
      const dir = mkdtempSync(join(tmpdir(), 'listwatch-backscatter-'));
      writeFileSync(join(dir, 'flood.eml'), POST);
      const { result } = await analyzeInputs([join(dir, 'flood.eml')]);
      const stored = backscatter(h.store.findingsByKeys(keys).map((s) => s.finding));
      expect(stored).toEqual(backscatter(result.doc.findings));
    } finally {
      h.close();
    }
  });

  it('an older store that kept both under one row is split when it is opened, keeping the first day and the days', async () => {
    const h = makeBot({ autoReply: false });
    const path = h.config.db;
    await h.handle(POST);
    const db = h.store.db;
    const rows = db.prepare("SELECT key, id, kind, json, obs_group FROM findings WHERE key LIKE 'flows:backscatter:%' ORDER BY key").all() as Array<{
      key: string;
      id: string;
      kind: string;
      json: string;
      obs_group: string;
    }>;
    expect(rows).toHaveLength(2);
    const current = rows.map((r) => JSON.parse(r.json) as Finding);
    // what the store wrote before: one identity without the port, the last group's finding in it, both groups linked
    const oldKey = 'flows:backscatter::203.0.113.80/32:1024';
    const last = { ...current[1]!, id: 'f-000000000000', summary: current[1]!.summary.replace(' from port 80', '') };
    delete last.sport;
    db.transaction(() => {
      db.exec("DELETE FROM findings WHERE key LIKE 'flows:backscatter:%'; DELETE FROM finding_groups WHERE finding_key LIKE 'flows:backscatter:%'; DELETE FROM finding_days WHERE finding_key LIKE 'flows:backscatter:%'; DELETE FROM meta WHERE key = 'backscatter-findings'");
      db.prepare("INSERT INTO findings(key, id, kind, first_day, last_day, reporters, actors, json, obs_group) VALUES (?, ?, ?, '2026-11-20', '2026-11-25', '[\"harbour.example\"]', '[]', ?, ?)").run(
        oldKey,
        last.id,
        last.kind,
        JSON.stringify(last),
        rows[1]!.obs_group,
      );
      for (const r of rows) db.prepare('INSERT INTO finding_groups(finding_key, group_key) VALUES (?, ?)').run(oldKey, r.obs_group);
      for (const day of ['2026-11-20', '2026-11-25']) {
        db.prepare("INSERT INTO finding_days(finding_key, day, reporters, actors, observations, grew) VALUES (?, ?, '[\"harbour.example\"]', '[]', 4, 0)").run(oldKey, day);
      }
    })();
    h.close();

    const reopened = new Store(path);
    try {
      const after = reopened.db.prepare("SELECT key, id, first_day, last_day, json, obs_group FROM findings WHERE key LIKE 'flows:backscatter:%' ORDER BY key").all() as Array<{
        key: string;
        id: string;
        first_day: string;
        last_day: string;
        json: string;
        obs_group: string;
      }>;
      expect(after.map((r) => [r.key, r.id, r.first_day, r.last_day, r.obs_group])).toEqual(rows.map((r) => [r.key, r.id, '2026-11-20', '2026-11-25', r.obs_group]));
      expect(after.map((r) => JSON.parse(r.json) as Finding)).toEqual(current);
      expect(after.map((r) => findingKey(JSON.parse(r.json) as Finding))).toEqual(rows.map((r) => r.key));
      for (const r of after) {
        expect(reopened.db.prepare('SELECT day FROM finding_days WHERE finding_key = ? ORDER BY day').pluck().all(r.key)).toEqual(['2026-11-20', '2026-11-25']);
        expect(reopened.db.prepare('SELECT group_key FROM finding_groups WHERE finding_key = ?').pluck().all(r.key)).toEqual([r.obs_group]);
      }
      expect(reopened.db.prepare('SELECT COUNT(*) FROM finding_groups WHERE finding_key = ?').pluck().get(oldKey)).toBe(0);
      expect(reopened.meta('backscatter-findings')).toBe('by-port');
    } finally {
      reopened.close();
    }
  });

  it('an older store that lost one port\'s finding row (dropped with the shared row when the other port\'s prefix widened) gets it back when opened', async () => {
    // what the store wrote before, found by running it: a post from 80, a post from 443, then
    // another host answering from 443 widens that finding to /24; its identity moves, the shared
    // /32 row is dropped with all its links, and the port 80 finding is stored nowhere
    const synAcks = (victim: string, port: number, minute: number): string[] =>
      [0, 1, 2, 3].map((i) => `2026-11-25 09:${minute + i}:0${i}.000000 IP ${victim}.${port} > 192.0.2.${60 + i}.${1024 + i * 7}: Flags [S.], seq ${9100 + i}, ack 1, win 8760, length 0`);
    const posts: Array<[string, string, string]> = [
      ['2026-11-25', '203.0.113.80', 80],
      ['2026-11-26', '203.0.113.80', 443],
      ['2026-11-27', '203.0.113.81', 443],
    ].map(([day, victim, port], i) => [
      String(day),
      `c${i}@harbour.example`,
      buildPost({ id: `c${i}@harbour.example`, from: 'Aroha Ngata <aroha@harbour.example>', subject: `SYN-ACKs ${i}`, date: `${day} 09:10:00 +0000`, body: ['SYN-ACKs:', '', ...synAcks(String(victim), Number(port), 10 + i * 10)].join('\n') }),
    ]);
    const h = makeBot({ autoReply: false });
    const path = h.config.db;
    for (const [day, id, raw] of posts) {
      h.clock.now = new Date(`${day}T10:00:00Z`);
      expect((await h.handle(raw, id)).outcome).toBe('analyzed');
    }
    const db = h.store.db;
    const built = db.prepare("SELECT key, id, kind, first_day, last_day, json, obs_group FROM findings WHERE key LIKE 'flows:backscatter:%' ORDER BY key").all();
    expect(built.map((r) => (r as { key: string }).key)).toEqual(['flows:backscatter::203.0.113.0/24::from:443', 'flows:backscatter::203.0.113.80/32::from:80']);
    const wide = JSON.parse((built[0] as { json: string }).json) as Finding;
    const old = { ...wide, id: 'f-000000000000', summary: wide.summary.replace(' from port 443', '') };
    delete old.sport;
    const oldKey = 'flows:backscatter::203.0.113.0/24:';
    db.transaction(() => {
      db.exec("DELETE FROM findings WHERE key LIKE 'flows:backscatter:%'; DELETE FROM finding_groups WHERE finding_key LIKE 'flows:backscatter:%'; DELETE FROM finding_days WHERE finding_key LIKE 'flows:backscatter:%'; DELETE FROM meta WHERE key = 'backscatter-findings'");
      db.prepare("INSERT INTO findings(key, id, kind, first_day, last_day, reporters, actors, json, obs_group) VALUES (?, ?, 'campaign', '2026-11-27', '2026-11-27', '[\"harbour.example\"]', '[]', ?, ?)").run(oldKey, old.id, JSON.stringify(old), (built[0] as { obs_group: string }).obs_group);
      db.prepare('INSERT INTO finding_groups(finding_key, group_key) VALUES (?, ?)').run(oldKey, (built[0] as { obs_group: string }).obs_group);
      db.prepare("INSERT INTO finding_days(finding_key, day, reporters, actors, observations, grew) VALUES (?, '2026-11-27', '[\"harbour.example\"]', '[]', 8, 0)").run(oldKey);
    })();
    h.close();

    const reopened = new Store(path);
    try {
      // the store's findings are a full recompute's again
      const posts = reopened.db.prepare('SELECT id, analysis FROM posts ORDER BY received_at, rowid').all() as Array<{ id: string; analysis: string }>;
      const obs = reopened.db.prepare('SELECT json FROM observations WHERE post = ? ORDER BY seq');
      const analyses: PostAnalysis[] = posts.map((p) => ({
        ...(JSON.parse(p.analysis) as Omit<PostAnalysis, 'observations'>),
        observations: (obs.all(p.id) as Array<{ json: string }>).map((r) => JSON.parse(r.json) as Observation),
      }));
      const full = analyzeThread(analyses).doc.findings;
      const keys = reopened.db.prepare('SELECT key FROM findings').pluck().all() as string[];
      expect(keys.sort()).toEqual(full.map(findingKey).sort());
      expect(backscatter(reopened.findingsByKeys(keys).map((s) => s.finding))).toEqual(backscatter(full));
      // the lost one is back with the days of its records
      const back = reopened.db.prepare("SELECT first_day, last_day FROM findings WHERE key = 'flows:backscatter::203.0.113.80/32::from:80'").get();
      expect(back).toEqual({ first_day: '2026-11-25', last_day: '2026-11-25' });
      expect(reopened.findingKeysOfGroups(['backscatter|from:80|203.0.0.0/16'])).toEqual(['flows:backscatter::203.0.113.80/32::from:80']);
    } finally {
      reopened.close();
    }
  });
});
