// The aggregates' grp_stats cache is bounded (AggregatesOptions.statCacheMax, 50,000 groups by
// default): past the cap it starts over. A bot whose store keeps at most 3 groups' rows, fed posts of
// 12 groups again and again, must hold at most 3, start over, and answer as a bot with the default
// cap and as a full recompute do: the same findings, stored rows and digest.
import { describe, expect, it } from 'vitest';
import { makeBot, type Harness } from './helpers/bot-harness.js';
import { expectStoredFindingsAsRecomputed } from './helpers/stored-findings.js';
import { argusMidstream, buildPost } from './helpers/bot-mail.js';

const AROHA = 'Aroha Ngata <aroha@harbour.example>';
const SIGRID = 'Sigrid Berg <sigrid@fjord.example>';
const CAP = 3;
const GROUPS = 12;

/** Posts of `GROUPS` groups (100.<i>/16 -> port 80), three rounds, two reporters, some groups twice in a row, with "same here" replies. */
function posts(): Array<{ id: string; raw: string }> {
  const out: Array<{ id: string; raw: string }> = [];
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < GROUPS; k++) {
      const i = (k * 5 + round * 7) % GROUPS;
      const fromSigrid = (i + round) % 2 === 1;
      const id = `c${round}-${i}@${fromSigrid ? 'fjord' : 'harbour'}.example`;
      const body = `argus says:\n\n${argusMidstream(`100.${i + 1}`, fromSigrid ? '203.0.113' : '192.0.2', 1 + ((i + round) % 4), 10 + round)}\n`;
      out.push({ id, raw: buildPost({ id, from: fromSigrid ? SIGRID : AROHA, subject: `ACKs from 100.${i + 1}`, body }) });
      if (k % 4 === 1) {
        // the same group at once again: its row as the last save (the one that started over, maybe) kept it
        const again = `a${round}-${i}@harbour.example`;
        const more = `argus says:\n\n${argusMidstream(`100.${i + 1}`, '198.51.100', 2, 14 + round)}\n`;
        out.push({ id: again, raw: buildPost({ id: again, from: AROHA, subject: `More ACKs from 100.${i + 1}`, body: more }) });
      }
      if (round === 1 && i % 3 === 0) {
        const said = `s${i}@fjord.example`;
        out.push({
          id: said,
          raw: buildPost({ id: said, from: SIGRID, subject: `Re: ACKs from 100.${i + 1}`, inReplyTo: id, body: `We have seen the same traffic from 100.${i + 1} on port 80 here.\n` }),
        });
      }
    }
  }
  return out;
}

function table(h: Harness, sql: string): unknown[] {
  return h.store.db.prepare(sql).all();
}

describe('the grp_stats cache past its cap', () => {
  it('holds at most the cap, starts over, and answers as with the default cap and as a full recompute', async () => {
    const capped = makeBot({ autoReply: false }, { store: { statCacheMax: CAP } });
    const plain = makeBot({ autoReply: false });
    let most = 0;
    let startedOver = 0;
    let before = 0;
    for (const { id, raw } of posts()) {
      expect((await capped.handle(raw, id)).outcome).toBe('analyzed');
      expect((await plain.handle(raw, id)).outcome).toBe('analyzed');
      const held = capped.store.statRowsHeld;
      expect(held).toBeLessThanOrEqual(CAP);
      if (held < before) startedOver++;
      most = Math.max(most, held);
      before = held;
    }
    expect(most).toBe(CAP);
    expect(startedOver).toBeGreaterThan(2);
    // the same stored rows and findings as the default cap's, and as a full recompute
    for (const sql of [
      'SELECT * FROM grp_stats ORDER BY grp',
      'SELECT grp, kind, value, n FROM grp_members ORDER BY grp, kind, value',
      'SELECT stmt, grp, org, thread FROM stmt_apply ORDER BY stmt, grp',
      'SELECT key, id, kind, first_day, last_day, reporters, actors, json, obs_group FROM findings ORDER BY key',
      'SELECT * FROM finding_days ORDER BY finding_key, day',
    ]) expect(table(capped, sql), sql).toEqual(table(plain, sql));
    const { findings } = expectStoredFindingsAsRecomputed(capped.store);
    expect(findings.filter((f) => f.reporters.length + f.corroborating.length > 1).length).toBeGreaterThan(3);
    expect(capped.bot.renderDigestOf('2026-11-25')).toEqual(plain.bot.renderDigestOf('2026-11-25'));
    expect(capped.bot.renderDigestOf('2026-11-25')).not.toBeNull();
    capped.close();
    plain.close();
  });
});
