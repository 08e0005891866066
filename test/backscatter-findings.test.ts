// Backscatter is grouped by the port its senders answer from: a web server flooded with forged SYNs
// on 80 and on 443 answers from both. Those are two findings, and the document, the bot's store
// and a store written before the answering port was part of a finding's identity must all keep
// them apart (before, both had one id and one store row, and the second overwrote the first).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeInputs } from '../src/analyze/run.js';
import type { Finding } from '../src/contract.js';
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
});
