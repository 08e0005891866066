// The "same" statements with an organisation that the spilling corpus's findings read, in a file:
// one JSON record each, read back in order (threads resolved, the findings' first pass) and by
// number (a group's statements when its finding is built). Held in memory they grew with the
// archive (~37 a 1,000 posts, each with its post id, thread, org and quote).

import type { ProseStatement } from '../correlate/types.js';
import type { StatementList } from '../correlate/correlate.js';
import { RecordFile } from './spill-store.js';

export class StatementFile implements StatementList {
  private readonly file: RecordFile;

  constructor(path: string) {
    this.file = new RecordFile(path);
  }

  get length(): number {
    return this.file.count;
  }

  append(s: ProseStatement): void {
    // JSON keeps a lone surrogate of a subject-named thread (as \udxxx), and the strings come back flat
    this.file.appendString(JSON.stringify(s));
  }

  *[Symbol.iterator](): Iterator<ProseStatement> {
    for (const line of this.file.strings()) yield JSON.parse(line) as ProseStatement;
  }

  /** statement k in the order appended (once every one is appended) */
  at(k: number): ProseStatement | undefined {
    if (!(k >= 0 && k < this.file.count)) return undefined;
    this.file.finishWrites();
    const bytes = this.file.read(k);
    return JSON.parse(bytes.toString('utf8')) as ProseStatement;
  }

  close(): void {
    this.file.close();
  }
}
