// Second read of the thread index on disk (src/mail/paged-file.ts, paged-strings.ts, thread.ts):
// a constructor that opens several files and then fails to open one must close (and remove) the
// ones it opened, since whoever called it never gets the object to close them (the spill's dispose
// closes only what its constructor assigned). Forced with a folder where a file should be (EISDIR).
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PagedStrings } from '../src/mail/paged-strings.js';
import { ThreadIndex } from '../src/mail/thread.js';

const work = mkdtempSync(join(tmpdir(), 'listwatch-second-read-threads-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const openFds = (): number => readdirSync('/proc/self/fd').length;
let made = 0;

describe('the thread index on disk, a file that cannot be opened', () => {
  it('PagedStrings closes and removes the files it opened before it throws', () => {
    for (const bad of ['meta', 'table0']) {
      const dir = join(work, `s${made++}`);
      mkdirSync(dir);
      mkdirSync(join(dir, `ids.${bad}`));
      const before = openFds();
      expect(() => new PagedStrings(join(dir, 'ids'))).toThrow(/EISDIR/);
      expect(openFds()).toBe(before);
      expect(readdirSync(dir)).toEqual([`ids.${bad}`]);
    }
  });

  it('ThreadIndex closes and removes the files it opened before it throws', () => {
    for (const bad of ['ids.table0', 'parents', 'times']) {
      const dir = join(work, `t${made++}`);
      mkdirSync(dir);
      mkdirSync(join(dir, bad));
      const before = openFds();
      expect(() => new ThreadIndex({ dir })).toThrow(/EISDIR/);
      expect(openFds()).toBe(before);
      expect(readdirSync(dir)).toEqual([bad]);
    }
  });
});
