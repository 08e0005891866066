import type { ExtractedRecord, Extractor } from './types.js';
import { extractArgus } from './argus.js';
import { extractNetfilter } from './netfilter.js';
import { extractSnort } from './snort.js';
import { extractSuricata } from './suricata.js';
import { extractTcpdump } from './tcpdump.js';
import { extractZeek } from './zeek.js';

/** In order of precedence: when two claim the same line, the earlier one wins. */
export const EXTRACTORS: ReadonlyArray<readonly [string, Extractor]> = [
  ['snort', extractSnort],
  ['suricata', extractSuricata],
  ['argus', extractArgus],
  ['zeek', extractZeek],
  ['netfilter', extractNetfilter],
  ['tcpdump', extractTcpdump],
];

export interface ExtractionProblem {
  extractor: string;
  message: string;
}

/**
 * Runs every extractor over one block of de-quoted lines and returns the records in line order,
 * each input line claimed by at most one record. An extractor that throws (a bug: they are meant
 * not to) costs only its own records, reported as a problem.
 */
export function extractRecords(lines: readonly string[]): { records: ExtractedRecord[]; problems: ExtractionProblem[] } {
  const claimed = new Uint8Array(lines.length);
  const records: ExtractedRecord[] = [];
  const problems: ExtractionProblem[] = [];
  for (const [name, extract] of EXTRACTORS) {
    let found: ExtractedRecord[];
    try {
      found = extract(lines);
    } catch (err) {
      problems.push({ extractor: name, message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const rec of found) {
      const end = Math.min(lines.length, rec.line + Math.max(1, rec.lineCount));
      let free = true;
      for (let i = rec.line; i < end; i++) {
        if (claimed[i]) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      claimed.fill(1, rec.line, end);
      records.push(rec);
    }
  }
  records.sort((a, b) => a.line - b.line);
  return { records, problems };
}
