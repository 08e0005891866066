// The argus fixtures (real `ra` output and handwritten layouts) as lines, by their path under fixtures/argus.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(import.meta.dirname, '..', '..', 'fixtures', 'argus');
const read = (rel: string): string[] => readFileSync(join(DIR, rel), 'utf8').split('\n');

export const ARGUS_FIXTURES: ReadonlyMap<string, string[]> = new Map<string, string[]>(
  ['ra', 'handwritten'].flatMap((sub) =>
    readdirSync(join(DIR, sub)).filter((f) => f.endsWith('.txt')).sort().map((f) => [`${sub}/${f}`, read(`${sub}/${f}`)] as const),
  ),
);
