// Second read of the spill's memory cuts (928c186, 90bbc69): the duplicate keys sorted a part at a
// time across the part bounds, the first of equal records as before, and the posts' thread names
// through their file, against the in-memory corpus and an oracle of plain maps.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { firstOfEqualKeysInFile, hash96, Int32File, StringStream } from '../src/analyze/spill-store.js';
import { documentsBothWays } from './helpers/both-ways.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-spill-second-read-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** the sort's part size (KEY_PART in spill-store.ts) */
const PART = 1 << 15;

/** for each key, the index of the first equal one, by a map of the three lanes */
function oracle(keys: Int32Array, n: number): Int32Array {
  const seen = new Map<string, number>();
  const first = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = `${keys[i * 3]},${keys[i * 3 + 1]},${keys[i * 3 + 2]}`;
    const f = seen.get(k);
    if (f === undefined) seen.set(k, i);
    first[i] = f ?? i;
  }
  return first;
}

let files = 0;
function keyFile(keys: Int32Array): Int32File {
  const file = new Int32File(join(work, `keys-${files++}.bin`));
  for (let i = 0; i < keys.length; i += 3) file.append(keys.subarray(i, i + 3), 3);
  return file;
}

function wrongOf(keys: Int32Array, n: number): number {
  const file = keyFile(keys);
  const got = firstOfEqualKeysInFile(file, n, new Int32Array(n).fill(-7));
  file.close();
  const want = oracle(keys, n);
  let wrong = 0;
  for (let i = 0; i < n; i++) if (got[i] !== want[i]) wrong++;
  return wrong;
}

describe('firstOfEqualKeysInFile across its part bounds', () => {
  it('finds equal keys the map finds at 32K, 32K +- 1, 16 x 32K +- 1 and beyond 16 parts, with runs of equal keys and all keys in one part', () => {
    const k = new Int32Array(3);
    for (const n of [PART - 1, PART, PART + 1, 2 * PART + 1, 16 * PART - 1, 16 * PART, 16 * PART + 1, 20 * PART + 3]) {
      for (const shape of ['mixed', 'one-part', 'all-equal'] as const) {
        if (shape === 'all-equal' && n > 2 * PART + 1) continue;
        const keys = new Int32Array(n * 3);
        for (let i = 0; i < n; i++) {
          // runs of equal keys (i >> 3), repeats from far back (i % 9 === 4), and first lanes shared by different keys
          const id = shape === 'all-equal' ? 0 : i % 9 === 4 ? (i * 7) % (i + 1) >> 3 : i >> 3;
          hash96(`k${id}`, 1, k);
          if (shape === 'one-part') k[0] = (k[0] as number) & ~15; // every key in part 0 of 16 (the part grows past its guess)
          if (id % 101 === 5) k[0] = 12345 << 4;
          keys.set(k, i * 3);
        }
        expect(wrongOf(keys, n), `${shape} n=${n}`).toBe(0);
      }
    }
  }, 120_000);
});

const LINE_HEAD = '         StartTime      Flgs  Proto            SrcAddr  Sport   Dir            DstAddr  Dport  TotPkts   TotBytes State ';

function argusLines(count: number): string[] {
  const lines = [LINE_HEAD];
  for (let i = 0; i < count; i++) {
    const s = i % 60;
    const m = Math.floor(i / 60) % 60;
    const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    lines.push(`   07:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.000000  e           tcp  ${src.padStart(17)}.${1025 + (i % 50)}      ->      198.51.100.20.http          9        528   FIN`);
  }
  return lines;
}

function mail(id: string, subject: string, date: string, body: string[], extra: string[] = []): string {
  return [
    'From nobody Thu Sep  6 10:00:00 2001',
    'From: Sigrid Holm <sigrid@cert.fjordnet.example>',
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: <${id}@cert.fjordnet.example>`,
    ...extra,
    'Content-Type: text/plain; charset=us-ascii',
    '',
    ...body,
    '',
    '',
  ].join('\n');
}

const both = (file: string): Promise<{ memory: string; spilled: string }> => documentsBothWays(file, work);

describe('the spill against the in-memory corpus', () => {
  it('picks the same originals when copies and originals fall in several parts (a quoted copy first, the records after, then a third copy)', async () => {
    // 33,003 records (posts of 11,001 lines: a post's text is capped at 2 MB), first as quoted
    // copies, then as records, then 5,000 of them again: ~71,000 keys, four parts (an original and its
    // copy 33,003 apart: an odd distance, so a split by position would part them)
    const lines = argusLines(33_003);
    const posts = (prefix: string, hour: number, quote: boolean): string =>
      [0, 1, 2]
        .map((k) => {
          const slice = lines.slice(1 + k * 11_001, 1 + (k + 1) * 11_001);
          const body = quote ? ['Knut wrote:', `> ${LINE_HEAD}`, ...slice.map((l) => `> ${l}`)] : ['We saw:', '', LINE_HEAD, ...slice];
          return mail(`${prefix}${k}`, 'flows', `Thu, 06 Sep 2001 ${hour}:0${k}:00 +0000`, body);
        })
        .join('');
    const mbox = join(work, 'parts.mbox');
    writeFileSync(
      mbox,
      posts('q', 10, true) +
        posts('p', 11, false) +
        mail('p3', 'flows', 'Thu, 06 Sep 2001 12:00:00 +0000', ['Same here:', '', ...lines.slice(0, 5_000)]) +
        mail('none', 'nothing', 'Thu, 06 Sep 2001 13:00:00 +0000', ['no records']),
    );
    const { memory, spilled } = await both(mbox);
    // the case is what it says: more than two parts' keys, and copies of both kinds
    const doc = JSON.parse(memory) as { observations: Array<{ id: string; duplicateOf?: string; quoted?: boolean }> };
    expect(doc.observations.length).toBeGreaterThan(2 * PART);
    expect(doc.observations.filter((o) => o.duplicateOf !== undefined).length).toBeGreaterThan(25_000);
    expect(spilled.length).toBe(memory.length);
    expect(spilled === memory).toBe(true);
  }, 180_000);

  it('writes a thread named by a subject with a lone surrogate as the in-memory corpus does (escaped, not U+FFFD)', async () => {
    // UTF-16 encoded words decode to any code units, a lone surrogate among them
    const utf16 = (s: string): string => {
      const b = Buffer.alloc(s.length * 2);
      for (let i = 0; i < s.length; i++) b.writeUInt16BE(s.charCodeAt(i), i * 2);
      return `=?UTF-16BE?B?${b.toString('base64')}?=`;
    };
    const mbox = join(work, 'surrogate.mbox');
    const body = ['We saw:', '', ...argusLines(2)];
    writeFileSync(
      mbox,
      mail('s1', `Re: ${utf16('odd \ud800 subject')}`, 'Thu, 06 Sep 2001 10:00:00 +0000', body) +
        mail('s2', `Re: ${utf16('odd \ud800 subject')}`, 'Thu, 06 Sep 2001 11:00:00 +0000', body) +
        mail('s3', `Re: ${utf16('\udc01 ü → x')}`, 'Thu, 06 Sep 2001 12:00:00 +0000', body),
    );
    const { memory, spilled } = await both(mbox);
    expect(memory).toContain('"thread": "odd \\ud800 subject"');
    expect(spilled === memory).toBe(true);
  });

  it('a StringStream in UTF-16 gives back lone surrogates, empty strings and strings across its chunks as written', () => {
    const file = new StringStream(join(work, 'utf16.bin'), 'utf16le');
    const strings: string[] = [];
    for (let i = 0; i < 3000; i++) strings.push(i % 13 === 0 ? '' : `${i}\ud800${'ü→'.repeat(i % 30)}\udfff${'y'.repeat((i * 7919) % 1000)}`);
    strings[1500] = '\udbff'.repeat(600_000);
    for (const s of strings) file.append(s);
    const got = [...file.strings()];
    expect(got.length).toBe(strings.length);
    expect(got.every((s, i) => s === strings[i])).toBe(true);
    file.close();
  });
});
