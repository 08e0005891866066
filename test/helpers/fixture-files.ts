// The fixtures' text files, for the property tests that cut their inputs from real records.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures');

/** every text file under dir (.txt, .log, .eml or no extension), in sorted order, folders walked */
export function textFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...textFiles(path));
    else if (/\.(txt|log|eml)$/.test(name) || !name.includes('.')) out.push(path);
  }
  return out;
}

/** fixtures/<sub>'s text files (Latin-1, those without NUL bytes) as lines without their CR, for each sub in turn */
export function fixtureLines(...subs: string[]): string[][] {
  return subs
    .flatMap((sub) => textFiles(join(FIXTURES, sub)))
    .map((f) => readFileSync(f, 'latin1'))
    .filter((t) => !t.includes('\u0000'))
    .map((t) => t.split('\n').map((l) => l.replace(/\r$/, '')));
}
