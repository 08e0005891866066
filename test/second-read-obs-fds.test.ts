// Second read of the spill's per-observation files (4a66bcb..e8846a6): a constructor that throws
// after it opened files closes them first. The spill's dispose closes only what it was given, and
// the scratch files are unlinked at once, so a descriptor left open also keeps their disk space.

import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FirstOfEqualKeys, Int32File, RecordFile } from '../src/analyze/spill-store.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-second-read-obs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const openFds = (): number => readdirSync('/proc/self/fd').length;

describe('spill files whose constructor throws', () => {
  it('RecordFile closes its records file when its lengths file cannot be opened', () => {
    const path = join(work, 'records.bin');
    // a folder where the lengths file should be: opening it for writing fails (EISDIR)
    mkdirSync(`${path}.lengths`);
    const before = openFds();
    expect(() => new RecordFile(path)).toThrow(/EISDIR/);
    expect(openFds()).toBe(before);
  });

  it('FirstOfEqualKeys closes its two scratch files when its key file cannot be read', () => {
    const keys = new Int32File(join(work, 'keys.bin'));
    for (let i = 0; i < 100; i++) keys.append(Int32Array.of(i, i, i), 3);
    // the key file's descriptor closed under it: the first scan fails
    keys.close();
    const before = openFds();
    expect(() => new FirstOfEqualKeys(keys, 100, work)).toThrow();
    expect(openFds()).toBe(before);
    expect(readdirSync(work).filter((f) => f.startsWith('listwatch-scratch'))).toEqual([]);
  });
});
