import type { ExtractedRecord, Extractor } from './types.js';
import { extractArgusTo, extractArgusUnguarded } from './argus.js';
import { extractNetfilter } from './netfilter.js';
import { extractSnort } from './snort.js';
import { extractSuricata } from './suricata.js';
import { extractTcpdump } from './tcpdump.js';
import { extractZeek } from './zeek.js';
import { releaseBlockText } from './screen.js';

/** In order of precedence: when two claim the same line, the earlier one wins. */
export const EXTRACTORS: ReadonlyArray<readonly [string, Extractor]> = [
  ['snort', extractSnort],
  ['suricata', extractSuricata],
  // without argus's own catch (extractArgus answers [] for a fault and tells no one): runExtractor
  // records what it threw as the block's problem
  ['argus', extractArgusUnguarded],
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
  const claims = new Claims(lines.length);
  const problems: ExtractionProblem[] = [];
  for (const [name, extract] of EXTRACTORS) {
    const found = runExtractor(name, extract, lines, problems);
    if (found !== null) for (const rec of found) claims.accept(rec);
  }
  // (the extractors shared the block's text for their whole-block screens: not kept past the block)
  releaseBlockText();
  return { records: claims.inLineOrder(), problems };
}

/**
 * extractRecords with argus's accepted records handed to onArgus one by one as they are read
 * (in the order extractRecords accepts them), so that a caller can turn each into what it keeps
 * and let the record go: a 100,000-line paste then never holds 100,000 records. The other
 * extractors' accepted records come back in acceptance order (`others`); extractRecords'
 * answer is others in line order when argus accepted none, and argus's records as handed over
 * when others is empty and `argusInOrder` (each starts after the one before). In any other case
 * (records of both, or argus's not in order, or `argusFailed`: the argus extractor threw; then
 * extractRecords has none of its records and reports what it threw) the caller asks extractRecords instead.
 */
export function extractRecordsArgusTo(
  lines: readonly string[],
  onArgus: (rec: ExtractedRecord) => void,
): { others: ExtractedRecord[]; problems: ExtractionProblem[]; argusCount: number; argusInOrder: boolean; argusFailed: boolean } {
  try {
    return extractOthersArgusTo(lines, onArgus);
  } finally {
    releaseBlockText();
  }
}

function extractOthersArgusTo(
  lines: readonly string[],
  onArgus: (rec: ExtractedRecord) => void,
): { others: ExtractedRecord[]; problems: ExtractionProblem[]; argusCount: number; argusInOrder: boolean; argusFailed: boolean } {
  const claims = new Claims(lines.length);
  const others: ExtractedRecord[] = [];
  const problems: ExtractionProblem[] = [];
  let argusCount = 0;
  let argusInOrder = true;
  let lastArgus = -1;
  for (const [name, extract] of EXTRACTORS) {
    if (extract === extractArgusUnguarded) {
      try {
        extractArgusTo(lines, (rec) => {
          // claimed, not kept: the caller keeps what it makes of the record
          if (!claims.claim(rec)) return;
          argusCount++;
          if (!(rec.line > lastArgus)) argusInOrder = false;
          else lastArgus = rec.line;
          onArgus(rec);
        });
      } catch {
        // its claims are gone: start over with extractRecords, which records argus's fault as a problem
        return { others, problems, argusCount, argusInOrder, argusFailed: true };
      }
      continue;
    }
    const found = runExtractor(name, extract, lines, problems);
    if (found !== null) for (const rec of found) if (claims.claim(rec)) others.push(rec);
  }
  return { others, problems, argusCount, argusInOrder, argusFailed: false };
}

/** extract(lines), or null with what it threw recorded as the extractor's problem */
function runExtractor(name: string, extract: Extractor, lines: readonly string[], problems: ExtractionProblem[]): ExtractedRecord[] | null {
  try {
    return extract(lines);
  } catch (err) {
    problems.push({ extractor: name, message: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

/** extractRecords' records from the records accepted (in acceptance order) alone. */
export function acceptedInLineOrder(accepted: readonly ExtractedRecord[], lineCount: number): ExtractedRecord[] {
  const claims = new Claims(lineCount);
  for (const rec of accepted) claims.keep(rec);
  return claims.inLineOrder();
}

/** The lines records have claimed, and the records accepted, in acceptance order. */
class Claims {
  private readonly claimed: Uint8Array;
  private readonly records: ExtractedRecord[] = [];
  // records in acceptance order: already in line order? (an Argus paste: one extractor's 100,000
  // records, found in order; the sort below would leave them as they are)
  private ordered = true;
  private inside = true;
  private lastLine = -1;

  constructor(private readonly n: number) {
    this.claimed = new Uint8Array(n);
  }

  /** claim, then keep what it takes */
  accept(rec: ExtractedRecord): boolean {
    if (!this.claim(rec)) return false;
    this.keep(rec);
    return true;
  }

  /** Claims the record's lines when none of them is claimed yet; false when the record is left out. */
  claim(rec: ExtractedRecord): boolean {
    const claimed = this.claimed;
    const start = rec.line;
    const end = Math.min(this.n, start + Math.max(1, rec.lineCount));
    for (let i = start; i < end; i++) if (claimed[i]) return false;
    if (end - start === 1) claimed[start] = 1;
    else claimed.fill(1, start, end);
    return true;
  }

  /** Keeps an accepted record (its order facts), without claiming. */
  keep(rec: ExtractedRecord): void {
    const start = rec.line;
    const end = Math.min(this.n, start + Math.max(1, rec.lineCount));
    this.records.push(rec);
    if (!(start > this.lastLine)) this.ordered = false;
    else this.lastLine = start;
    // a record that claimed its start line inside the block (so no later one starts there)
    if (!(Number.isInteger(start) && start >= 0 && start < this.n && end > start)) this.inside = false;
  }

  /** The records kept, in line order. */
  inLineOrder(): ExtractedRecord[] {
    const records = this.records;
    if (this.ordered) return records;
    if (this.inside) return inLineOrder(records, this.n);
    records.sort((a, b) => a.line - b.line);
    return records;
  }
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
