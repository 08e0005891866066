// The bot's findings come from per group key aggregates updated post by post. They must be what
// a full analyzeThread over every stored post gives: same identities, same content, the same
// observation ids (duplicates counted once, joined alerts in their flow's group, prose corroboration).
import { describe, expect, it } from 'vitest';
import { analyzeThread } from '../src/analyze/corpus.js';
import type { Store } from '../src/store/store.js';
import { keyPort } from '../src/store/aggregates.js';
import { undoMigration10, undoMigration11 } from './helpers/store-migrations.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { PostFactory } from '../bench/generate.js';
import { makeBot } from './helpers/bot-harness.js';
import { storedAnalyses } from './helpers/stored-analyses.js';
import { expectStoredFindingsAsRecomputed } from './helpers/stored-findings.js';
import { argusMidstream, buildPost, recordsPost } from './helpers/bot-mail.js';

/** Each group's lowest and highest actor kept on its grp_stats row equal what its members give (migration 7). */
function expectActorEnds(store: Store): void {
  const kept = store.db.prepare('SELECT grp, actor_lo AS lo, actor_hi AS hi FROM grp_stats ORDER BY grp').all();
  const fromMembers = store.db
    .prepare("SELECT s.grp, (SELECT MIN(sort) FROM grp_members m WHERE m.grp = s.grp AND m.kind = 'a') AS lo, (SELECT MAX(sort) FROM grp_members m WHERE m.grp = s.grp AND m.kind = 'a') AS hi FROM grp_stats s ORDER BY s.grp")
    .all();
  expect(kept).toEqual(fromMembers);
}

/**
 * Each group's reporters, family and port kept on its grp_stats row (migration 9), the reporters' and
 * families' counts and the count of rows with the key's port (migration 10), and the member rows of
 * its other ports, equal what its counted observations give.
 */
function expectGroupFacts(store: Store): void {
  const kept = store.db.prepare('SELECT grp, reporters, families, family, ports, port, reporter_n, family_n, key_port_n FROM grp_stats ORDER BY grp').all();
  const rows = store.db.prepare('SELECT org, eff_family, dport FROM observations WHERE counted = 1 AND eff_group = ?');
  const portMembers = store.db.prepare("SELECT value, n FROM grp_members WHERE grp = ? AND kind = 'p' ORDER BY value");
  const pairs = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const count = (m: Map<string, number>, v: string) => m.set(v, (m.get(v) ?? 0) + 1);
  const fromRows = (kept as Array<{ grp: string }>).map(({ grp }) => {
    const reporters = new Map<string, number>();
    const families = new Map<string, number>();
    const ports = new Map<string, number>();
    for (const r of rows.all(grp) as Array<{ org: string | null; eff_family: string | null; dport: number | null }>) {
      if (r.org !== null) count(reporters, r.org);
      if (r.eff_family !== null) count(families, r.eff_family);
      count(ports, r.dport === null ? '' : String(r.dport));
    }
    const fams = pairs(families).map((x) => x[0]);
    const portList = pairs(ports).map((x) => x[0]);
    const own = keyPort(grp);
    expect(portMembers.all(grp), grp).toEqual(pairs(ports).filter(([v]) => v !== own).map(([value, n]) => ({ value, n })));
    return {
      grp,
      reporters: JSON.stringify(pairs(reporters).map((x) => x[0])),
      families: fams.length,
      family: fams.length === 1 ? fams[0] : null,
      ports: portList.length,
      port: portList.length === 1 ? portList[0] : null,
      reporter_n: JSON.stringify(pairs(reporters)),
      family_n: JSON.stringify(pairs(families)),
      key_port_n: ports.get(own!) ?? 0,
    };
  });
  expect(kept).toEqual(fromRows);
}

function expectSameAsFullRecompute(store: Store): { findings: number; observations: number } {
  expectActorEnds(store);
  expectGroupFacts(store);
  // a group's finding is linked to its group (findingKeysOfGroups reads the links)
  const unlinked = store.db
    .prepare('SELECT key FROM findings f WHERE obs_group IS NOT NULL AND NOT EXISTS (SELECT 1 FROM finding_groups l WHERE l.finding_key = f.key AND l.group_key = f.obs_group)')
    .all();
  expect(unlinked).toEqual([]);
  const full = expectStoredFindingsAsRecomputed(store).byKey;
  return { findings: full.size, observations: [...full.values()].reduce((n, f) => n + f.observations.length, 0) };
}

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';
const MALIK = 'Malik Osei <malik@delta.example>';

/** a Snort full alert for one of argusMidstream's lines (same 5-tuple, a second later; argus's time-only lines before the post's clock fall on the 24th): it joins that flow */
function snortFor(net: string, dstNet: string, i: number, startHour = 19): string {
  const salt = dstNet.split('.').reduce((a, b) => a + Number(b), 0) % 50;
  const src = `${net}.${10 + i * 7 + salt}.${20 + i * 3}`;
  const dst = `${dstNet}.${40 + i}`;
  const t = `11/24-${String(startHour).padStart(2, '0')}:${String(2 + i * 5).padStart(2, '0')}:35.100000`;
  return [
    '[**] [1:1256:7] WEB-IIS CodeRed v2 root.exe access [**]',
    '[Classification: Web Application Attack] [Priority: 1]',
    `${t} ${src}:${3300 + i} -> ${dst}:80`,
    'TCP TTL:113 TOS:0x0 ID:5386 IpLen:20 DgmLen:1500 DF',
    '***AP*** Seq: 0x2A4F1B3C  Ack: 0x9E1C22AF  Win: 0x2238  TcpLen: 20',
  ].join('\n');
}

describe('incremental findings equal a full recompute', () => {
  it('over hand-made threads: growing findings, a quoted copy, a reply quoting first and the original later, prose, joins', async () => {
    const h = makeBot({ autoReply: false });
    const steps: Array<[string, string]> = [
      ['a1@harbour.example', recordsPost('a1@harbour.example', AROHA, 'bare ACKs', '100.64', '192.0.2')],
      // the same actors seen by another org: cross-reporter
      ['s1@fjord.example', recordsPost('s1@fjord.example', SIGRID, 'same here', '100.64', '198.51.100', { inReplyTo: 'a1@harbour.example' })],
      // a reply quoting Aroha's records: copies, counted once
      [
        'm1@delta.example',
        buildPost({
          id: 'm1@delta.example',
          from: MALIK,
          subject: 'Re: bare ACKs',
          inReplyTo: 'a1@harbour.example',
          body: `On Wed, Aroha Ngata wrote:\n${argusMidstream('100.64', '192.0.2', 4).split('\n').map((l) => `> ${l}`).join('\n')}\n\nWe see this as well, from 100.64.x.x to port 80.\n`,
        }),
      ],
      // a post quoting records whose original arrives later: the original takes over
      [
        'q1@delta.example',
        buildPost({
          id: 'q1@delta.example',
          from: MALIK,
          subject: 'fwd: scans',
          body: `Forwarded from a colleague:\n${argusMidstream('100.70', '203.0.113', 3).split('\n').map((l) => `> ${l}`).join('\n')}\n`,
        }),
      ],
      ['o1@fjord.example', recordsPost('o1@fjord.example', SIGRID, 'scans from 100.70', '100.70', '203.0.113')],
      // prose only: corroborates the thread's findings
      [
        'p1@delta.example',
        buildPost({ id: 'p1@delta.example', from: MALIK, subject: 'Re: scans from 100.70', inReplyTo: 'o1@fjord.example', body: 'We have seen the same traffic from 100.70 on port 80 here.\n' }),
      ],
      // Snort alerts for Aroha's flows, from Aroha: alert and flow join (same traffic)
      [
        'a2@harbour.example',
        buildPost({
          id: 'a2@harbour.example',
          from: AROHA,
          subject: 'Re: bare ACKs',
          inReplyTo: 'a1@harbour.example',
          body: `Snort saw them too:\n\n${[0, 1, 2].map((i) => snortFor('100.64', '192.0.2', i)).join('\n\n')}\n`,
        }),
      ],
      // prose first, records in the thread later: the statement then speaks for the new group
      ['p2@delta.example', buildPost({ id: 'p2@delta.example', from: MALIK, subject: 'ACKs from 100.80?', body: 'We see bare ACKs from 100.80 to port 80 here too.\n' })],
      ['r2@fjord.example', recordsPost('r2@fjord.example', SIGRID, 'Re: ACKs from 100.80?', '100.80', '198.51.100', { inReplyTo: 'p2@delta.example' })],
      // alerts first, their flows later: the alerts join the flows when they come, and leave the
      // alerts' own group with its later three (its first time moves)
      [
        'a4@harbour.example',
        buildPost({ id: 'a4@harbour.example', from: AROHA, subject: 'alerts', body: `Snort:\n\n${[0, 1, 6, 7, 8].map((i) => snortFor('100.90', '192.0.2', i)).join('\n\n')}\n` }),
      ],
      ['a5@harbour.example', recordsPost('a5@harbour.example', AROHA, 'Re: alerts', '100.90', '192.0.2', { inReplyTo: 'a4@harbour.example' })],
      // a later day: more actors in the same /16
      ['a3@harbour.example', recordsPost('a3@harbour.example', AROHA, 'more bare ACKs', '100.64', '192.0.9', { date: 'Thu, 26 Nov 2026 09:10:00 +0000' })],
    ];
    for (const [id, raw] of steps) {
      const r = await h.handle(raw, id);
      expect(r.outcome, id).toBe('analyzed');
      expectSameAsFullRecompute(h.store);
    }
    const all = analyzeThread(storedAnalyses(h.store)).doc;
    // the thread exercised what it is meant to
    expect(all.observations.some((o) => o.duplicateOf)).toBe(true);
    expect(all.findings.some((f) => f.kind === 'same-traffic')).toBe(true);
    expect(all.findings.some((f) => f.corroborating.length > 0)).toBe(true);

    // a store written before the aggregates existed: they are rebuilt from its observations on open
    const path = h.config.db;
    const aggregates = () =>
      ['grp_members', 'grp_stats', 'dup_log', 'dup_classes', 'stmt_apply'].map((t) => h.store.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
    const hashesByRow = (store: Store) => {
      const out: Array<[number, number]> = [];
      for (const { first, hashes } of store.db.prepare('SELECT first, hashes FROM dup_log_hashes').all() as Array<{ first: number; hashes: Buffer }>) {
        for (let i = 0; i < hashes.length / 4; i++) out.push([first + i, hashes.readUInt32LE(i * 4)]);
      }
      return out.sort((a, b) => a[0] - b[0]);
    };
    const builtHashes = hashesByRow(h.store);
    expect(builtHashes.length).toBe((h.store.db.prepare('SELECT COUNT(*) AS n FROM dup_log').get() as { n: number }).n);
    const built = aggregates();
    const observationState = () => h.store.db.prepare('SELECT seq, cls, counted, eff_group, join_flow FROM observations ORDER BY seq').all();
    const builtObs = observationState();
    h.store.db.exec(`DELETE FROM grp_members; DELETE FROM grp_stats; DELETE FROM dup_log; DELETE FROM dup_log_hashes; DELETE FROM dup_classes; DELETE FROM stmt_apply;
      UPDATE observations SET cls = NULL, counted = 0, eff_group = NULL, join_flow = NULL; DELETE FROM meta WHERE key = 'aggregates'`);
    h.close();
    const { Store: StoreClass } = await import('../src/store/store.js');
    const reopened = new StoreClass(path);
    const again = ['grp_members', 'grp_stats', 'dup_log', 'dup_classes', 'stmt_apply'].map((t) => reopened.db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all());
    for (let i = 0; i < built.length; i++) expect(again[i], String(i)).toEqual(built[i]);
    expect(hashesByRow(reopened)).toEqual(builtHashes);
    expect(reopened.db.prepare('SELECT seq, cls, counted, eff_group, join_flow FROM observations ORDER BY seq').all()).toEqual(builtObs);
    reopened.close();
  });

  it('over generated list traffic (replies quoting records, Snort and argus, many reporters)', async () => {
    const h = makeBot({ autoReply: false });
    const factory = new PostFactory(7, undefined, 'eq');
    let observations = 0;
    for (let i = 0; i < 160; i++) {
      const p = factory.next({ forceRecords: i % 3 !== 0 });
      const r = await h.bot.handle(Buffer.from(p.raw), `gen#${i}`, { answer: false });
      if (r.outcome !== 'analyzed') continue;
      observations += r.observations ?? 0;
      if (i % 40 === 39) expectSameAsFullRecompute(h.store);
    }
    const { findings } = expectSameAsFullRecompute(h.store);
    expect(observations).toBeGreaterThan(500);
    expect(findings).toBeGreaterThan(5);
    h.close();
  });

  it('a group left with one family after an alert of the other joined a flow names that family (migration 9 facts read again)', async () => {
    const h = makeBot({ autoReply: false });
    // two alerts in one group (same behaviour, port and /16), of two families
    const nimda = snortFor('100.96', '192.0.2', 1).replace('WEB-IIS CodeRed v2 root.exe access', 'WEB-IIS Nimda cmd.exe access');
    const codeRed = snortFor('100.96', '192.0.2', 0).replace('WEB-IIS CodeRed v2 root.exe access', 'WEB-IIS CodeRed .ida NNNN access');
    const alerts = buildPost({ id: 'n1@harbour.example', from: AROHA, subject: 'two worms', body: `Snort:\n\n${codeRed}\n\n${nimda}\n` });
    expect((await h.handle(alerts, 'n1')).outcome).toBe('analyzed');
    const twoFamilies = h.store.db.prepare('SELECT grp, family FROM grp_stats WHERE families = 2').all() as Array<{ grp: string; family: string | null }>;
    expect(twoFamilies.length).toBe(1);
    expect(twoFamilies[0]!.family).toBeNull();
    expectSameAsFullRecompute(h.store);
    // the Nimda alert's flow (argus line 1 is alert 1's 5-tuple): the alert joins it and leaves the group
    const flow = argusMidstream('100.96', '192.0.2', 2).split('\n').filter((_, i) => i !== 1).join('\n');
    const flows = buildPost({ id: 'n2@harbour.example', from: AROHA, subject: 'Re: two worms', inReplyTo: 'n1@harbour.example', body: `argus:\n\n${flow}\n` });
    expect((await h.handle(flows, 'n2')).outcome).toBe('analyzed');
    const after = h.store.db.prepare('SELECT families, family FROM grp_stats WHERE grp = ?').get(twoFamilies[0]!.grp) as { families: number; family: string | null };
    expect(after.families).toBe(1);
    expect(after.family).not.toBeNull();
    expectSameAsFullRecompute(h.store);
    h.close();
  });

  it('corroborating orgs in the order of their first statement, each once (an org that says it twice, a later org first by name)', async () => {
    const h = makeBot({ autoReply: false });
    const said = (id: string, from: string, body: string) => buildPost({ id, from, subject: 'Re: bare ACKs', inReplyTo: 'c1@harbour.example', body });
    const steps: Array<[string, string]> = [
      ['c1@harbour.example', recordsPost('c1@harbour.example', AROHA, 'bare ACKs', '100.68', '192.0.2')],
      ['c2@fjord.example', said('c2@fjord.example', SIGRID, 'We have seen the same traffic from 100.68 on port 80 here.\n')],
      ['c3@delta.example', said('c3@delta.example', MALIK, 'We see the same traffic from 100.68 to port 80 here too.\n')],
      ['c4@fjord.example', said('c4@fjord.example', SIGRID, 'Same here again today: the same traffic from 100.68 on port 80.\n')],
    ];
    for (const [id, raw] of steps) expect((await h.handle(raw, id)).outcome, id).toBe('analyzed');
    const corroborated = (h.store.findingsByKeys((h.store.db.prepare('SELECT key FROM findings').all() as Array<{ key: string }>).map((r) => r.key)))
      .map((f) => f.finding.corroborating.map((c) => c.org))
      .filter((orgs) => orgs.length > 0);
    expect(corroborated).toEqual([['fjord.example', 'delta.example']]);
    expect((h.store.db.prepare("SELECT COUNT(*) AS n FROM stmt_apply WHERE org = 'fjord.example'").get() as { n: number }).n).toBe(2);
    expectSameAsFullRecompute(h.store);
    h.close();
  });

  it('a statement naming a port speaks only for the group of that port in its thread (the group port kept with its facts)', async () => {
    const h = makeBot({ autoReply: false });
    const to80 = argusMidstream('100.66', '192.0.2', 3);
    const to443 = argusMidstream('100.66', '198.51.100', 3).replace(/\.80 /g, '.443 ');
    const records = buildPost({ id: 'w1@harbour.example', from: AROHA, subject: 'web scans', body: `argus:\n\n${to80}\n\nand:\n\n${to443}\n` });
    expect((await h.handle(records, 'w1')).outcome).toBe('analyzed');
    const said = buildPost({ id: 'w2@delta.example', from: MALIK, subject: 'Re: web scans', inReplyTo: 'w1@harbour.example', body: 'We see the same traffic from 100.66 on port 443 here.\n' });
    expect((await h.handle(said, 'w2')).outcome).toBe('analyzed');
    const applied = h.store.db.prepare('SELECT grp FROM stmt_apply').all() as Array<{ grp: string }>;
    expect(applied.length).toBe(1);
    expect(applied[0]!.grp).toContain('|443|');
    expectSameAsFullRecompute(h.store);
    h.close();
  });

  it('upgrades a store written before migration 10: reporters, families and the key port counted on grp_stats, their member rows gone', async () => {
    const h = makeBot({ autoReply: false });
    const factory = new PostFactory(31, undefined, 'm10');
    for (let i = 0; i < 80; i++) {
      const p = factory.next({ forceRecords: i % 2 === 0 });
      await h.bot.handle(Buffer.from(p.raw), `gen#${i}`, { answer: false });
    }
    const table = (db: Store['db'], t: string) => db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3`).all();
    const stats = table(h.store.db, 'grp_stats');
    const members = table(h.store.db, 'grp_members');
    // backscatter groups keep their other ports as members; every other group's port is its key's
    expect((members as Array<{ kind: string }>).filter((m) => m.kind === 'p').length).toBeGreaterThan(0);
    expect((stats as Array<{ key_port_n: number }>).filter((r) => r.key_port_n > 0).length).toBeGreaterThan(10);
    undoMigration11(h.store.db);
    undoMigration10(h.store.db);
    const kinds = () => (h.store.db.prepare('SELECT DISTINCT kind FROM grp_members ORDER BY kind').pluck().all() as string[]).join('');
    expect(kinds()).toBe('afhprt');
    const path = h.config.db;
    h.close();
    const { Store: StoreClass } = await import('../src/store/store.js');
    const reopened = new StoreClass(path);
    expect(reopened.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(table(reopened.db, 'grp_stats')).toEqual(stats);
    expect(table(reopened.db, 'grp_members')).toEqual(members);
    expectSameAsFullRecompute(reopened);
    reopened.close();
  });

  it('upgrades a store written before migration 7: actor ends filled from the members, findings still those of a full recompute', async () => {
    const h = makeBot({ autoReply: false });
    const factory = new PostFactory(23, undefined, 'm7');
    for (let i = 0; i < 60; i++) {
      const p = factory.next({ forceRecords: i % 2 === 0 });
      await h.bot.handle(Buffer.from(p.raw), `gen#${i}`, { answer: false });
    }
    const stats = () => h.store.db.prepare('SELECT * FROM grp_stats ORDER BY grp').all();
    const before = stats() as Array<{ actor_lo: string | null }>;
    expect(before.filter((r) => r.actor_lo !== null).length).toBeGreaterThan(3);
    // back to migration 6's shape: no actor ends, the actor order index, the full group index
    undoMigration11(h.store.db);
    undoMigration10(h.store.db);
    h.store.db.exec(`
      ALTER TABLE grp_stats DROP COLUMN reporters;
      ALTER TABLE grp_stats DROP COLUMN families;
      ALTER TABLE grp_stats DROP COLUMN family;
      ALTER TABLE grp_stats DROP COLUMN ports;
      ALTER TABLE grp_stats DROP COLUMN port;
      ALTER TABLE grp_stats DROP COLUMN actor_lo;
      ALTER TABLE grp_stats DROP COLUMN actor_hi;
      CREATE INDEX grp_members_actor_sort ON grp_members(grp, sort) WHERE kind = 'a';
      DROP INDEX observations_group;
      CREATE INDEX observations_group ON observations(group_key, seq);
      DROP INDEX observations_ep;
      CREATE INDEX observations_ep ON observations(ep_key, time_ms) WHERE ep_key IS NOT NULL;
      CREATE TABLE dup_keys (key TEXT PRIMARY KEY, cls TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO dup_keys(key, cls) SELECT key, cls FROM dup_log;
      DROP TABLE dup_log;
      DROP TABLE dup_log_hashes;
      PRAGMA user_version = 6;
    `);
    const path = h.config.db;
    h.close();
    const { Store: StoreClass } = await import('../src/store/store.js');
    const reopened = new StoreClass(path);
    expect(reopened.db.prepare('SELECT * FROM grp_stats ORDER BY grp').all()).toEqual(before);
    const indexes = (reopened.db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index'").all() as Array<{ name: string; sql: string | null }>);
    expect(indexes.map((i) => i.name)).not.toContain('grp_members_actor_sort');
    expect(indexes.find((i) => i.name === 'observations_group')?.sql).toMatch(/WHERE counted = 1 AND join_flow IS NULL/);
    // migration 7 narrowed the join index; migration 11 dropped it (the join keys are found in memory)
    expect(indexes.map((i) => i.name)).not.toContain('observations_ep');
    expectSameAsFullRecompute(reopened);
    reopened.close();
  });
});
