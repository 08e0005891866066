// buildFindings' group-finding records in a file (one JSON record each, read back by number as
// the findings are built in order): with their groups on the heap until the findings' sort they
// grew with the archive (~860 bytes a finding, ~29,000 findings at 1,000,000 posts).

import type { FindingRecords, GroupFindingRecord } from '../correlate/correlate.js';
import { RecordFile } from './spill-store.js';

export class FindingRecordFile implements FindingRecords {
  private readonly file: RecordFile;

  constructor(path: string) {
    this.file = new RecordFile(path);
  }

  push(r: GroupFindingRecord): number {
    const k = this.file.count;
    // JSON: a lone surrogate (an org from a header) round-trips as \udxxx; an undefined family is left out and reads back undefined
    this.file.appendString(JSON.stringify(r));
    return k;
  }

  at(k: number): GroupFindingRecord {
    this.file.finishWrites();
    const r = JSON.parse(this.file.read(k).toString('utf8')) as GroupFindingRecord;
    return r;
  }

  close(): void {
    this.file.close();
  }
}
