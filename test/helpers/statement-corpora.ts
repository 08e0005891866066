// Corpora whose threads carry "same" statements with an organisation (the seed archive, a generated
// list with records in 30% of its posts, and the fixtures' lists), for the tests of how findings
// are built from them. Each entry is the paths one analyze run reads.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_SHAPE, writeArchive } from '../../bench/generate.js';
import { seedArchive } from './seed-archive.js';

/** Writes the archives into dir and returns the inputs of each corpus. */
export async function statementCorpora(dir: string): Promise<string[][]> {
  const seed = join(dir, 'seed.mbox');
  writeFileSync(seed, seedArchive(30));
  const mbox = join(dir, 'generated.mbox');
  await writeArchive(mbox, 1500, 20010906, { ...DEFAULT_SHAPE, recordShare: 0.3, pasteEvery: 1_000_000, attachmentShare: 0.01 });
  return [[mbox], [seed], ['fixtures/seed'], ['fixtures/demo-list'], ['fixtures/field']];
}
