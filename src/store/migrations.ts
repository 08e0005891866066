import type { Database } from 'better-sqlite3';
import { duplicateKeyHash, packHashes } from './duplicate-keys.js';
import { keyPort } from './aggregates.js';
import { endpointHash, packEntries } from './endpoints.js';

/**
 * Numbered migrations; `PRAGMA user_version` holds how many ran. Append only: never edit a
 * migration that has shipped, add the next one.
 */
export const MIGRATIONS: Array<(db: Database) => void> = [
  // 1: the bot's state
  (db) => {
    db.exec(`
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

      -- every Message-ID the bot has handled, whatever it decided (dedupe across restarts and UIDVALIDITY resets)
      CREATE TABLE processed (
        message_id TEXT PRIMARY KEY,
        input TEXT NOT NULL,
        outcome TEXT NOT NULL,
        at TEXT NOT NULL
      );

      CREATE TABLE posts (
        id TEXT PRIMARY KEY,
        thread TEXT NOT NULL,
        subject TEXT,
        subject_key TEXT NOT NULL,
        date TEXT,
        from_address TEXT,
        from_org TEXT,
        tlp TEXT,
        day TEXT NOT NULL,
        received_at TEXT NOT NULL,
        -- the PostAnalysis without observations and without the body text
        analysis TEXT NOT NULL
      );
      CREATE INDEX posts_thread ON posts(thread);
      CREATE INDEX posts_day ON posts(day);
      CREATE INDEX posts_subject ON posts(subject_key);

      CREATE TABLE observations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        post TEXT NOT NULL,
        thread TEXT NOT NULL,
        group_key TEXT NOT NULL,
        actor TEXT,
        -- IPv4 actor as an integer for prefix range queries (NULL for IPv6 or none)
        actor_num INTEGER,
        time TEXT,
        class TEXT NOT NULL,
        day TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX observations_post ON observations(post);
      CREATE INDEX observations_thread ON observations(thread);
      CREATE INDEX observations_group ON observations(group_key, seq);
      CREATE INDEX observations_actor ON observations(actor);
      CREATE INDEX observations_actor_num ON observations(actor_num);
      CREATE INDEX observations_time ON observations(time);
      CREATE INDEX observations_day ON observations(day);

      CREATE TABLE statements (
        post TEXT NOT NULL,
        thread TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX statements_thread ON statements(thread);

      CREATE TABLE questions (
        post TEXT NOT NULL,
        thread TEXT NOT NULL,
        text TEXT NOT NULL,
        from_address TEXT,
        received_at TEXT NOT NULL
      );
      CREATE INDEX questions_thread ON questions(thread);

      -- one row per finding identity; json is the latest Finding
      CREATE TABLE findings (
        key TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        first_day TEXT NOT NULL,
        last_day TEXT NOT NULL,
        reporters TEXT NOT NULL,
        actors TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE INDEX findings_last_day ON findings(last_day);
      CREATE TABLE finding_groups (
        finding_key TEXT NOT NULL,
        group_key TEXT NOT NULL,
        PRIMARY KEY (group_key, finding_key)
      );
      CREATE INDEX finding_groups_finding ON finding_groups(finding_key);
      -- the reporters and actors a finding had at the end of each day it changed
      CREATE TABLE finding_days (
        finding_key TEXT NOT NULL,
        day TEXT NOT NULL,
        reporters TEXT NOT NULL,
        actors TEXT NOT NULL,
        observations INTEGER NOT NULL,
        PRIMARY KEY (finding_key, day)
      );

      CREATE TABLE threads (
        id TEXT PRIMARY KEY,
        subject TEXT,
        replies INTEGER NOT NULL DEFAULT 0,
        auto_replied INTEGER NOT NULL DEFAULT 0,
        last_post_at TEXT NOT NULL
      );

      CREATE TABLE cursor (
        mailbox TEXT PRIMARY KEY,
        uid_validity TEXT NOT NULL,
        last_uid INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );

      CREATE TABLE members (
        address TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        posts INTEGER NOT NULL DEFAULT 0
      );

      CREATE TABLE subscriptions (
        address TEXT PRIMARY KEY,
        since TEXT NOT NULL
      );

      -- commands taken, for the per-sender rate limit
      CREATE TABLE requests (
        sender TEXT NOT NULL,
        at TEXT NOT NULL,
        post TEXT NOT NULL,
        command TEXT NOT NULL
      );
      CREATE INDEX requests_sender ON requests(sender, at);

      CREATE TABLE errors (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        input TEXT NOT NULL,
        message TEXT NOT NULL
      );

      CREATE TABLE digests (
        day TEXT PRIMARY KEY,
        sent_at TEXT NOT NULL,
        findings INTEGER NOT NULL
      );
    `);
  },
  // 2: the post's text and quotation blocks, for the optional LLM layer (bounded; null when large)
  (db) => {
    db.exec('ALTER TABLE posts ADD COLUMN mail TEXT');
  },
  // 3: per group key aggregates, so a new post's findings cost its own rows, not the history
  // (filled from the stored observations by Store on open: see Store.rebuildAggregates)
  (db) => {
    db.exec(`
      -- cls: the record's duplicate class; counted: an original (markDuplicates' view), so part of its group
      -- eff_*: the observation as correlate groups it (after an alert joined a flow: the flow's class and actor)
      ALTER TABLE observations ADD COLUMN cls INTEGER;
      ALTER TABLE observations ADD COLUMN quoted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE observations ADD COLUMN counted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE observations ADD COLUMN eff_group TEXT;
      ALTER TABLE observations ADD COLUMN eff_actor TEXT;
      ALTER TABLE observations ADD COLUMN eff_target TEXT;
      ALTER TABLE observations ADD COLUMN eff_family TEXT;
      ALTER TABLE observations ADD COLUMN org TEXT;
      ALTER TABLE observations ADD COLUMN dport INTEGER;
      ALTER TABLE observations ADD COLUMN time_ms INTEGER;
      -- alerts ('a') and flows ('f') by 5-tuple and reporter, for joins
      ALTER TABLE observations ADD COLUMN ep_key TEXT;
      ALTER TABLE observations ADD COLUMN role TEXT;
      ALTER TABLE observations ADD COLUMN join_flow INTEGER;
      CREATE INDEX observations_cls ON observations(cls);
      CREATE INDEX observations_eff ON observations(eff_group, seq) WHERE counted = 1;
      CREATE INDEX observations_eff_time ON observations(eff_group, time_ms) WHERE counted = 1 AND time_ms IS NOT NULL;
      CREATE INDEX observations_ep ON observations(ep_key, time_ms) WHERE ep_key IS NOT NULL;

      CREATE TABLE dup_keys (key TEXT PRIMARY KEY, cls INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE dup_classes (cls INTEGER PRIMARY KEY, original INTEGER NOT NULL);
      -- reference-counted distinct values per group: a actor, A actor bytes (hex), t target,
      -- r reporter org, f family, p port, h thread
      CREATE TABLE grp_members (
        grp TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (grp, kind, value)
      ) WITHOUT ROWID;
      CREATE INDEX grp_members_value ON grp_members(kind, value);
      CREATE TABLE grp_stats (
        grp TEXT PRIMARY KEY,
        n INTEGER NOT NULL,
        actors INTEGER NOT NULL,
        targets INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- which groups each prose statement corroborates
      CREATE TABLE stmt_apply (
        stmt INTEGER NOT NULL,
        grp TEXT NOT NULL,
        org TEXT NOT NULL,
        thread TEXT NOT NULL,
        PRIMARY KEY (stmt, grp)
      ) WITHOUT ROWID;
      CREATE INDEX stmt_apply_grp ON stmt_apply(grp, org, stmt);
      CREATE INDEX stmt_apply_thread ON stmt_apply(thread);

      -- a group's finding keeps its observation ids in the observations table (eff_group, counted)
      ALTER TABLE findings ADD COLUMN obs_group TEXT;
      CREATE INDEX findings_obs_group ON findings(obs_group);
      -- 1: new reporters or actors joined the finding that day (NULL: written before this migration)
      ALTER TABLE finding_days ADD COLUMN grew INTEGER;
    `);
  },
  // 4: duplicate classes named by their first record's id (known before its row is written, so a
  // record is one INSERT), actors' sortable bytes on their member row; the aggregates are rebuilt on open
  (db) => {
    db.exec(`
      DROP TABLE dup_keys;
      DROP TABLE dup_classes;
      CREATE TABLE dup_keys (key TEXT PRIMARY KEY, cls TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE dup_classes (cls TEXT PRIMARY KEY, original INTEGER NOT NULL) WITHOUT ROWID;
      DROP TABLE grp_members;
      CREATE TABLE grp_members (
        grp TEXT NOT NULL,
        kind TEXT NOT NULL,
        value TEXT NOT NULL,
        n INTEGER NOT NULL,
        -- actors ('a'): the address's bytes in hex, so the first and last sort like numbers
        sort TEXT,
        PRIMARY KEY (grp, kind, value)
      ) WITHOUT ROWID;
      CREATE INDEX grp_members_value ON grp_members(kind, value);
      CREATE INDEX grp_members_sort ON grp_members(grp, kind, sort);
      DELETE FROM grp_stats;
      DELETE FROM stmt_apply;
      UPDATE observations SET cls = NULL, counted = 0, eff_group = NULL, join_flow = NULL WHERE cls IS NOT NULL;
      DELETE FROM meta WHERE key = 'aggregates';
    `);
  },
  // 5: fewer index pages written per new observation (each one is a random page in the WAL and at
  // the checkpoint): a group's time span kept in grp_stats instead of an index on (eff_group,
  // time); its observation ids read through observations_group plus the few joined alerts; class
  // members indexed only while the class's original is quoted; two indexes nothing reads any more
  (db) => {
    db.exec(`
      DROP INDEX observations_time;
      DROP INDEX observations_thread;
      DROP INDEX observations_eff;
      DROP INDEX observations_eff_time;
      DROP INDEX observations_cls;
      CREATE INDEX observations_cls ON observations(cls) WHERE cls IS NOT NULL;
      CREATE INDEX observations_joined ON observations(eff_group, seq) WHERE join_flow IS NOT NULL;
      ALTER TABLE grp_stats ADD COLUMN first_ms INTEGER;
      ALTER TABLE grp_stats ADD COLUMN first_seq INTEGER;
      ALTER TABLE grp_stats ADD COLUMN first_time TEXT;
      ALTER TABLE grp_stats ADD COLUMN last_ms INTEGER;
      ALTER TABLE grp_stats ADD COLUMN last_seq INTEGER;
      ALTER TABLE grp_stats ADD COLUMN last_time TEXT;
      DELETE FROM dup_keys;
      DELETE FROM dup_classes;
      DELETE FROM grp_members;
      DELETE FROM grp_stats;
      DELETE FROM stmt_apply;
      UPDATE observations SET cls = NULL, counted = 0, eff_group = NULL, join_flow = NULL WHERE eff_group IS NOT NULL;
      DELETE FROM meta WHERE key = 'aggregates';
    `);
  },
  // 6: fewer random index pages per new observation (each is a 4 KB page in the WAL and again at the
  // checkpoint; ~20 pages per observation before): the thread lookup indexes only thread members,
  // the actor order only actors, and an IPv4 actor is found through actor_num (the text index keeps
  // the other actors). Indexes only: the aggregates stay as they are.
  (db) => {
    db.exec(`
      DROP INDEX grp_members_value;
      CREATE INDEX grp_members_thread ON grp_members(value) WHERE kind = 'h';
      DROP INDEX grp_members_sort;
      CREATE INDEX grp_members_actor_sort ON grp_members(grp, sort) WHERE kind = 'a';
      DROP INDEX observations_actor;
      CREATE INDEX observations_actor_other ON observations(actor) WHERE actor_num IS NULL;
    `);
  },
  // 7: fewer random index pages per new observation, and two fewer index reads per group finding:
  // a group's lowest and highest actor (the bytes in hex, which sort like the addresses) are kept
  // on its grp_stats row instead of read through an index on (grp, sort) that every new actor
  // wrote to; the group and join (5-tuple) indexes hold only the rows their queries ask for
  // (counted, and for the group not joined; ~15% of the rows are copies). Filled here from the
  // members, before their index goes.
  (db) => {
    db.exec(`
      ALTER TABLE grp_stats ADD COLUMN actor_lo TEXT;
      ALTER TABLE grp_stats ADD COLUMN actor_hi TEXT;
      UPDATE grp_stats SET
        actor_lo = (SELECT MIN(m.sort) FROM grp_members m WHERE m.grp = grp_stats.grp AND m.kind = 'a'),
        actor_hi = (SELECT MAX(m.sort) FROM grp_members m WHERE m.grp = grp_stats.grp AND m.kind = 'a');
      DROP INDEX grp_members_actor_sort;
      DROP INDEX observations_group;
      CREATE INDEX observations_group ON observations(group_key, seq) WHERE counted = 1 AND join_flow IS NULL;
      DROP INDEX observations_ep;
      CREATE INDEX observations_ep ON observations(ep_key, time_ms) WHERE ep_key IS NOT NULL AND counted = 1;
    `);
  },
  // 8: duplicate keys appended to a log without an index and found through a table of hashes in
  // memory (duplicate-keys.ts): as a TEXT primary key each new record's two keys were two lookups
  // and two inserts at random leaves, ~2.5 of the ~9.5 pages a record wrote at 1,000,000 stored.
  // The keys and classes are copied as they are, and their hashes packed per 50,000 rows (~8 s
  // for 1,800,000 keys).
  (db) => {
    db.exec(`
      CREATE TABLE dup_log (key TEXT NOT NULL, cls TEXT NOT NULL);
      -- the hashes of dup_log's rows first, first + 1, ... (4 bytes each, little-endian)
      CREATE TABLE dup_log_hashes (first INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
      INSERT INTO dup_log(key, cls) SELECT key, cls FROM dup_keys;
      DROP TABLE dup_keys;
    `);
    const read = db.prepare('SELECT rowid, key FROM dup_log WHERE rowid > ? ORDER BY rowid LIMIT 50000').raw();
    const put = db.prepare('INSERT INTO dup_log_hashes(first, hashes) VALUES (?, ?)');
    for (let after = 0; ; ) {
      const rows = read.all(after) as Array<[number, string]>;
      if (rows.length === 0) break;
      let first = rows[0]![0];
      let run: number[] = [];
      for (const [rowid, key] of rows) {
        if (rowid !== first + run.length) {
          put.run(first, packHashes(run));
          first = rowid;
          run = [];
        }
        run.push(duplicateKeyHash(key));
      }
      put.run(first, packHashes(run));
      after = rows[rows.length - 1]![0];
    }
  },
  // 9: what a group's finding reads besides its counts, on its grp_stats row: its reporters (a JSON
  // array), how many families and ports it has and the one when it has one. A finding read them
  // from grp_members (three range reads at random leaves, ~50-70 us a group at 1,000,000 stored,
  // and a 300-record post touches ~300 groups). Filled here from the members (~3,600 groups at
  // 1,000,000 stored: under a second).
  (db) => {
    db.exec(`
      ALTER TABLE grp_stats ADD COLUMN reporters TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE grp_stats ADD COLUMN families INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE grp_stats ADD COLUMN family TEXT;
      ALTER TABLE grp_stats ADD COLUMN ports INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE grp_stats ADD COLUMN port TEXT;
    `);
    const members = db.prepare("SELECT kind, value FROM grp_members WHERE grp = ? AND kind IN ('f', 'p', 'r') ORDER BY kind, value");
    const set = db.prepare('UPDATE grp_stats SET reporters = ?, families = ?, family = ?, ports = ?, port = ? WHERE grp = ?');
    for (const g of db.prepare('SELECT grp FROM grp_stats').pluck().all() as string[]) {
      const rows = members.all(g) as Array<{ kind: string; value: string }>;
      const of = (kind: string) => rows.filter((r) => r.kind === kind).map((r) => r.value);
      const families = of('f');
      const ports = of('p');
      set.run(JSON.stringify(of('r').sort()), families.length, families.length === 1 ? families[0]! : null, ports.length, ports.length === 1 ? ports[0]! : null, g);
    }
  },
  // 10: a group's reporters and families counted on its grp_stats row ([value, n] pairs), and the
  // rows having the port its key names (all of a group's rows but a backscatter group's) counted
  // there too, instead of a grp_members row each: every new post added to those rows' counts, 3 of
  // the ~7 member rows it wrote per group (each a random page), and flush read them back. Filled
  // here from the members, which then go.
  (db) => {
    db.exec(`
      ALTER TABLE grp_stats ADD COLUMN reporter_n TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE grp_stats ADD COLUMN family_n TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE grp_stats ADD COLUMN key_port_n INTEGER NOT NULL DEFAULT 0;
    `);
    const members = db.prepare("SELECT kind, value, n FROM grp_members WHERE grp = ? AND kind IN ('f', 'p', 'r')").raw();
    const set = db.prepare('UPDATE grp_stats SET reporter_n = ?, family_n = ?, key_port_n = ? WHERE grp = ?');
    const dropPort = db.prepare("DELETE FROM grp_members WHERE grp = ? AND kind = 'p' AND value = ?");
    const dropCounted = db.prepare("DELETE FROM grp_members WHERE grp = ? AND kind IN ('f', 'r')");
    const sorted = (pairs: Array<[string, number]>) => JSON.stringify(pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    for (const g of db.prepare('SELECT grp FROM grp_stats').pluck().all() as string[]) {
      const reporters: Array<[string, number]> = [];
      const families: Array<[string, number]> = [];
      const port = keyPort(g);
      let keyPortN = 0;
      for (const [kind, value, n] of members.all(g) as Array<[string, string, number]>) {
        if (kind === 'r') reporters.push([value, n]);
        else if (kind === 'f') families.push([value, n]);
        else if (value === port) keyPortN = n;
      }
      set.run(sorted(reporters), sorted(families), keyPortN, g);
      if (keyPortN > 0) dropPort.run(g, port);
      dropCounted.run(g);
    }
  },
  // 11: alerts' and flows' join keys (ep_key) and times found in memory (endpoints.ts), packed in
  // ep_log (one row per save), instead of through the index observations_ep, which each new record
  // wrote at a random leaf. Filled here from every row with a join key, counted or not (a copy may
  // count later), 20,000 entries a row.
  (db) => {
    db.exec('CREATE TABLE ep_log (first INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    const put = db.prepare('INSERT INTO ep_log(first, data) VALUES (?, ?)');
    let run: { seqs: number[]; hashes: number[]; times: number[] } = { seqs: [], hashes: [], times: [] };
    const flush = () => {
      if (run.seqs.length === 0) return;
      put.run(run.seqs[0]!, packEntries(run.seqs, run.hashes, run.times));
      run = { seqs: [], hashes: [], times: [] };
    };
    const read = db.prepare('SELECT seq, ep_key, time_ms FROM observations WHERE seq > ? AND ep_key IS NOT NULL AND time_ms IS NOT NULL ORDER BY seq LIMIT 20000').raw();
    for (let after = 0; ; ) {
      const rows = read.all(after) as Array<[number, string, number]>;
      if (rows.length === 0) break;
      for (const [seq, ep, time] of rows) {
        run.seqs.push(seq);
        run.hashes.push(endpointHash(ep));
        run.times.push(time);
      }
      flush();
      after = rows[rows.length - 1]![0];
    }
    flush();
    db.exec('DROP INDEX observations_ep');
  },
  // 12: thread members (grp_members kind 'h': which groups a thread's counted records fall in) kept only
  // for threads with statements, the only threads whose groups are read (statements apply to them); a
  // thread's first statement writes its members from its rows (Aggregates.track). Each new post wrote
  // one such row per group it touched, with its index entry: ~6% of the pages a post wrote.
  // (Written to run again on a store that has it: tests take stores back to older versions by the migrations they undo.)
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS h_threads (thread TEXT PRIMARY KEY) WITHOUT ROWID;
      INSERT INTO h_threads(thread) SELECT DISTINCT thread FROM statements WHERE true ON CONFLICT(thread) DO NOTHING;
      DELETE FROM grp_members WHERE kind = 'h' AND value NOT IN (SELECT thread FROM h_threads);
    `);
  },
];

export function runMigrations(db: Database): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let i = current; i < MIGRATIONS.length; i++) {
    db.transaction(() => {
      MIGRATIONS[i]!(db);
      db.pragma(`user_version = ${i + 1}`);
    })();
  }
  return MIGRATIONS.length;
}
