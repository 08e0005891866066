// A corpus of one post (a paste) through the spill: its records' duplicate keys are not hashed
// at all when none can be a copy (all quoted or all not), and still are when the post quotes its
// own records. The same bytes as the in-memory corpus either way.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { documentsBothWays } from './helpers/both-ways.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-spill-one-post-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const ARGUS = readFileSync('fixtures/argus/ra/default.txt', 'utf8').trimEnd().split('\n');

function post(name: string, body: string[]): string {
  const file = join(work, `${name}.eml`);
  const head = [
    'From: Sigrid Holm <sigrid@cert.fjordnet.example>',
    'To: incidents@lists.example',
    `Subject: flows ${name}`,
    'Date: Thu, 06 Sep 2001 10:49:20 +0100',
    `Message-ID: <${name}@cert.fjordnet.example>`,
    'Content-Type: text/plain; charset=us-ascii',
    '',
  ];
  writeFileSync(file, [...head, ...body, ''].join('\n'));
  return file;
}

const both = (file: string): Promise<{ memory: string; spilled: string }> => documentsBothWays(file, work);

describe('one post through the spill', () => {
  it('writes the in-memory bytes for a post whose records are all unquoted, all quoted, or both (copies of its own)', async () => {
    const cases: Array<[string, string[], boolean]> = [
      ['plain', ['We saw these:', '', ...ARGUS, '', 'Regards'], false],
      ['all-quoted', ['On Thu, 6 Sep 2001, Knut wrote:', ...ARGUS.map((l) => `> ${l}`), '', 'Same here.'], false],
      ['both', ['We saw these:', '', ...ARGUS, '', 'and earlier, as Knut wrote:', '', ...ARGUS.map((l) => `> ${l}`), ''], true],
      ['quoted-first', ['On Thu, 6 Sep 2001, Knut wrote:', ...ARGUS.map((l) => `> ${l}`), '', 'We see the same:', '', ...ARGUS.slice(1), ''], true],
    ];
    for (const [name, body, copies] of cases) {
      const { memory, spilled } = await both(post(name, body));
      expect(spilled === memory).toBe(true);
      // the case is what it says: copies marked only where the post quotes its own records
      expect(memory.includes('"duplicateOf"')).toBe(copies);
      expect(memory.split('"source": "argus"').length - 1).toBeGreaterThan(ARGUS.length - 2);
    }
  });
});
