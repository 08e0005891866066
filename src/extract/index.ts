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
  const n = lines.length;
  const claimed = new Uint8Array(n);
  const records: ExtractedRecord[] = [];
  const problems: ExtractionProblem[] = [];
  // records in acceptance order: already in line order? (an Argus paste: one extractor's 100,000
  // records, found in order; the sort below would leave them as they are)
  let ordered = true;
  let inside = true;
  let lastLine = -1;
  for (const [name, extract] of EXTRACTORS) {
    let found: ExtractedRecord[];
    try {
      found = extract(lines);
    } catch (err) {
      problems.push({ extractor: name, message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    for (const rec of found) {
      const start = rec.line;
      const end = Math.min(n, start + Math.max(1, rec.lineCount));
      let free = true;
      for (let i = start; i < end; i++) {
        if (claimed[i]) {
          free = false;
          break;
        }
      }
      if (!free) continue;
      if (end - start === 1) claimed[start] = 1;
      else claimed.fill(1, start, end);
      records.push(rec);
      if (!(start > lastLine)) ordered = false;
      else lastLine = start;
      // a record that claimed its start line inside the block (so no later one starts there)
      if (!(Number.isInteger(start) && start >= 0 && start < n && end > start)) inside = false;
    }
  }
  if (ordered) return { records, problems };
  if (inside) return { records: inLineOrder(records, n), problems };
  records.sort((a, b) => a.line - b.line);
  return { records, problems };
}

/**
 * Accepted records that all start inside the block, in line order: two accepted records never
 * share a start line (each claims at least that line), so reading them back by start line is
 * what the stable sort by line gives, without a comparison sort.
 */
function inLineOrder(records: readonly ExtractedRecord[], n: number): ExtractedRecord[] {
  const byLine: (ExtractedRecord | undefined)[] = new Array(n);
  for (const rec of records) byLine[rec.line] = rec;
  const out: ExtractedRecord[] = [];
  for (let i = 0; i < n && out.length < records.length; i++) {
    const rec = byLine[i];
    if (rec !== undefined) out.push(rec);
  }
  return out;
}
